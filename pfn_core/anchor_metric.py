"""Measure distances in the anchors' own metric once there are enough of them.

With many anchors the analyst has told the model which directions separate the clusters and
which only spread points within a cluster. Standardising columns cannot know that: in wine or
sonar a few noisy columns get as much weight as the telling ones. So once the anchors
average at least ``MIN_MEAN_ANCHORS`` per class, the estimator whitens the geometry by the
anchors' pooled within-class covariance (every anchor minus its class mean), shrunk towards
a multiple of the identity with the Ledoit-Wolf factor so that few anchors in many columns
stay safe (and at least half way when no class is several islands,
``ONE_PIECE_MIN_SHRINKAGE``), and rebuilds both model views from the whitened geometry
(``preprocessing.views_from_axes``). Directions along which clusters are thin get stretched;
directions in which every cluster is wide get squeezed.

This is an inference-time step: the shipped weights were trained without it (the model
sees whitened data as just another table). Measured on the protocol's suite at 10 anchors
per cluster it lifts mean ARI from 0.829 to 0.842 (BENCHMARKS.md); below 5 anchors per class
the estimate is too noisy and it hurt (3 anchors: wdbc -0.25, jain -0.19), hence the
threshold.

Legend: N=rows, G=geometry columns, A=anchors, K=classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage

from pfn_core.preprocessing import Rotation, fit_rotation

MIN_MEAN_ANCHORS = 5  # anchors per class, on average, before the metric is used
# When every class's anchors lie in one piece of the table's neighbour graph, their scatter
# gets at most half the weight: the Ledoit-Wolf shrinkage (sized for anchors drawn at random
# from each class) is at least this. The studio's anchors rarely are such a draw (a lasso is
# one patch of a class, suggested rows sit on its borders), and even random anchors of a
# curved class give a scatter that squeezes the direction along it. Where a class is several
# islands (its anchors in several pieces, as lassos over several blobs name them), its full
# scatter is what pulls its islands together: given half the weight, the discovery pass named
# 7 of 10 anchored blobs "new" (ARI 1.00 -> 0.36, ``tests/test_new_clusters.py``), so there
# the floor is 0 (``prepared_inputs.classes_span_pieces``). Eleventh session (the floor was set
# at one half before any run; 0.3 and 0.7 looked at after): protocol at 10 anchors per
# cluster 0.841 -> 0.842, MNIST 0.616 either way; held out ``bench.few_anchors --levels 10``
# 0.792 -> 0.804 (0.805 with no metric at all); lassos (``bench.lasso_anchors``) 0.708 ->
# 0.706 dev, 0.729 -> 0.733 held out; ``bench.many_anchors`` 0.854 / 0.868 -> 0.854 / 0.872,
# MNIST in it 0.732 / 0.768 -> 0.720 / 0.758 (BENCHMARKS.md, "Lasso anchors").
ONE_PIECE_MIN_SHRINKAGE = 0.5


def uses_anchor_metric(n_anchors: int, n_classes: int) -> bool:
    """Whether `n_anchors` anchors over `n_classes` classes are enough for the metric."""
    return n_classes > 0 and n_anchors >= MIN_MEAN_ANCHORS * n_classes


def within_class_whitening(geometry: np.ndarray, anchor_index: np.ndarray,
                           anchor_class: np.ndarray, anchor_rank: np.ndarray,
                           min_shrinkage: float = 0.0) -> np.ndarray:
    """The (G, G) symmetric matrix that whitens the anchors' pooled within-class covariance,
    shrunk (Ledoit-Wolf, at least `min_shrinkage`) towards its mean variance times the
    identity and normalised so that
    a direction of mean variance keeps its length.

    geometry (N, G); anchor_index (A,) rows; anchor_class (A,) in 0..K-1; anchor_rank (A,)
    the anchors' content ranks: the anchors are summed in that order, so the result does
    not depend on the order of the rows or on how the classes are numbered."""
    order = np.argsort(anchor_rank, kind="stable")
    points = geometry[anchor_index[order]].astype(np.float64)
    classes = anchor_class[order]
    present = np.unique(classes)
    centred = np.empty_like(points)
    for label in present:
        members = classes == label
        centred[members] = points[members] - points[members].mean(axis=0)
    n_anchors, n_columns = centred.shape
    scatter = centred.T @ centred / max(n_anchors - len(present), 1)
    mean_variance = np.trace(scatter) / n_columns
    if mean_variance <= 0:
        return np.eye(n_columns)
    shrinkage = max(ledoit_wolf_shrinkage(centred, assume_centered=True), min_shrinkage)
    covariance = (1 - shrinkage) * scatter + shrinkage * mean_variance * np.eye(n_columns)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance / mean_variance)
    eigenvalues = np.maximum(eigenvalues, 1e-6)
    return (eigenvectors / np.sqrt(eigenvalues)) @ eigenvectors.T


@dataclass(frozen=True)
class MetricStep:
    """The anchors' metric, fitted: geometry (N, G) -> (g - center) @ whitening, then its
    principal axes (``preprocessing.Rotation``). center (G,), whitening (G, G)."""

    center: np.ndarray
    whitening: np.ndarray
    rotation: Rotation

    def apply(self, geometry: np.ndarray):
        """(N, G) -> (features (N, input_dim), geometry (N, G)) float32."""
        return self.rotation.apply((geometry.astype(np.float64) - self.center) @ self.whitening)


def views_in_metric(geometry: np.ndarray, whitening: np.ndarray, input_dim: int):
    """Both model views rebuilt from the whitened geometry.

    geometry (N, G), whitening (G, G) -> (features (N, input_dim), geometry (N, G)), float32.
    The geometry is recentred and rotated to its principal axes again, so the features are
    the whitened table's strongest directions."""
    return fit_views_in_metric(geometry, whitening, input_dim)[1]


def fit_views_in_metric(geometry: np.ndarray, whitening: np.ndarray, input_dim: int):
    """``views_in_metric`` and the MetricStep that gives the same views of new rows.
    -> (MetricStep, (features, geometry))"""
    center = geometry.mean(axis=0, dtype=np.float64)
    whitened = (geometry.astype(np.float64) - center) @ whitening
    n_columns = geometry.shape[1]
    rotation, views = fit_rotation(whitened, input_dim, n_columns, n_components=n_columns)
    return MetricStep(center, whitening, rotation), views
