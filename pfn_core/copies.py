"""Identical rows: the model clusters each distinct row once, and every copy takes its result.

Copies of a row add weight but no shape, and they distort what the model measures along the
data: a row's nearest neighbours are its own copies (the links of the neighbour graph that
carry paths have length 0 or jump past them), density peaks fall on the most repeated
values, and a sub-cluster made of one row's copies is certain of all its rows, so its
confusion with every other is nil and reads as overwhelming evidence for one more cluster.
Tables of counts, ratings or survey answers are full of copies. Three groups of 2,000
answers to 6 questions on a 1-5 scale (841 distinct rows, a throwaway check): K was
estimated at 26 and the clustering at K = 3 scored ARI 0.887 (K-means 1.000); fitted on the
distinct rows, K = 3 and ARI 0.997. On the dev suite, where copies are rare (statlog 9.7%
of its rows, yeast 2.1%, four tables one row each), see BENCHMARKS.md.

``PFNClusterer.fit`` asks ``distinct_fit_targets`` whether to fit the distinct rows; it
declines when there are no copies, when fewer than two distinct rows are left, or when
copies of one row carry different labels (the anchors then keep their own labels in the
usual fit). Without anchors it also declines when a given K exceeds the distinct rows,
and, when K is to be estimated, below ``MIN_ROWS_TO_ESTIMATE_K`` distinct rows, too few to
over-seed (``discovery``): a 2-column table rounded to a 5 x 5
grid (16 distinct values in 1,626 rows) was then given K = 1, where the table as given
gets an estimate (``python -m pfn_core.bench.copies``, rounded prior draws).

Legend: N=rows, U=distinct rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pfn_core.discovery import MIN_ROWS_PER_SUBCLUSTER

MIN_ROWS_TO_ESTIMATE_K = 3 * MIN_ROWS_PER_SUBCLUSTER  # three sub-clusters to merge


@dataclass(frozen=True)
class DistinctRows:
    """rows (U,) sorted ids of each distinct row's first copy (in content order);
    position (N,) each row's position in `rows`; targets (U,) object: the label of each
    distinct row (its labelled copies' label) or None."""

    rows: np.ndarray
    position: np.ndarray
    targets: np.ndarray


def distinct_fit_targets(copy_of: np.ndarray, anchor_index: np.ndarray,
                         anchor_labels: np.ndarray,
                         n_clusters: int | None = None) -> DistinctRows | None:
    """The distinct rows to fit instead of the table, or None to fit the table itself.

    copy_of (N,) each row's first copy (``TableViews.copy_of``), anchor_index (A,) the
    labelled rows, anchor_labels (A,) their labels; n_clusters: the estimator's, read when
    no row is labelled (None: K is estimated) -> DistinctRows or None"""
    rows, position = np.unique(copy_of, return_inverse=True)
    least = 2 if len(anchor_index) else n_clusters or MIN_ROWS_TO_ESTIMATE_K
    if len(rows) == len(copy_of) or len(rows) < max(least, 2):
        return None
    targets = np.full(len(rows), None, dtype=object)
    for row, label in zip(position[anchor_index].tolist(), list(anchor_labels), strict=True):
        if targets[row] is not None and targets[row] != label:
            return None  # identical rows named differently: only the usual fit keeps both
        targets[row] = label
    return DistinctRows(rows, position.reshape(-1), targets)


def to_every_row(proba: np.ndarray, distinct: DistinctRows) -> np.ndarray:
    """The distinct rows' probabilities given to every copy. proba (U, K) -> (N, K)"""
    return proba[distinct.position]
