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
(largest first). A candidate that the user's own anchors fall in (scored in the same pass)
is theirs, not new (``anchored_owners``).

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

With one to three anchors per class, the same pass is also read as a candidate fit
(``find_new_clusters(as_fit=True)``, ``DiscoveryFit``); ``discovery_fit`` says when, and
how it is chosen against the usual anchored fit.

That pass runs in the metric of the anchored fit (the anchors' own, ``anchor_metric``, once
they average 5 per class). Run in the table's metric instead, its paths would be the same
from one re-cluster to the next (kept on the base graph, ``geodesic.BaseGraph.paths_from``)
and studio rounds of 320-row lassos at 10,000 rows took 0.32-0.37 s instead of 0.51-0.54 s;
but where a class spans several separate clusters (1,000 anchors in 3 classes, each class 3
or 4 of 10 blobs, ``bench.speed --anchors many1000``) it then named 1 to 7 of the anchored
blobs as new clusters and ARI fell from 0.98 to 0.35: in the table's metric a class's blobs
look like strangers to it. Not kept (``tests/test_new_clusters.py`` holds that case).

Sub-clusters must be finer than the classes they are merged into: a table gets
``NEW_SUBCLUSTERS`` of them, or 3 per anchored class where that is more (``subcluster_count``),
and one too short for that (at most one sub-cluster per 5 rows) looks for new clusters among
its graph's pieces only. On the 160 prior draws ``python -m pfn_core.calibrate`` fits on,
every class anchored, fits that found a cluster that was not there numbered 6 / 5 / 6 at 1 /
3 / 10 anchors per class before that bound and 5 / 5 / 1 with it: at 10 per class, 142 rows
in 14 classes, 126 of them anchors, had made 16 "new" clusters of the 16 other rows (and
moved the temperatures fitted on those draws).

``MIN_LOG_GAP`` and the sub-cluster counts were chosen on the dev suite: with every cluster
anchored (1, 3 or 10 per cluster, seeds 0-1) the largest fall seen was 2.84 once (ecoli,
10 anchors) and below 1.9 otherwise, while a random half of the clusters anchored gave
falls up to 5.2; 2.0 trades missed clusters for no false ones on that suite
(``python -m pfn_core.bench.new_clusters`` measures both sides).

Legend: N=rows, R=scored (pilot) rows, A=anchors, K=anchored classes, M=sub-clusters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from pfn_core.anchored_fit import cluster_from_anchors, forward_pass
from pfn_core.carry import representative_anchors
from pfn_core.discovery import SUBCLUSTER_ANCHORS, groups_after, merge_heights
from pfn_core.graph_pieces import (
    PIECE_MIN_LANDMARKS,
    base_positions,
    big_pieces,
    graph_components,
)
from pfn_core.inference import ScoringContext, merge_columns, score_rows
from pfn_core.prepared_inputs import pilot_rows
from pfn_core.seeding import anchors_from_pilot, density_peak_seeds
from pfn_core.without_anchors import DEFAULT_OVERSEED

NEW_SUBCLUSTERS = 48  # candidate sub-clusters beside the anchored classes
NEW_MIN_ROWS = 5  # short tables get at most N // 5 candidate sub-clusters
MAX_NEW = 16  # at most this many new clusters
MIN_LOG_GAP = 2.0  # a fall of at least e^2 in confusion marks a new cluster
NEW_NAME = "new {}"
ANCHORS_DENY_NEW = 3  # a candidate new cluster that this many user anchors fall in is theirs
CHECKED_ANCHORS = 256  # anchors (not context tokens) scored for that check, at most
DISCOVERY_ROWS = 2048  # longer tables: both passes score this many rows (content order)
PIECE_ANCHORS = 5  # pseudo-anchors per anchor-free piece of the graph
SUBCLUSTERS_PER_CLASS = DEFAULT_OVERSEED  # read as the fit: sub-clusters finer than classes


@dataclass(frozen=True)
class DiscoveryFit:
    """The discovery pass read as the fit (``find_new_clusters(as_fit=True)``): proba
    (S, K + n_new) for the sorted rows `rows` (S,), each sub-cluster's column added to the
    class its group became; scoring: the pass's context, which merges the columns of new
    rows the same way (``ScoringContext.column_class``); n_context_anchors: the user's
    anchors among its tokens."""

    rows: np.ndarray
    proba: np.ndarray
    scoring: ScoringContext
    n_context_anchors: int


@dataclass(frozen=True)
class NewClusters:
    """index (A',), index_class (A',) in K..K+n_new-1: pseudo-anchors of the new clusters;
    n_new: how many, the unanchored pieces of the graph included; evidence: {n: log gap}
    for each count n >= 1 of new clusters the model's confusion could add beyond those
    pieces; fit: the discovery pass as the fit, when asked for."""

    index: np.ndarray
    index_class: np.ndarray
    n_new: int
    evidence: dict[int, float]
    fit: DiscoveryFit | None = None


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
        derived[key] = forward_pass(estimator, table, peaks, np.arange(n_sub), n_sub, rows=rows)
    return derived[key]


