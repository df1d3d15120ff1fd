"""Looking inside one forward pass, for teaching.

- ``attention_view``: where one point looks. The attention of one query point to every
  context token, per layer and head, with each head's path-distance sharpness (how strongly
  it prefers tokens that are near along the data).
- ``predictions_by_layer``: how the clustering forms. Every point's class read out after
  each layer (the final read-out applied to intermediate states), so a class can watch
  labels spread from the anchors layer by layer.

Legend: N=points, M=context tokens, L=layers, H=heads, K=classes, E=embedding width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pfn_core.inference import DEFAULT_CONTEXT_SIZE, build_context, inference_codes
from pfn_core.prepared_inputs import prepare_inputs


@dataclass
class AttentionView:
    """Attention of one query row to the context.

    context_rows (M,) row ids; context_labels (M,) the anchor's label or None;
    weights (L, H, M), each (layer, head) row sums to 1; sharpness (L, H) of path distance;
    classes (K,)."""

    query_row: int
    context_rows: np.ndarray
    context_labels: np.ndarray
    weights: np.ndarray
    sharpness: np.ndarray
    classes: np.ndarray


@dataclass
class _Prepared:
    model: object
    features: np.ndarray
    geometry: np.ndarray
    context: object
    context_index: np.ndarray
    codes: torch.Tensor
    classes: np.ndarray
    anchor_class: np.ndarray


def _prepare(X, y, context_size: int, weights) -> _Prepared:
    inputs = prepare_inputs(X, y, weights)
    if len(inputs.anchor_index) == 0:
        raise ValueError("no anchors: label at least one point per cluster to see attention.")
    classes, anchor_class = inputs.classes, inputs.anchor_class
    context, context_index = build_context(
        inputs.X, inputs.features, inputs.geometry, inputs.anchor_index, anchor_class,
        context_size, inputs.content_order, inputs.views.base_graph,
    )
    codes = inference_codes(inputs.geometry, inputs.anchor_index, anchor_class, len(classes),
                            inputs.model.config.embed_dim)
    return _Prepared(inputs.model, inputs.features, inputs.geometry, context, context_index,
                     codes, classes, anchor_class)


def _query_states(p: _Prepared, rows: np.ndarray):
    """Run the query stream for `rows`, keeping each layer's state and attention weights.

    -> states: L x (1, R, E); weights: L x (1, H, R, M); masses: L x (1, R, K);
    prototypes (1, K, E)"""
    model = p.model
    context = p.context
    per_layer, prototypes = model.encode_context(
        context.x[None], context.label[None], None, p.codes[None],
        context.distance_to(context.geometry)[None],
    )
    queries = model.feature_embedding(torch.from_numpy(p.features[rows])[None])
    queries = queries + model.unlabelled_embedding
    distance = context.distance_to(torch.from_numpy(p.geometry[rows]))[None]
    states, weights, masses = [], [], []
    for layer, (normed_context, label_mass) in zip(model.layers, per_layer, strict=True):
        queries, mass, attention = layer.forward_queries(queries, normed_context, label_mass,
                                                         p.codes[None], distance, None)
        weights.append(attention)
        states.append(queries)
        masses.append(mass)
    return states, weights, masses, prototypes


@torch.inference_mode()
def attention_view(X, y, query_row: int, context_size: int = DEFAULT_CONTEXT_SIZE,
                   weights=None) -> AttentionView:
    """Attention of row `query_row` to the context. X (N, D), y (N,) with -1 unlabelled."""
    p = _prepare(X, y, context_size, weights)
    if not 0 <= query_row < len(p.features):
        raise ValueError(f"query_row {query_row} is outside 0..{len(p.features) - 1}.")
    _, attention, _, _ = _query_states(p, np.array([query_row]))
    labels = np.array([p.classes[c] if c >= 0 else None for c in p.context.label.numpy()],
                      dtype=object)
    sharpness = np.stack([layer.attention.sharpness()[:, 1].numpy()
                          for layer in p.model.layers])
    return AttentionView(
        query_row=query_row,
        context_rows=p.context_index,
        context_labels=labels,
        weights=torch.stack([w[0, :, 0] for w in attention]).numpy(),
        sharpness=sharpness,
        classes=p.classes,
    )


@torch.inference_mode()
def predictions_by_layer(X, y, context_size: int = DEFAULT_CONTEXT_SIZE, weights=None):
    """Every row's predicted label after each layer.  -> (labels (L, N) object, classes (K,))"""
    p = _prepare(X, y, context_size, weights)
    model = p.model
    states, _, masses, prototypes = _query_states(p, np.arange(len(p.features)))
    labels = []
    for depth, state in enumerate(states, start=1):
        logits = model.class_logits(state, prototypes, p.codes[None], masses[:depth])
        labels.append(p.classes[logits[0].argmax(-1).numpy()])
    return np.stack(labels), p.classes


def metric_view(X, y, weights=None) -> np.ndarray | None:
    """The table as the model measures it once the anchors set the metric
    (``anchor_metric``): the first two axes of the whitened geometry, (N, 2), or None when
    the anchors are too few for that (fewer than 5 per class on average)."""
    inputs = prepare_inputs(X, y, weights)
    if not inputs.in_anchor_metric:
        return None
    seen = np.zeros((len(inputs.geometry), 2))
    width = min(2, inputs.geometry.shape[1])
    seen[:, :width] = inputs.geometry[:, :width]
    return seen
