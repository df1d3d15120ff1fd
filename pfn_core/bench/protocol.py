"""The clustering-quality protocol (../shared/bench/PROTOCOL.md), step by step.

Legend: N=points, D=columns, A=anchors.

1. Noise rows are dropped when a dataset is read (``datasets.load_dataset``).
2. ``standardize_for_protocol``: z-score every column, dropping constant ones; PCA to 50
   columns (``PCA(50, random_state=0)``) when more than 50 remain.
3. ``draw_anchors``: per anchor level `a` and seed `s`, the anchor rows.
4. ``score_without_anchors``: adjusted Rand index on the rows that are not anchors.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

LEVELS = (0, 1, 3, 10)
SEEDS = (0, 1, 2)
MAX_COLUMNS = 50
UNLABELLED = -1


def standardize_for_protocol(X) -> np.ndarray:
    """Z-score every column (population std), drop constant columns, PCA-50 if wider.

    X (N, D) -> (N, D') float64 with D' <= 50."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be 2-D with at least two rows, got shape {X.shape}.")
    if not np.isfinite(X).all():
        raise ValueError("X has NaN or infinite values; the protocol expects complete data.")
    varying = np.ptp(X, axis=0) > 0
    if not varying.any():
        raise ValueError("every column of X is constant: nothing to cluster on.")
    X = X[:, varying]
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    if Z.shape[1] > MAX_COLUMNS:
        Z = PCA(MAX_COLUMNS, random_state=0).fit_transform(Z)
    return Z


def draw_anchors(y, a: int, seed: int) -> np.ndarray:
    """Anchor row indices for level `a` and seed `seed`.

    rng = default_rng(seed); for each class c in sorted unique y, draw
    min(a, max(size_c - 1, 1)) of its rows without replacement, in that order.
    y (N,) -> (A,) int64 (empty for a = 0)."""
    if a < 0:
        raise ValueError(f"anchor level must be >= 0, got {a}.")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        take = min(a, max(len(members) - 1, 1))
        picked.append(rng.choice(members, take, replace=False))
    if not picked:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(picked).astype(np.int64)


def partial_labels(y, anchors: np.ndarray) -> np.ndarray:
    """y restricted to the anchors: the anchors keep their label, every other row is -1.

    y (N,) int, anchors (A,) -> (N,) int64"""
    y = np.asarray(y)
    if (y == UNLABELLED).any():
        raise ValueError("reference labels may not contain -1 (it marks unlabelled rows).")
    out = np.full(len(y), UNLABELLED, dtype=np.int64)
    out[anchors] = y[anchors]
    return out


def label_codes(labels) -> np.ndarray:
    """Labels of any kinds as integer codes, one per distinct label (the model names the
    clusters it finds beside integer anchor labels "new 1", "new 2", ..., which numpy
    cannot sort together with the integers).  (N,) -> (N,) int"""
    return np.unique(np.asarray(labels).astype(str), return_inverse=True)[1].reshape(-1)


def score_without_anchors(y_true, y_pred, anchors: np.ndarray) -> float:
    """Adjusted Rand index over the rows that are not anchors.  (N,), (N,), (A,) -> float"""
    y_true, y_pred = np.asarray(y_true), label_codes(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_pred)} predictions for {len(y_true)} rows.")
    scored = np.ones(len(y_true), dtype=bool)
    scored[anchors] = False
    return float(adjusted_rand_score(y_true[scored], y_pred[scored]))
