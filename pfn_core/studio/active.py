"""Which rows to label next: the ones the model is least sure about (margin uncertainty)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def uncertainty(proba) -> np.ndarray:
    """1 - (top-1 minus top-2 probability) per row.  proba (N, K) -> (N,) in [0, 1].

    Higher means less sure: 1 when the two best clusters tie, 0 when one cluster has all the
    mass. With K = 1 there is nothing to choose between, so every row scores 0.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] == 0:
        raise ValueError(
            f"proba must be (n_rows, n_clusters) with at least one cluster, got {proba.shape}."
        )
    if proba.shape[1] == 1:
        return np.zeros(proba.shape[0])
    top_two = -np.partition(-proba, 1, axis=1)[:, :2]  # (N, 2): best, second best
    return 1.0 - (top_two[:, 0] - top_two[:, 1])


def suggest_next(proba, n: int = 10, exclude: Iterable[int] = ()) -> list[int]:
    """Row ids of the ``n`` most uncertain rows not in ``exclude`` (e.g. the anchors).

    proba (N, K) -> at most n row ids, most uncertain first; ties go to the smaller row id.
    """
    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}.")
    scores = uncertainty(proba)
    row_ids = np.arange(len(scores))
    keep = ~np.isin(row_ids, np.fromiter((int(r) for r in exclude), dtype=np.int64))
    scores, row_ids = scores[keep], row_ids[keep]
    order = np.lexsort((row_ids, -np.nan_to_num(scores, nan=-np.inf)))
    return [int(r) for r in row_ids[order[:n]]]
