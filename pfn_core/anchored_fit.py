"""The anchored fit: forward passes of the transformer from anchors, the refining round,
and the pass that labels every row.

Every fit with anchors ends here (``cluster_from_anchors``), and the fits without anchors,
discovery's search for new clusters and the estimate of K run their passes through the same
three calls. The settings come from the ``PFNClusterer`` passed in (``context_size``,
``n_ensemble``, ``device``, ``refine_rounds``, ``refine_anchors``).

Legend: N=rows, A=anchors, K=classes, R=scored rows.
"""

from __future__ import annotations

import numpy as np

from pfn_core.carry import (
    CONTEXT_PER_CLASS,
    carry_with_anchors,
    representative_anchors,
    scored_rows,
)
from pfn_core.inference import FittedPass, predict_proba
from pfn_core.prepared_inputs import PreparedInputs, pilot_rows
from pfn_core.seeding import anchors_from_pilot

# With a full set of tokens per class the refining round's pilot scores this many rows
# (``cluster_from_anchors``; until the eleventh session the round was skipped there: lassos
# of 40 per class 0.672 -> 0.684 on the dev suite, one pass more; BENCHMARKS.md, "Lasso
# anchors").
FULL_CLASSES_PILOT_ROWS = 1024


def forward_pass(estimator, prepared: PreparedInputs, index, index_class, n_classes,
                 rows=None, scoring_out: list | None = None) -> np.ndarray:
    """One forward pass with rows `index` (A,) as anchors of classes `index_class` (A,)
    -> (N, n_classes) probabilities, or (R, n_classes) for rows `rows` (R,) only."""
    return predict_proba(
        prepared.model, prepared.X, prepared.features, prepared.geometry, index,
        index_class, n_classes, context_size=estimator.context_size,
        n_ensemble=estimator.n_ensemble, device=estimator.device,
        attachment=prepared.attachment, order=prepared.content_order, rows=rows,
        base=prepared.views.base_graph, scoring_out=scoring_out,
    )


def full_pass(estimator, prepared: PreparedInputs, index, index_class, n_classes,
              anchor_index=None, anchor_class=None) -> tuple[np.ndarray, FittedPass]:
    """A pass for every row -> (proba (N, n_classes), the FittedPass that scores new rows
    the same way). On tables longer than ``MODEL_ROWS`` the transformer scores base
    landmarks only and every other row is carried from its nearest ones
    (``carry.carry_with_anchors``, which knows the anchors `anchor_index` (A,) of classes
    `anchor_class` (A,))."""
    rows = scored_rows(len(prepared.X), prepared.content_order)
    scoring = []
    proba = forward_pass(estimator, prepared, index, index_class, n_classes, rows=rows,
                         scoring_out=scoring)
    if rows is not None:
        none = np.zeros(0, dtype=np.int64)
        proba = carry_with_anchors(
            proba, rows, none if anchor_index is None else anchor_index,
            none if anchor_class is None else anchor_class, prepared.attachment,
            prepared.views.base_graph, len(prepared.X))
    return proba, FittedPass(prepared.views.steps, scoring[0])


def pick_anchors(estimator, prepared: PreparedInputs, index, index_class, n_classes,
                 per_class: int, exclude, pilot=None) -> tuple[np.ndarray, np.ndarray]:
    """A pass whose only use is to pick `per_class` extra anchors per class: it scores the
    pilot rows (``pilot_rows``: all rows, or on longer tables the first PILOT_ROWS in
    content order; queries are independent, so those rows get the same probabilities as in
    a full pass) and picks among them (``seeding.anchors_from_pilot``); `pilot`: other
    sorted row ids to score instead. -> (rows (A',), classes (A',))"""
    pilot = pilot_rows(prepared) if pilot is None else pilot
    proba = forward_pass(estimator, prepared, index, index_class, n_classes, rows=pilot)
    return anchors_from_pilot(proba, pilot, per_class, exclude, prepared.content_rank)


def cluster_from_anchors(estimator, prepared: PreparedInputs,
                         n_user_classes: int | None = None):
    """The usual anchored fit -> classes (K,) sorted anchor labels, proba (N, K) with the
    anchors one-hot, the FittedPass. Records how many anchors were context tokens on
    ``estimator.n_context_anchors_``.

    The context holds every anchor of a class with few and a uniform sample of a class with
    many (``carry.representative_anchors``); all anchors keep their labels. Each refining
    round (``refine_rounds``) adds ``refine_anchors`` predicted rows per class from a pilot
    pass, then one pass labels every row.

    n_user_classes: how many leading classes hold the user's anchors (the rest are new
    clusters' pseudo-anchors, ``new_clusters.with_new_clusters``); None: all of them.
    Once every user class sends a full set of tokens, the refining round's pilot scores only
    the first ``FULL_CLASSES_PILOT_ROWS`` rows: its extra anchors still show the model each
    class's extent, which a lasso's anchors, one patch of it, do not."""
    anchor_index = prepared.anchor_index
    classes, anchor_class = prepared.classes, prepared.anchor_class
    context, context_class = representative_anchors(
        anchor_index, anchor_class, prepared.content_rank[anchor_index])
    tokens = np.bincount(context_class, minlength=len(classes))[:n_user_classes]
    pilot = None  # the usual pilot rows (``pilot_rows``)
    if tokens.min() >= CONTEXT_PER_CLASS:  # every class sends a full set of tokens
        pilot = pilot_rows(prepared, FULL_CLASSES_PILOT_ROWS)
    estimator.n_context_anchors_ = len(context)
    index, index_class = context, context_class
    for _ in range(estimator.refine_rounds):
        extra, extra_class = pick_anchors(estimator, prepared, index, index_class,
                                          len(classes), estimator.refine_anchors,
                                          anchor_index, pilot)
        index = np.concatenate([context, extra])
        index_class = np.concatenate([context_class, extra_class])
    proba, fitted_pass = full_pass(estimator, prepared, index, index_class, len(classes),
                                   anchor_index, anchor_class)
    proba[anchor_index] = 0.0
    proba[anchor_index, anchor_class] = 1.0
    return classes, proba, fitted_pass
