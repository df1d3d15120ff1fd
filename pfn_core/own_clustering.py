"""With few anchors: the model's own clustering, when the anchors agree with it.

One anchor per cluster is weak evidence. Where it lies decides much of an anchored fit: an
anchor on the far edge of its cluster pulls the boundary towards the other cluster, and
the refining round (``PFNClusterer.refine_rounds``) only moves it part of the way back. On
the dev suite an anchored fit from one anchor per cluster scored below the model's own
clustering with K given (mean ARI 0.724 against 0.752; engytime 0.33 against 0.86, flame
0.49 against 0.93): a user who named one point per cluster got a worse map than before.

So while the anchors are too few to set a metric (fewer than
``anchor_metric.MIN_MEAN_ANCHORS`` per class on average), the fit also clusters the table
without anchors into as many clusters as there are classes (the no-anchor path,
``without_anchors.clustering_without_anchors``; it does not depend on the labels, so it is
computed once per table and K and kept with the table's views), and keeps that partition,
each cluster named by the anchors in it, when

1. every anchor lies in the cluster matched to its class (a one-to-one matching of
   clusters to classes that agrees with every anchor), and
2. it cuts no more links of the table's neighbour graph than the anchored fit does
   (``merging.graph_cut_fraction``, the criterion that already picks between the no-anchor
   path's two starts).

Otherwise the anchored fit stands. The anchors keep their labels either way.

Chosen on the dev suite (``python -m pfn_core.bench``; the per-run comparison of both
partitions is in BENCHMARKS.md, "Few anchors"); checked on data it was not chosen on with
``python -m pfn_core.bench.few_anchors``, ``python -m pfn_core.bench.heldout --cliffs`` and
``python -m pfn_core.bench.new_clusters --synthetic``.

Legend: N=rows, A=anchors, K=classes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from pfn_core.anchor_metric import uses_anchor_metric
from pfn_core.merging import graph_cut_fraction
from pfn_core.without_anchors import clustering_without_anchors


def applies(n_anchors: int, n_classes: int) -> bool:
    """Whether a fit with `n_anchors` anchors over `n_classes` classes consults the model's
    own clustering: two classes or more, too few anchors for the anchors' metric."""
    return n_classes >= 2 and not uses_anchor_metric(n_anchors, n_classes)


def cluster_of_class(labels: np.ndarray, anchor_index: np.ndarray, anchor_class: np.ndarray,
                     n_classes: int) -> np.ndarray | None:
    """The one-to-one matching of clusters to classes that agrees with every anchor, if
    there is one.

    labels (N,) a cluster in 0..K-1 for every row, anchor_index (A,), anchor_class (A,) in
    0..K-1 -> (K,) the cluster of each class, or None when some anchor lies in a cluster
    that another class's anchors also hold."""
    count = np.zeros((n_classes, n_classes))
    np.add.at(count, (anchor_class, labels[anchor_index]), 1)
    classes, clusters = linear_sum_assignment(-count)
    if count[classes, clusters].sum() < len(anchor_index):
        return None
    matched = np.empty(n_classes, dtype=np.int64)
    matched[classes] = clusters
    return matched


def prefer_own_clustering(estimator, prepared, classes, proba, fitted_pass):
    """The anchored fit's result, or the model's own clustering where the anchors agree with
    it and it follows the data at least as well (see the module's docstring).

    classes (K,), proba (N, K) the anchored fit's, anchors one-hot; fitted_pass its
    ``FittedPass`` -> (classes, proba (N, K), fitted_pass, whether the own clustering was
    kept)"""
    n_classes = len(classes)
    own_proba, own_pass = clustering_without_anchors(estimator, prepared, n_classes)
    own_labels = own_proba.argmax(1)
    matched = cluster_of_class(own_labels, prepared.anchor_index, prepared.anchor_class,
                               n_classes)
    if matched is None:
        return classes, proba, fitted_pass, False
    graph = prepared.views.base_graph
    if graph_cut_fraction(own_labels, graph) > graph_cut_fraction(proba.argmax(1), graph):
        return classes, proba, fitted_pass, False
    kept = own_proba[:, matched]  # column k: the cluster matched to class k
    kept[prepared.anchor_index] = 0.0
    kept[prepared.anchor_index, prepared.anchor_class] = 1.0
    # New rows are scored as the kept partition's rows were, read back in class order.
    scoring = replace(own_pass.scoring, ranks=own_pass.scoring.ranks[matched])
    return classes, kept, replace(own_pass, scoring=scoring), True
