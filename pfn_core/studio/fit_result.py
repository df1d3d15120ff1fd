"""One studio fit: ``PFNClusterer`` on every row of a table, and what the page shows of it.

The studio's cached call (``pages/studio_ui/cached.cluster``) and its guess of the next
labelling (``speculation``) both run this, so a guessed fit is the fit itself.

Legend: N=rows, D=columns, K=clusters.
"""

from __future__ import annotations

import time

import numpy as np

from pfn_core.estimator import PFNClusterer
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio import result_cache
from pfn_core.suggest import suggest_rows


def studio_fit(X: np.ndarray, anchors: tuple[tuple[int, str], ...], n_clusters: int | None,
               scale_columns: bool, n_suggestions: int) -> dict:
    """Fit X (N, D) from the anchors, sorted (row id, label) pairs; ``n_clusters`` None: K
    from the anchors or, without any, estimated by the model.

    -> {"labels" (N,) str objects, "proba" (N, K) float32, "confidence" (N,), "in_metric",
    "seconds" (the fit's), "model_anchors" (the anchors in the model's context),
    "own_clustering", "discovery_fit", "n_clusters" (the K used), "n_clusters_scores" (the
    evidence per candidate K, or None), "n_clusters_agreement" (the model's agreement with
    itself per clustered candidate K, or None), "k_evidence_weak", "n_distinct_rows", "suggested"
    (the ``n_suggestions`` rows worth labelling next, best first)}"""
    estimator = PFNClusterer(n_clusters=n_clusters, scale_columns=scale_columns)
    start = time.perf_counter()
    estimator.fit(X, anchor_ops.anchors_to_targets(dict(anchors), len(X)))
    seconds = time.perf_counter() - start
    proba = estimator.proba_.astype(np.float32)  # (N, K): half the bytes of float64
    scores = estimator.n_clusters_scores_
    return {
        "labels": result_cache.shared_labels(estimator.labels_),
        "proba": proba,
        "confidence": proba.max(1),
        "in_metric": bool(estimator.in_anchor_metric_),
        "seconds": seconds,
        "model_anchors": int(estimator.n_context_anchors_) if anchors else 0,
        "own_clustering": bool(estimator.used_own_clustering_),
        "discovery_fit": bool(estimator.used_discovery_fit_),
        "n_clusters": int(estimator.n_clusters_),
        "n_clusters_scores": None if scores is None else {
            int(c): float(v) for c, v in scores.items()},
        "n_clusters_agreement": None if estimator.n_clusters_agreement_ is None else {
            int(c): float(v) for c, v in estimator.n_clusters_agreement_.items()},
        "k_evidence_weak": bool(estimator.k_evidence_is_weak_),
        "n_distinct_rows": int(estimator.n_distinct_rows_),
        "suggested": (suggest_rows(estimator, X, n_suggestions)
                      if len(anchors) < len(X) else np.zeros(0, dtype=np.int64)),
    }
