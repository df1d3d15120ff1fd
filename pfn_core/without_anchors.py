"""Clustering without anchors into K clusters: the model seeds itself.

Two starts, and the partition that cuts fewer links of the table's neighbour graph wins
(``merging.graph_cut_fraction``):

1. K density peaks (``seeding.density_peak_seeds``), each the one anchor of its class; the
   model re-anchors on its 5, then 10 most confident rows per class, then a last pass.
2. overseed x K peaks as sub-clusters, merged back to K by the model's own confusion
   (``merging.merge_by_confusion``), then grown the same way over ``OVERSEED_SCHEDULE``, in
   the pseudo-anchors' metric once they are enough.

The second start is skipped when the first cuts no link at all (it cannot be beaten; the
estimate of K runs it anyway, to compare the two) or when overseed is 1. How much the two
starts agree (``starts_agreement``, the adjusted Rand index between their partitions) is the
model's agreement with itself at this K, which the estimate of K reads (``discovery``): at
the number of clusters a table really has, two different starts end in the same partition;
at too few or too many they split or merge clusters in different ways. Nothing here depends
on labels, so ``clustering_without_anchors`` keeps each result with the table's views: the
studio's first map, a change of K back and forth and the few-anchor check
(``own_clustering``) share it.

Legend: N=rows, K=clusters, M=sub-clusters, A=pseudo-anchors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

import numpy as np
from sklearn.metrics import adjusted_rand_score

from pfn_core.anchor_metric import uses_anchor_metric
from pfn_core.anchored_fit import forward_pass, full_pass, pick_anchors
from pfn_core.merging import graph_cut_fraction, merge_by_confusion
from pfn_core.prepared_inputs import pilot_rows, views_in_anchor_metric
from pfn_core.seeding import density_peak_seeds
from pfn_core.table_views import DERIVED_BYTES

DEFAULT_OVERSEED = 3  # the second start seeds 3 sub-clusters per cluster
FIRST_SCHEDULE = (5, 10)  # the first start's pseudo-anchors per class, round by round
OVERSEED_SCHEDULE = (5, 10, 20, 40)  # and the second start's
SUBCLUSTER_PICKS = 5  # rows each sub-cluster of the second start sends to the merge
KEPT_CLUSTERINGS = 4  # clusterings kept per table (an (N, K) array each),
# within table_views.DERIVED_BYTES (the newest always)
_kept_lock = threading.Lock()


def clustering_without_anchors(estimator, prepared, n_clusters: int):
    """The model's clustering of the table without anchors into `n_clusters` clusters
    (``cluster_without_anchors``), kept with the table's views for the last
    ``KEPT_CLUSTERINGS`` values of K that fit in ``table_views.DERIVED_BYTES``.

    estimator: the ``PFNClusterer`` whose settings run it; prepared: its
    ``PreparedInputs`` -> (proba (N, n_clusters), FittedPass), copies the caller may
    change."""
    proba, fitted_pass, _ = _kept_clustering(estimator, prepared, n_clusters)
    return proba.copy(), replace(fitted_pass)


def starts_agreement(estimator, prepared, n_clusters: int) -> float:
    """How much the two starts agree on `n_clusters` clusters (see the module's docstring);
    the clustering is kept as ``clustering_without_anchors`` keeps it, so a fit with this K
    afterwards costs nothing more. -> adjusted Rand index, 1.0 where there is one start"""
    agreement = _kept_clustering(estimator, prepared, n_clusters, with_agreement=True)[2]
    return 1.0 if agreement is None else agreement  # None: one start only (overseed 1)


def _kept_clustering(estimator, prepared, n_clusters: int, with_agreement: bool = False):
    """``cluster_without_anchors``'s result from the table's views, computed and kept there
    when it is not (or when `with_agreement` asks for the starts' agreement and the kept
    run skipped the second start). -> (proba, FittedPass, agreement or None), shared:
    never modify them"""
    table = prepared.in_table_metric()
    key = (table.model, estimator.device, estimator.n_ensemble, estimator.context_size,
           estimator.overseed, estimator.anchor_metric, n_clusters)
    with _kept_lock:  # the studio fits from several threads
        kept = table.views.derived.setdefault("clusterings_without_anchors", OrderedDict())
        entry = kept.get(key)
        if entry is not None:
            kept.move_to_end(key)
    if entry is None or (with_agreement and entry[2] is None):
        entry = cluster_without_anchors(estimator, table, n_clusters, with_agreement)
        with _kept_lock:
            kept[key] = entry
            while len(kept) > 1 and (len(kept) > KEPT_CLUSTERINGS or sum(
                    proba.nbytes for proba, _, _ in kept.values()) > DERIVED_BYTES):
                kept.popitem(last=False)
    return entry


def cluster_without_anchors(estimator, prepared, n_clusters: int,
                            with_agreement: bool = False):
    """The two starts (see the module's docstring); `estimator` runs the passes.
    `with_agreement`: run the second start even where the first cuts no link (it still
    wins there), so that the two can be compared.
    -> (proba (N, K), FittedPass, agreement: the adjusted Rand index between the two
    starts' partitions, None where the second start was skipped)"""
    k = n_clusters
    n_sub = min(estimator.overseed * k, len(prepared.X))
    # Peaks come best first, so the first k of the n_sub peaks are the k peaks.
    peaks = density_peak_seeds(prepared.geometry, prepared.X, n_sub,
                               order=prepared.content_order)
    best = grow_from_seeds(estimator, prepared, peaks[:k], np.arange(k), k, FIRST_SCHEDULE)
    graph = prepared.views.base_graph
    first = best[0].argmax(1)
    best_cut = graph_cut_fraction(first, graph)
    agreement = None
    # A cut of 0 cannot be beaten: the second start is skipped, unless it is asked for.
    if n_sub > k and (best_cut > 0 or with_agreement):
        index, index_class = merged_seeds(estimator, prepared, peaks, k)
        merged = grow_from_seeds(estimator, prepared, index, index_class, k,
                                 OVERSEED_SCHEDULE, estimator.anchor_metric)
        second = merged[0].argmax(1)
        agreement = float(adjusted_rand_score(first, second))
        if graph_cut_fraction(second, graph) < best_cut:
            best = merged
    return (*best, agreement)


def merged_seeds(estimator, prepared, peaks: np.ndarray, n_clusters: int):
    """Sub-clusters from `peaks` (M,) rows: one pass that picks ``SUBCLUSTER_PICKS`` rows of
    each, and those rows labelled by their merged group -> (rows (A,), groups (A,) in
    0..K-1)"""
    n_sub = len(peaks)
    index, index_class = pick_anchors(estimator, prepared, peaks, np.arange(n_sub), n_sub,
                                      SUBCLUSTER_PICKS, np.zeros(0, dtype=np.int64))
    proba = forward_pass(estimator, prepared, index, index_class, n_sub,
                         rows=pilot_rows(prepared))
    return index, merge_by_confusion(proba, n_clusters)[index_class]


def grow_from_seeds(estimator, prepared, index, index_class, n_clusters: int, schedule,
                    anchor_metric: bool = False):
    """Re-anchor on `schedule[i]` confident rows per class in turn, then a last pass, in the
    pseudo-anchors' metric if `anchor_metric` (and they are enough).
    index (A,), index_class (A,) in 0..K-1 -> (proba (N, K), FittedPass)"""
    for per_class in schedule:
        index, index_class = pick_anchors(estimator, prepared, index, index_class, n_clusters,
                                          per_class, np.zeros(0, dtype=np.int64))
    if anchor_metric and uses_anchor_metric(len(index), n_clusters):
        views = views_in_anchor_metric(prepared.views, index, index_class,
                                       prepared.model.config.input_dim)
        prepared = replace(prepared, views=views)
    return full_pass(estimator, prepared, index, index_class, n_clusters)
