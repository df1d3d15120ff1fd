"""Clusters nobody labelled: rows that belong to none of the anchored classes.

With anchors for only some clusters, a plain fit forces every row into one of them. Here
the model is asked once more, with the user's anchors *and* over-seeded candidate
sub-clusters (density peaks, ``seeding.density_peak_seeds``, a few pseudo-anchors each) in
one context. The sub-clusters are the table's, found in its own metric whatever the labels
(``candidate_subclusters``, computed once per table, so a re-cluster with other anchors
costs one pass less). A sub-cluster cut out of an anchored cluster shares rows with it,
and the model hesitates between them; a sub-cluster of a cluster nobody labelled does
not. Merging by that confusion (``discovery.merge_heights``, with the anchored classes
never merged with each other) ends with every sub-cluster absorbed by an anchored class,
and the merges that absorb an unlabelled cluster are much harder than the rest. So the
number of new clusters is where the merge heights fall most, provided the fall is at
least ``MIN_LOG_GAP`` (else none); each new cluster's sub-clusters lend their
pseudo-anchors to a final anchored fit, and it is named ``new 1``, ``new 2``, ...
(largest first).

Before that, one case needs no model at all: a piece of the table's neighbour graph that
holds no anchor (``unanchored_pieces``; the pieces are ``graph_pieces``'s, in the table's
own metric). Nothing links its rows to any anchor, so no anchored class can claim them:
each such piece is a new cluster, with ``PIECE_ANCHORS`` of its rows (in content order) as
pseudo-anchors, and it enters the confusion pass above as a class of its own, so that
further new clusters (inside a piece or elsewhere) are still found by the merge heights.
The confusion alone missed them: two interlocked rings (chainlink) or a line beside a blob,
one of them anchored, gave log falls of 0.9-1.2 between merges that are all hard, and
everything went to the anchored class (ARI 0). Pieces come first among the new clusters,
largest first.

That pass runs in the metric of the anchored fit (the anchors' own, ``anchor_metric``, once
they average 5 per class). Run in the table's metric instead, its paths would be the same
from one re-cluster to the next (kept on the base graph, ``geodesic.BaseGraph.paths_from``)
and studio rounds of 320-row lassos at 10,000 rows took 0.32-0.37 s instead of 0.51-0.54 s;
but where a class spans several separate clusters (1,000 anchors in 3 classes, each class 3
or 4 of 10 blobs, ``bench.speed --anchors many1000``) it then named 1 to 7 of the anchored
blobs as new clusters and ARI fell from 0.98 to 0.35: in the table's metric a class's blobs
look like strangers to it. Not kept (``tests/test_new_clusters.py`` holds that case).

``MIN_LOG_GAP`` and the sub-cluster counts were chosen on the dev suite: with every cluster
anchored (1, 3 or 10 per cluster, seeds 0-1) the largest fall seen was 2.84 once (ecoli,
10 anchors) and below 1.9 otherwise, while a random half of the clusters anchored gave
falls up to 5.2; 2.0 trades missed clusters for no false ones on that suite
(``python -m pfn_core.bench.new_clusters`` measures both sides).

Legend: N=rows, R=scored (pilot) rows, A=anchors, K=anchored classes, M=sub-clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pfn_core.carry import representative_anchors
from pfn_core.discovery import SUBCLUSTER_ANCHORS, groups_after, merge_heights
from pfn_core.graph_pieces import PIECE_MIN_LANDMARKS, big_pieces, graph_components
from pfn_core.prepared_inputs import pilot_rows
from pfn_core.seeding import density_peak_seeds

NEW_SUBCLUSTERS = 48  # candidate sub-clusters beside the anchored classes
NEW_MIN_ROWS = 5  # short tables get at most N // 5 candidate sub-clusters
MAX_NEW = 16  # at most this many new clusters
MIN_LOG_GAP = 2.0  # a fall of at least e^2 in confusion marks a new cluster
NEW_NAME = "new {}"
DISCOVERY_ROWS = 2048  # longer tables: both passes score this many rows (content order)
PIECE_ANCHORS = 5  # pseudo-anchors per anchor-free piece of the graph


@dataclass(frozen=True)
class NewClusters:
    """index (A',), index_class (A',) in K..K+n_new-1: pseudo-anchors of the new clusters;
    n_new: how many, the unanchored pieces of the graph included; evidence: {n: log gap}
    for each count n >= 1 of new clusters the model's confusion could add beyond those
    pieces."""

    index: np.ndarray
    index_class: np.ndarray
    n_new: int
    evidence: dict[int, float]


def candidate_subclusters(estimator, table, n_sub: int, rows: np.ndarray) -> np.ndarray:
    """The candidate sub-clusters: `n_sub` density peaks of the table, each the one anchor
    of its own class in one pass that scores `rows` (R,). They do not depend on the labels
    (`table`: the ``PreparedInputs`` in the table's own metric), so they are computed once
    per table and kept on its views: a re-cluster with other anchors only picks each
    sub-cluster's pseudo-anchors again, away from the new anchors.
    -> (R, n_sub) the rows' probabilities over the sub-clusters"""
    key = ("candidate_subclusters", table.model, estimator.device, estimator.n_ensemble,
           estimator.context_size, n_sub, len(rows))
    derived = table.views.derived
    if key not in derived:
        peaks = density_peak_seeds(table.geometry, table.X, n_sub, order=table.content_order)
        derived[key] = estimator._pass(table, peaks, np.arange(n_sub), n_sub, rows=rows)
    return derived[key]


def unanchored_pieces(prepared, per_piece: int = PIECE_ANCHORS) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-anchors of the pieces of the neighbour graph (``graph_pieces.big_pieces``)
    that hold no anchor: up to `per_piece` rows of each, first in content order, pieces
    largest first. An anchor belongs to the piece of its nearest base landmark.
    -> (rows (P,), piece (P,) numbered 0.. per piece)"""
    none = np.zeros(0, np.int64), np.zeros(0, np.int64)
    table = prepared.in_table_metric()
    base_rows = table.views.base_graph.rows
    position = np.full(len(prepared.X), -1, dtype=np.int64)
    position[base_rows] = np.arange(len(base_rows))
    nearest = prepared.attachment.rows[prepared.anchor_index, 0]
    at = np.where(position[prepared.anchor_index] >= 0, position[prepared.anchor_index],
                  position[nearest])
    # The common case first, cheaply: every component large enough to count holds an
    # anchor, so every piece (a union of components) does too.
    component = graph_components(table)
    sizes = np.bincount(component)
    could_count = np.flatnonzero(sizes >= PIECE_MIN_LANDMARKS)
    if np.isin(could_count, component[at]).all():
        return none
    piece, big = big_pieces(table)
    free = big[~np.isin(big, piece[at])]
    rows, numbers = [], []
    for number, p in enumerate(free):
        members = base_rows[piece == p]
        chosen = members[np.argsort(prepared.content_rank[members], kind="stable")[:per_piece]]
        rows.append(chosen)
        numbers.append(np.full(len(chosen), number))
    if not rows:
        return none
    return np.concatenate(rows).astype(np.int64), np.concatenate(numbers).astype(np.int64)


def find_new_clusters(estimator, prepared, max_new: int = MAX_NEW,
                      min_log_gap: float = MIN_LOG_GAP) -> NewClusters:
    """Look for clusters that hold no anchor.

    estimator: a ``PFNClusterer`` (its ``_pass`` runs the model);
    prepared: its ``PreparedInputs`` with at least one anchor."""

    n_classes = len(prepared.classes)
    piece_index, piece_number = unanchored_pieces(prepared)
    n_pieces = int(piece_number.max()) + 1 if len(piece_number) else 0
    pieces = NewClusters(piece_index, n_classes + piece_number, n_pieces, {})
    n_sub = min(NEW_SUBCLUSTERS, len(prepared.X) // NEW_MIN_ROWS)
    if n_sub < 2:
        return pieces
    # The anchored classes and the unanchored pieces are fixed classes: never merged.
    n_anchored = n_classes + n_pieces
    rows = pilot_rows(prepared, DISCOVERY_ROWS)
    sub_proba = candidate_subclusters(estimator, prepared.in_table_metric(), n_sub, rows)
    taken = np.concatenate([prepared.anchor_index, piece_index])
    sub_index, sub_class = estimator._anchors_from_pilot(
        prepared, sub_proba, SUBCLUSTER_ANCHORS, taken, rows)
    # The anchors enter as the anchored fit's context does: a uniform sample of a class
    # with many (``carry.representative_anchors``), so a lasso of hundreds costs no more.
    context, context_class = representative_anchors(
        prepared.anchor_index, prepared.anchor_class,
        prepared.content_rank[prepared.anchor_index])
    index = np.concatenate([context, piece_index, sub_index])
    index_class = np.concatenate([context_class, pieces.index_class, n_anchored + sub_class])
    proba = estimator._pass(prepared, index, index_class, n_anchored + n_sub, rows=rows)
    heights, merges = merge_heights(proba, n_anchored)
    log_height = np.log(np.maximum(heights, 0.0) + 1e-12)
    top = min(max_new, n_sub)
    evidence = {n_new: float(log_height[n_anchored + n_new - 1]
                             - log_height[n_anchored + n_new - 2])
                for n_new in range(1, top + 1)
                if n_anchored + n_new - 2 >= 0 and n_anchored + n_new - 1 < len(heights)}
    if not evidence:
        return pieces
    n_new = max(evidence, key=lambda n: (evidence[n], -n))
    if evidence[n_new] < min_log_gap:
        return replace(pieces, evidence=evidence)
    group = groups_after(merges, n_anchored + n_sub, n_anchored + n_new)
    holds_anchor = np.zeros(n_anchored + n_sub, dtype=bool)
    holds_anchor[np.unique(group[:n_anchored])] = True
    sub_group = group[n_anchored:]
    new_groups = np.unique(sub_group[~holds_anchor[sub_group]])
    # Largest first (rows predicted into the group), ties by group number.
    predicted_group = group[proba.argmax(1)]
    sizes = np.array([(predicted_group == g).sum() for g in new_groups])
    new_groups = new_groups[np.lexsort((new_groups, -sizes))]
    keep = np.isin(sub_group[sub_class], new_groups)
    rank = {int(g): i for i, g in enumerate(new_groups)}
    new_class = np.array([n_anchored + rank[int(g)] for g in sub_group[sub_class[keep]]],
                         dtype=np.int64)
    return NewClusters(np.concatenate([piece_index, sub_index[keep]]),
                       np.concatenate([pieces.index_class, new_class]),
                       n_pieces + len(new_groups), evidence)


def with_new_clusters(estimator, prepared, found: NewClusters):
    """The anchored fit again, with the new clusters' pseudo-anchors as extra classes.

    -> (classes (K + n_new,) the anchored classes then "new 1", "new 2", ..., proba
    (N, K + n_new); the user's anchors and the pseudo-anchors are one-hot, and the fit's
    ``FittedPass``)"""
    names = [NEW_NAME.format(i + 1) for i in range(found.n_new)]
    classes = np.array(list(prepared.classes) + names, dtype=object)
    anchor_labels = np.concatenate([np.asarray(prepared.anchor_labels, dtype=object),
                                    classes[found.index_class]])
    widened = replace(
        prepared,
        anchor_index=np.concatenate([prepared.anchor_index, found.index]),
        anchor_labels=anchor_labels,
        classes=classes,
        anchor_class=np.concatenate([prepared.anchor_class, found.index_class]),
    )
    _, proba, fitted_pass = estimator._cluster_from_anchors(widened, len(prepared.classes))
    return classes, proba, fitted_pass
