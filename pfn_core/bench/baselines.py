"""The protocol's baselines, each as ``run(X, y_partial, n_clusters, seed) -> labels``.

Legend: N=points, D=columns, K=clusters. X is (N, D) after ``standardize_for_protocol``;
y_partial (N,) holds the anchors' labels and -1 elsewhere; the result is (N,).

scikit-learn defaults except where the protocol names a setting. ``random_state=seed`` is
passed to the methods that draw random numbers (KMeans, GaussianMixture and seeded K-means,
whose fixed init leaves nothing random); Ward, HDBSCAN, 1-NN and label spreading are
deterministic and take no seed. HDBSCAN's noise points (-1) are scored as one more cluster.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KNeighborsClassifier
from sklearn.semi_supervised import LabelSpreading

from pfn_core.bench.protocol import UNLABELLED

Baseline = Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]


def kmeans(X, y_partial, n_clusters, seed):
    """KMeans(K, n_init=10), anchors ignored."""
    return KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(X)


def gaussian_mixture(X, y_partial, n_clusters, seed):
    """GaussianMixture(K) (full covariances), anchors ignored."""
    return GaussianMixture(n_clusters, random_state=seed).fit(X).predict(X)


def ward(X, y_partial, n_clusters, seed):
    """AgglomerativeClustering(K) with Ward linkage (the default)."""
    return AgglomerativeClustering(n_clusters).fit_predict(X)


def hdbscan(X, y_partial, n_clusters, seed):
    """HDBSCAN() with defaults; K is not used. copy=True only keeps X unchanged (and
    silences scikit-learn 1.9's warning about the default changing); results are the same."""
    return HDBSCAN(copy=True).fit_predict(X)


def nearest_anchor(X, y_partial, n_clusters, seed):
    """KNeighborsClassifier(1) fitted on the anchors, predicting every row."""
    anchors = _anchor_rows(y_partial)
    return KNeighborsClassifier(1).fit(X[anchors], y_partial[anchors]).predict(X)


def label_spreading(X, y_partial, n_clusters, seed):
    """LabelSpreading(kernel="knn", n_neighbors=10) over all rows."""
    _anchor_rows(y_partial)
    return LabelSpreading(kernel="knn", n_neighbors=10).fit(X, y_partial).transduction_


def seeded_kmeans(X, y_partial, n_clusters, seed):
    """KMeans started from the per-class anchor means (one centre per anchored class)."""
    anchors = _anchor_rows(y_partial)
    classes, which = np.unique(y_partial[anchors], return_inverse=True)
    centres = np.zeros((len(classes), X.shape[1]))
    np.add.at(centres, which, X[anchors])
    centres /= np.bincount(which)[:, None]
    return KMeans(len(classes), init=centres, n_init=1, random_state=seed).fit_predict(X)


def _anchor_rows(y_partial: np.ndarray) -> np.ndarray:
    anchors = np.flatnonzero(y_partial != UNLABELLED)
    if len(anchors) == 0:
        raise ValueError("this baseline needs anchors: y_partial has no labelled row.")
    return anchors


UNSUPERVISED: dict[str, Baseline] = {
    "kmeans": kmeans,
    "gmm": gaussian_mixture,
    "ward": ward,
    "hdbscan": hdbscan,
}
ANCHORED: dict[str, Baseline] = {
    "knn1": nearest_anchor,
    "label_spreading": label_spreading,
    "seeded_kmeans": seeded_kmeans,
}
MODEL = "model"
ALL_METHODS = (*UNSUPERVISED, *ANCHORED, MODEL)
LABELS = {
    "kmeans": "K-means",
    "gmm": "GMM",
    "ward": "Ward",
    "hdbscan": "HDBSCAN",
    "knn1": "1-NN",
    "label_spreading": "label spreading",
    "seeded_kmeans": "seeded K-means",
    "model": "model",
}


def applies(method: str, level: int) -> bool:
    """Whether `method` runs at anchor level `level` (the model runs at every level)."""
    if method == MODEL:
        return True
    if method in UNSUPERVISED:
        return level == 0
    if method in ANCHORED:
        return level >= 1
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(ALL_METHODS)}.")