def _new_groups(merges, proba: np.ndarray, n_anchored: int, n_sub: int, n_new: int):
    """The groups once the merges leave `n_new` beyond the anchored ones, and which of them
    are new. proba (R, n_anchored + n_sub) -> (group (n_anchored + n_sub,) of each column,
    new_groups (G,) the groups that hold no anchored column, sizes (G,) the rows predicted
    into each)"""
    group = groups_after(merges, n_anchored + n_sub, n_anchored + n_new)
    holds_anchor = np.zeros(n_anchored + n_sub, dtype=bool)
    holds_anchor[np.unique(group[:n_anchored])] = True
    sub_group = group[n_anchored:]
    new_groups = np.unique(sub_group[~holds_anchor[sub_group]])
    predicted_group = group[proba.argmax(1)]
    sizes = np.array([(predicted_group == g).sum() for g in new_groups], dtype=np.int64)
    return group, new_groups, sizes


def unanchored_pieces(prepared, per_piece: int = PIECE_ANCHORS) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-anchors of the pieces of the neighbour graph (``graph_pieces.big_pieces``)
    that hold no anchor: up to `per_piece` rows of each, first in content order, pieces
    largest first. An anchor belongs to the piece of its nearest base landmark.
    -> (rows (P,), piece (P,) numbered 0.. per piece)"""
    none = np.zeros(0, np.int64), np.zeros(0, np.int64)
    table = prepared.in_table_metric()
    at = base_positions(table, prepared.anchor_index,
                        prepared.attachment.rows[prepared.anchor_index, 0])
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
        members = table.views.base_graph.rows[piece == p]
        chosen = members[np.argsort(prepared.content_rank[members], kind="stable")[:per_piece]]
        rows.append(chosen)
        numbers.append(np.full(len(chosen), number))
    if not rows:
        return none
    return np.concatenate(rows).astype(np.int64), np.concatenate(numbers).astype(np.int64)


def find_new_clusters(estimator, prepared, max_new: int = MAX_NEW,
                      min_log_gap: float = MIN_LOG_GAP, as_fit: bool = False) -> NewClusters:
    """Look for clusters that hold no anchor.

    estimator: a ``PFNClusterer`` (its ``_pass`` runs the model);
    prepared: its ``PreparedInputs`` with at least one anchor;
    as_fit: also read the discovery pass as the fit itself (``DiscoveryFit``, see
    the module's docstring), on the rows the pass scores (the first ``DISCOVERY_ROWS`` in
    content order on longer tables); the evidence and the new clusters are the same."""

    n_classes = len(prepared.classes)
    piece_index, piece_number = unanchored_pieces(prepared)
    n_pieces = int(piece_number.max()) + 1 if len(piece_number) else 0
    pieces = NewClusters(piece_index, n_classes + piece_number, n_pieces, {})
    n_sub = subcluster_count(len(prepared.X), n_classes)
    if n_sub < SUBCLUSTERS_PER_CLASS * n_classes:
        return pieces  # too few rows for sub-clusters finer than the classes
    # The anchored classes and the unanchored pieces are fixed classes: never merged.
    n_anchored = n_classes + n_pieces
    rows = pilot_rows(prepared, DISCOVERY_ROWS)
    sub_proba = candidate_subclusters(estimator, prepared.in_table_metric(), n_sub, rows)
    taken = np.concatenate([prepared.anchor_index, piece_index])
    sub_index, sub_class = anchors_from_pilot(sub_proba, rows, SUBCLUSTER_ANCHORS, taken,
                                              prepared.content_rank)
    # The anchors enter as the anchored fit's context does: a uniform sample of a class
    # with many (``carry.representative_anchors``), so a lasso of hundreds costs no more.
    context, context_class = representative_anchors(
        prepared.anchor_index, prepared.anchor_class,
        prepared.content_rank[prepared.anchor_index])
    index = np.concatenate([context, piece_index, sub_index])
    index_class = np.concatenate([context_class, pieces.index_class, n_anchored + sub_class])
    scoring = []
    proba = forward_pass(estimator, prepared, index, index_class, n_anchored + n_sub,
                         rows=rows, scoring_out=scoring)
    heights, merges = merge_heights(proba, n_anchored)
    log_height = np.log(np.maximum(heights, 0.0) + 1e-12)
    top = min(max_new, n_sub)
    evidence = {n_new: float(log_height[n_anchored + n_new - 1]
                             - log_height[n_anchored + n_new - 2])
                for n_new in range(1, top + 1)
                if n_anchored + n_new - 2 >= 0 and n_anchored + n_new - 1 < len(heights)}
    n_new = max(evidence, key=lambda n: (evidence[n], -n)) if evidence else 0
    if n_new and evidence[n_new] < min_log_gap:
        n_new = 0
    while True:  # fewer new clusters until each one takes at least one row
        group, new_groups, sizes = _new_groups(merges, proba, n_anchored, n_sub, n_new)
        if n_new == 0 or sizes.min(initial=1) > 0:
            break
        n_new -= 1
    if len(new_groups):  # a group the user's anchors lie in is theirs, not new
        owner = anchored_owners(estimator, prepared, scoring[0], context, group, new_groups)
        for g, c in owner.items():
            group[group == g] = group[c]
        unowned = ~np.isin(new_groups, list(owner))
        new_groups, sizes = new_groups[unowned], sizes[unowned]
    new_groups = new_groups[np.lexsort((new_groups, -sizes))]  # largest first, then by number
    sub_group = group[n_anchored:]
    # Each column's class: an anchored class or piece keeps its own number (it names its
    # group), a new group's columns are n_anchored + its rank.
    column_class = group.copy()
    for rank, g in enumerate(new_groups.tolist()):
        column_class[group == g] = n_anchored + rank
    fit = None
    if as_fit:
        scoring[0].column_class = column_class
        fit = DiscoveryFit(rows, merge_columns(proba, column_class), scoring[0],
                           len(context))
    keep = np.isin(sub_group[sub_class], new_groups)
    new_class = column_class[n_anchored:][sub_class[keep]]
    return NewClusters(np.concatenate([piece_index, sub_index[keep]]),
                       np.concatenate([pieces.index_class, new_class]),
                       n_pieces + len(new_groups), evidence, fit)


def anchored_owners(estimator, prepared, scoring: ScoringContext, context: np.ndarray,
                    group: np.ndarray, new_groups: np.ndarray) -> dict[int, int]:
    """The candidate new groups that the user's own anchors fall in, each with the anchored
    class most of those anchors belong to: ``ANCHORS_DENY_NEW`` or more of them make a
    group theirs. The anchors are scored in the discovery pass's context like any row; only
    those that are not context tokens (a token scored as a query finds itself), at most
    ``CHECKED_ANCHORS`` of them, first in content order. (Found with 1,000 random anchors in
    3 classes on 100,000 rows of 10 blobs, ``bench.speed --anchors many1000``: one blob
    holding 82 anchors of one class was named "new 1", ARI 1.00 -> 0.86.)

    scoring: the pass's ``ScoringContext``; context (T,): the anchors that are its tokens;
    group (C,): each column's group; new_groups (G,) -> {new group: anchored class}"""
    is_token = np.isin(prepared.anchor_index, context)
    candidates = np.flatnonzero(~is_token)
    if not len(candidates):
        return {}
    order = np.argsort(prepared.content_rank[prepared.anchor_index[candidates]], kind="stable")
    checked = candidates[order[:CHECKED_ANCHORS]]  # positions in anchor_index
    rows = prepared.anchor_index[checked]
    proba = score_rows(prepared.model, scoring, prepared.features[rows],
                       prepared.geometry[rows], prepared.attachment.select(rows),
                       estimator.n_ensemble, estimator.device)
    fell_in = group[proba.argmax(1)]
    checked_class = prepared.anchor_class[checked]
    owner = {}
    for g in new_groups.tolist():
        classes = checked_class[fell_in == g]
        if len(classes) >= ANCHORS_DENY_NEW:
            owner[g] = int(np.bincount(classes).argmax())
    return owner


