"""Clustering without anchors by over-seeding and merging, and the cut that picks a start.

Density peaks (``seeding.density_peak_seeds``) name one seed per cluster. In many columns
they often land twice in one dense cluster and miss a sparse one (on MNIST, 3 of 10 seeds
fell on the digit 1 and none on 2, 3, 7 or 9). Over-seeding asks for more peaks than
clusters, so that every cluster is likely to hold one, lets the model cluster into those
sub-clusters, and merges them back to K where the model itself hesitates between them:
``merge_by_confusion`` is average linkage on the model's soft confusion.

Over-seeding also splits clusters that one seed each would have found (thin curves cut
into pieces the model is sure of, which then merge wrongly). So the estimator runs both
starts and keeps the partition that cuts fewer links of the table's neighbour graph
(``graph_cut_fraction``): a criterion of the data alone, no labels involved.
"""

from __future__ import annotations

import numpy as np

from pfn_core.geodesic import BaseGraph


def merge_by_confusion(proba: np.ndarray, n_clusters: int) -> np.ndarray:
    """Merge M sub-clusters into `n_clusters` groups by the model's confusion between them.

    confusion(a, b) = (probability mass on b of the rows predicted a, plus the reverse)
    divided by n_a * n_b (average linkage, so a large group does not absorb the others
    just by being large). The most confused pair merges first; ties go to the lower
    sub-cluster numbers.

    proba (R, M) rows' probabilities over sub-clusters, R >= 1 -> (M,) group in
    0..n_clusters-1 of each sub-cluster (groups numbered by their lowest sub-cluster)."""
    n_sub = proba.shape[1]
    if not 1 <= n_clusters <= n_sub:
        raise ValueError(f"cannot merge {n_sub} sub-clusters into {n_clusters} groups.")
    predicted = proba.argmax(1)
    mass = np.zeros((n_sub, n_sub))
    np.add.at(mass, predicted, proba)  # mass[a, b]: probability on b of rows predicted a
    shared = mass + mass.T
    sizes = np.bincount(predicted, minlength=n_sub).astype(np.float64)
    group = np.arange(n_sub)
    alive = np.ones(n_sub, dtype=bool)
    for _ in range(n_sub - n_clusters):
        score = shared / np.maximum(np.outer(sizes, sizes), 1e-9)
        score[~alive] = -np.inf
        score[:, ~alive] = -np.inf
        np.fill_diagonal(score, -np.inf)
        keep, gone = np.unravel_index(np.argmax(score), score.shape)
        keep, gone = min(keep, gone), max(keep, gone)
        shared[keep] += shared[gone]
        shared[:, keep] += shared[:, gone]
        shared[keep, keep] = 0.0
        sizes[keep] += sizes[gone]
        alive[gone] = False
        group[group == gone] = keep
    _, numbered = np.unique(group, return_inverse=True)
    return numbered.astype(np.int64)


def graph_cut_fraction(labels: np.ndarray, graph: BaseGraph) -> float:
    """Share of the neighbour graph's links that join rows of different clusters.

    labels (N,) a cluster for every row of the table; graph: the table's landmark graph
    (``geodesic.base_graph``) -> float in [0, 1], lower = clusters follow the data."""
    own = labels[graph.rows]
    return float((own[:, None] != own[graph.neighbours]).mean())
