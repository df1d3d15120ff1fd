"""``PFNClusterer``: the scikit-learn face of the trained model.

Example
-------
>>> import numpy as np
>>> from pfn_core import PFNClusterer
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))])
>>> y = np.full(100, -1); y[0] = 0; y[50] = 1
>>> labels = PFNClusterer().fit_predict(X, y)
>>> bool((labels[:50] == 0).all() and (labels[50:] == 1).all())
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from pfn_core.checkpoint import SHIPPED_WEIGHTS, load_model
from pfn_core.inference import DEFAULT_CONTEXT_SIZE, predict_proba
from pfn_core.preprocessing import model_views, validate_features
from pfn_core.seeding import confident_anchors, density_peak_seeds


@functools.lru_cache(maxsize=4)
def cached_model(path: str, device: str):
    """Load a weights file once per process and reuse it (the model is never mutated)."""
    return load_model(path, device)


def split_targets(y, n_rows: int):
    """Read y into anchors.

    y: length-N array-like; -1, None or NaN mark unlabelled rows; labels may be ints or
    strings. -> (anchor_index (A,), anchor_labels (A,) as given)"""
    if y is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    values = np.asarray(y, dtype=object)
    if values.ndim != 1:
        values = values.reshape(-1) if values.ndim == 2 and 1 in values.shape else values
    if values.ndim != 1 or len(values) != n_rows:
        raise ValueError(
            f"y has length {len(values) if values.ndim else 0} but X has {n_rows} rows: pass one "
            "label per row, with -1 (or None) for unlabelled rows."
        )
    unlabelled = np.array([_is_unlabelled(v) for v in values], dtype=bool)
    anchor_index = np.flatnonzero(~unlabelled)
    labels = values[anchor_index]
    kinds = {type(v).__name__ if isinstance(v, str) else "number" for v in labels}
    if len(kinds) > 1:
        raise ValueError(
            "y mixes strings and numbers among the labelled rows; use one kind of label "
            "(e.g. all strings), with -1 or None for unlabelled rows."
        )
    if kinds == {"number"}:
        labels = np.array(labels.tolist())
    return anchor_index, labels


def _is_unlabelled(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(value == -1) or bool(np.isnan(value))
    except TypeError:
        return False


@dataclass
class PreparedInputs:
    """Validated user input and the model's views of it.

    X (N, D) float64, anchor_index (A,), anchor_labels (A,) as given, features (N, input_dim),
    geometry (N, G)."""

    X: np.ndarray
    anchor_index: np.ndarray
    anchor_labels: np.ndarray
    model: object
    features: np.ndarray
    geometry: np.ndarray


def prepare_inputs(X, y, weights=None, device: str = "cpu",
                   scale_columns: bool = True) -> PreparedInputs:
    """Validate X and y (ValueError on bad input), load the weights once per process and
    compute the model's views of X (`scale_columns`: z-score each column, see
    ``preprocessing``). Shared by the estimator and ``explain``."""
    X_valid = validate_features(X)
    anchor_index, anchor_labels = split_targets(y, X_valid.shape[0])
    model = cached_model(str(Path(weights or SHIPPED_WEIGHTS)), device)
    features, geometry = model_views(X_valid, model.config.input_dim,
                                     scale_columns=scale_columns)
    return PreparedInputs(X_valid, anchor_index, anchor_labels, model, features, geometry)


class PFNClusterer(ClusterMixin, BaseEstimator):
    """Cluster every row from a few labelled rows (anchors) in one forward pass.

    Parameters (keyword-only)
    ----------
    weights : path or None
        A ``.safetensors`` weights file; None uses the shipped ``weights/pfn_clusterer``.
    device : str
        "cpu" or "cuda".
    n_clusters : int or None
        Used only when no row is labelled: the model starts from this many density-peak
        seeds and re-anchors on its most confident points. Required in that case.
    context_size : int
        How many unlabelled rows join the anchors as context tokens. The default, 0, attends
        to the anchors alone: unlabelled rows still shape the clustering through the path
        distances (they are the landmarks of the neighbour graph), and on the benchmark
        this beat 64 sampled rows (see BENCHMARKS.md).
    n_ensemble : int
        Average over this many sets of label codes (more is slower and steadier).
    refine_rounds : int
        After a first pass, add each class's most confident rows as extra anchors and run
        again, this many times (0 = a single pass when anchors are given).
    scale_columns : bool
        True (default): z-score every column, for tables whose columns have different units.
        False: keep the columns' relative spreads (centred, one common factor), for columns
        that already share a unit (pixels, coordinates, principal components); z-scoring
        those gives faint directions as much weight as strong ones.

    Fitted attributes
    -----------------
    labels_ : (N,) a label for every row; anchors keep their own.
    proba_ : (N, K) probabilities, columns ordered as ``classes_``; anchors are one-hot.
    classes_ : (K,) sorted distinct anchor labels (or 0..K-1 without anchors).
    confidence_ : (N,) the highest probability of each row.
    anchor_mask_ : (N,) True where the row was an anchor.
    n_features_in_ : int.

    NaN values are filled with the column median; infinities and non-numeric columns are
    refused with a ValueError naming the column.
    """

    def __init__(self, *, weights=None, device: str = "cpu", n_clusters: int | None = None,
                 context_size: int = DEFAULT_CONTEXT_SIZE, n_ensemble: int = 1,
                 refine_rounds: int = 0, scale_columns: bool = True):
        self.weights = weights
        self.device = device
        self.n_clusters = n_clusters
        self.context_size = context_size
        self.n_ensemble = n_ensemble
        self.refine_rounds = refine_rounds
        self.scale_columns = scale_columns

    def fit(self, X, y=None):
        """Cluster X (N, D) given y (N,) with -1/None for unlabelled rows. Returns self."""
        prepared = prepare_inputs(X, y, self.weights, self.device, self.scale_columns)
        X_valid, model = prepared.X, prepared.model
        features, geometry = prepared.features, prepared.geometry
        anchor_index, anchor_labels = prepared.anchor_index, prepared.anchor_labels
        n_rows = X_valid.shape[0]

        def run(index, classes, n_classes):
            return predict_proba(
                model, X_valid, features, geometry, index, classes, n_classes,
                context_size=self.context_size, n_ensemble=self.n_ensemble, device=self.device,
            )

        if len(anchor_index) == 0:
            if self.n_clusters is None:
                raise ValueError(
                    "no anchors: label at least one row per cluster in y (other rows -1), "
                    "or pass n_clusters=K to cluster without anchors."
                )
            classes = np.arange(self.n_clusters)
            seeds = density_peak_seeds(geometry, X_valid, self.n_clusters)
            proba = run(seeds, np.arange(self.n_clusters), self.n_clusters)
            for per_class in (5, 10):
                index, cls = confident_anchors(proba, per_class, np.zeros(0, dtype=np.int64))
                proba = run(index, cls, self.n_clusters)
        else:
            classes, anchor_class = np.unique(anchor_labels, return_inverse=True)
            proba = run(anchor_index, anchor_class, len(classes))
            for _ in range(self.refine_rounds):
                counts = np.bincount(anchor_class, minlength=len(classes))
                extra, extra_class = confident_anchors(proba, int(counts.max()), anchor_index)
                proba = run(np.concatenate([anchor_index, extra]),
                            np.concatenate([anchor_class, extra_class]), len(classes))
            proba[anchor_index] = 0.0
            proba[anchor_index, anchor_class] = 1.0

        self.classes_ = np.asarray(classes)
        self.proba_ = proba
        self.labels_ = self.classes_[proba.argmax(1)]
        self.confidence_ = proba.max(1)
        self.anchor_mask_ = np.zeros(n_rows, dtype=bool)
        self.anchor_mask_[anchor_index] = True
        self.n_features_in_ = X_valid.shape[1]
        return self

    def fit_predict(self, X, y=None, **kwargs):
        """Cluster X and return ``labels_`` (N,)."""
        return self.fit(X, y).labels_