def subcluster_count(n_rows: int, n_classes: int) -> int:
    """How many candidate sub-clusters a table of `n_rows` rows with `n_classes` anchored
    classes gets: ``NEW_SUBCLUSTERS``, or ``SUBCLUSTERS_PER_CLASS`` per class where that is
    more, and at most one per ``NEW_MIN_ROWS`` rows."""
    wanted = max(NEW_SUBCLUSTERS, SUBCLUSTERS_PER_CLASS * n_classes)
    return min(wanted, n_rows // NEW_MIN_ROWS)


def new_cluster_classes(classes, n_new: int) -> np.ndarray:
    """The anchored classes, then "new 1", "new 2", ..., skipping a name an anchored class
    already has (an analyst may have labelled rows "new 1") -> (K + n_new,) objects"""
    taken = {str(c) for c in classes}
    names = (NEW_NAME.format(number) for number in itertools.count(1))
    fresh = list(itertools.islice((n for n in names if n not in taken), n_new))
    return np.array(list(classes) + fresh, dtype=object)


def with_new_clusters(estimator, prepared, found: NewClusters):
    """The anchored fit again, with the new clusters' pseudo-anchors as extra classes.

    -> (classes (K + n_new,) the anchored classes then "new 1", "new 2", ..., proba
    (N, K + n_new); the user's anchors and the pseudo-anchors are one-hot, and the fit's
    ``FittedPass``)"""
    classes = new_cluster_classes(prepared.classes, found.n_new)
    anchor_labels = np.concatenate([np.asarray(prepared.anchor_labels, dtype=object),
                                    classes[found.index_class]])
    widened = replace(
        prepared,
        anchor_index=np.concatenate([prepared.anchor_index, found.index]),
        anchor_labels=anchor_labels,
        classes=classes,
        anchor_class=np.concatenate([prepared.anchor_class, found.index_class]),
    )
    _, proba, fitted_pass = cluster_from_anchors(estimator, widened, len(prepared.classes))
    return classes, proba, fitted_pass
