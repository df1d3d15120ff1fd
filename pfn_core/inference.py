"""One forward pass of the trained model over a whole dataset, chunked over queries.

Legend: N=points, A=anchors, M=context tokens, D=input features, G=geometry columns,
E=embedding width, K=classes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.spatial import cKDTree

from pfn_core.anchor_votes import AnchorVotes
from pfn_core.episode import Context, content_order, content_rank, label_codes, make_context
from pfn_core.geodesic import MAX_LANDMARKS, BaseGraph
from pfn_core.model import ClusteringTransformer
from pfn_core.nearest_landmarks import (
    ATTACH_NEIGHBOURS,
    ATTACH_TREE_EPS,
    KD_TREE_MAX_DIM,
    Attachment,
    attach,
    nearest_base_by_tree,
)

CODE_SEED = 0
DEFAULT_CONTEXT_SIZE = 0  # unlabelled context tokens; anchors alone (see PFNClusterer)


def canonical_class_order(geometry: np.ndarray, anchor_index: np.ndarray,
                          anchor_class: np.ndarray, n_classes: int) -> np.ndarray:
    """Rank of each class when classes are sorted by their anchors' mean position.

    Codes are handed out in this order, so which code a class receives depends on where its
    anchors lie, never on the class's name or on the order of rows.
    geometry (N, G), anchor_index (A,), anchor_class (A,) in 0..K-1 -> (K,) ranks"""
    means = np.zeros((n_classes, geometry.shape[1]))
    np.add.at(means, anchor_class, geometry[anchor_index].astype(np.float64))
    means /= np.bincount(anchor_class, minlength=n_classes).clip(min=1)[:, None]
    order = np.lexsort(np.round(means, 5).T[::-1])
    ranks = np.empty(n_classes, dtype=np.int64)
    ranks[order] = np.arange(n_classes)
    return ranks


def choose_unlabelled_context(order: np.ndarray, anchor_index: np.ndarray,
                              size: int) -> np.ndarray:
    """Up to `size` non-anchor rows, the first ones in `order` (a content order of the rows,
    see ``episode.content_order``, so the choice is invariant to row order).  -> (U,)"""
    is_anchor = np.zeros(len(order), dtype=bool)
    is_anchor[anchor_index] = True
    return order[~is_anchor[order]][:size]


def build_context(X: np.ndarray, features: np.ndarray, geometry: np.ndarray,
                  anchor_index: np.ndarray, anchor_class: np.ndarray, context_size: int,
                  order: np.ndarray | None = None, base: BaseGraph | None = None):
    """The attended context: the anchors, then up to `context_size` unlabelled rows; the
    next rows in the same content order serve as extra landmarks for path distances.

    Anchors enter in content order, so the context (and every float sum over it) is the
    same whatever the order of rows or of the anchor list. `order`: ``content_order(X)``,
    and `base`: the base landmarks' ``base_graph``, if already computed.

    -> (Context, context_index (M,) row ids)"""
    order = content_order(X) if order is None else order
    rank = content_rank(X, order)
    by_content = np.argsort(rank[anchor_index], kind="stable")
    anchor_index, anchor_class = anchor_index[by_content], anchor_class[by_content]
    unlabelled = choose_unlabelled_context(order, anchor_index, context_size)
    context_index = np.concatenate([anchor_index, unlabelled])
    context_label = np.concatenate([anchor_class, np.full(len(unlabelled), -1)])
    context = make_context(features, geometry, context_index, context_label, order, base)
    return context, context_index


def inference_codes(geometry: np.ndarray, anchor_index: np.ndarray, anchor_class: np.ndarray,
                    n_classes: int, embed_dim: int, member: int = 0) -> torch.Tensor:
    """Fixed label codes for ensemble member `member`, handed out in canonical class order.
    -> (K, E)"""
    ranks = torch.from_numpy(canonical_class_order(geometry, anchor_index, anchor_class, n_classes))
    return member_codes(n_classes, embed_dim, member)[ranks]


def member_codes(n_classes: int, embed_dim: int, member: int = 0) -> torch.Tensor:
    """Ensemble member `member`'s label codes, in code order (class k gets row k). -> (K, E)

    The codes are fixed for each (K, E, member), so they are drawn once per process
    (``_drawn_codes``; a QR factorisation took up to 15 ms a pass) and copied out."""
    return _drawn_codes(n_classes, embed_dim, member).clone()


@functools.lru_cache(maxsize=256)
def _drawn_codes(n_classes: int, embed_dim: int, member: int) -> torch.Tensor:
    return label_codes(n_classes, embed_dim, torch.Generator().manual_seed(CODE_SEED + member))


def attach_rows(X: np.ndarray, geometry: np.ndarray, batch_size: int = 4096,
                order: np.ndarray | None = None, base: BaseGraph | None = None,
                tree: cKDTree | None = None) -> Attachment:
    """Every row's nearest base landmarks (the first MAX_LANDMARKS rows in content order, as
    ``build_context`` picks them). Independent of the anchors, so one serves every pass.

    X (N, D_raw), geometry (N, G), order: ``content_order(X)`` if already computed, base:
    the base landmarks' ``base_graph``, which already knows their own nearest landmarks (only
    the other rows are searched); `tree`: a k-d tree over the base landmarks' geometry if one
    is kept (``TableViews.base_tree``) -> Attachment with rows and hop (N, k)"""
    base_rows = (content_order(X) if order is None else order)[:MAX_LANDMARKS]
    base_geometry = geometry[base_rows]
    own = None if base is None else base.own_attachment()
    k = min(ATTACH_NEIGHBOURS, len(base_rows))
    rows = np.empty((len(X), k), dtype=np.int64)
    hop = np.empty((len(X), k), dtype=np.float32)
    searched = np.arange(len(X))
    if own is not None:
        rows[base.rows], hop[base.rows] = own.rows, own.hop
        is_base = np.zeros(len(X), dtype=bool)
        is_base[base.rows] = True
        searched = np.flatnonzero(~is_base)  # as np.setdiff1d, without its sort
    if geometry.shape[1] > KD_TREE_MAX_DIM:  # a tree is slow in many dimensions
        tree = None
    elif tree is None:
        tree = cKDTree(base_geometry)
    for start in range(0, len(searched), batch_size):
        part = searched[start:start + batch_size]
        found = (attach(geometry[part], base_geometry, base_rows) if tree is None
                 else nearest_base_by_tree(geometry[part], tree, base_rows, ATTACH_TREE_EPS))
        rows[part], hop[part] = found.rows, found.hop
    return Attachment(rows, hop)


@dataclass
class ScoringContext:
    """Everything a pass needs besides the rows it scores: the encoded context (anchors as
    tokens, their path distances through the landmark graph) and the class order. Built once
    per pass (``build_scoring_context``); a fitted clusterer keeps its last one to score new
    rows (``score_rows``), each independently of the others.

    context: ``episode.Context`` with labels in canonical class order; ranks (K,): column k
    maps each class to the code it was given; outputs are read back with ``[:, ranks]``.
    column_class (K,) or None: where the pass's classes are parts of the fit's (the
    sub-clusters of a discovery pass read as the fit, ``new_clusters.DiscoveryFit``),
    the fit's class of each; outputs are then summed into those classes (``merge_columns``)."""

    context: Context
    ranks: np.ndarray
    n_classes: int
    column_class: np.ndarray | None = None
    _encoded: dict = field(default_factory=dict, repr=False)

    def encoded(self, model: ClusteringTransformer, member: int, device: str):
        """(codes (1, K, E), per-layer context states, prototypes), computed once per
        ensemble member and device."""
        key = (member, device)
        if key not in self._encoded:
            codes = member_codes(self.n_classes, model.config.embed_dim, member)[None].to(device)
            context = self.context
            distance = context.distance_to(context.geometry)
            per_layer, prototypes = model.encode_context(
                context.x[None].to(device), context.label[None].to(device), None, codes,
                distance[None].to(device))
            self._encoded[key] = (codes, per_layer, prototypes)
        return self._encoded[key]


@dataclass
class FittedPass:
    """What scores new rows as the fit's last pass scored the table's own: the fitted
    preprocessing steps (``preprocessing.transform_views``) and the pass's
    ``ScoringContext``."""

    steps: tuple
    scoring: ScoringContext
    landmark_proba: np.ndarray | None = None  # (B, K) the fit's result on the base landmarks
    temperature: float | None = None  # what scaled proba_ (``calibration``)
    votes: AnchorVotes | None = None  # the anchors' votes added after it (``anchor_votes``)


def build_scoring_context(X: np.ndarray, features: np.ndarray, geometry: np.ndarray,
                          anchor_index: np.ndarray, anchor_class: np.ndarray, n_classes: int,
                          context_size: int = DEFAULT_CONTEXT_SIZE,
                          order: np.ndarray | None = None,
                          base: BaseGraph | None = None) -> ScoringContext:
    """The context of a pass: anchors `anchor_index` (A,) of classes `anchor_class` (A,) in
    0..K-1, renumbered in canonical order (``canonical_class_order``) so that the
    computation, to the last bit, does not depend on how the classes were numbered."""
    ranks = canonical_class_order(geometry, anchor_index, anchor_class, n_classes)
    context, _ = build_context(X, features, geometry, anchor_index, ranks[anchor_class],
                               context_size, order, base)
    return ScoringContext(context, ranks, n_classes)


@torch.inference_mode()
def score_rows(model: ClusteringTransformer, scoring: ScoringContext, features: np.ndarray,
               geometry: np.ndarray, attachment: Attachment | None = None, n_ensemble: int = 1,
               device: str = "cpu", query_batch_size: int = 4096) -> np.ndarray:
    """Class probabilities of rows with features (R, D) and geometry (R, G), in chunks of
    `query_batch_size`; queries attend only to the context, so each row's result is
    independent of the others. `attachment`: the rows' nearest base landmarks if known
    (else found here). -> (R, K) in the caller's class order, columns summed into the fit's
    classes where the context says so (``ScoringContext.column_class``)."""
    n_classes = scoring.n_classes
    class_valid = torch.ones(1, n_classes, dtype=torch.bool, device=device)
    total = np.zeros((len(features), n_classes), dtype=np.float64)
    for member in range(n_ensemble):
        codes, per_layer, prototypes = scoring.encoded(model, member, device)
        for start in range(0, len(features), query_batch_size):
            stop = min(start + query_batch_size, len(features))
            query_geometry = torch.from_numpy(np.ascontiguousarray(geometry[start:stop],
                                                                   dtype=np.float32))
            part = None if attachment is None else attachment.chunk(start, stop)
            query_x = torch.from_numpy(np.ascontiguousarray(features[start:stop],
                                                            dtype=np.float32))
            logits = model.predict_queries(
                query_x[None].to(device),
                scoring.context.distance_to(query_geometry, part)[None].to(device),
                per_layer, prototypes, codes, None, class_valid,
            )
            total[start:stop] += torch.softmax(logits[0].float(), -1).cpu().numpy()
    proba = total[:, scoring.ranks] / n_ensemble
    return proba if scoring.column_class is None else merge_columns(proba, scoring.column_class)


def merge_columns(proba: np.ndarray, column_class: np.ndarray) -> np.ndarray:
    """Probabilities over classes made of several columns: each column's mass added to its
    class. proba (R, C), column_class (C,) in 0..K-1 -> (R, K)"""
    return proba @ np.eye(int(column_class.max()) + 1)[column_class]


def predict_proba(model: ClusteringTransformer, X: np.ndarray, features: np.ndarray,
                  geometry: np.ndarray, anchor_index: np.ndarray, anchor_class: np.ndarray,
                  n_classes: int, context_size: int = DEFAULT_CONTEXT_SIZE,
                  query_batch_size: int = 4096, n_ensemble: int = 1,
                  device: str = "cpu", attachment: Attachment | None = None,
                  order: np.ndarray | None = None, rows: np.ndarray | None = None,
                  base: BaseGraph | None = None, scoring_out: list | None = None) -> np.ndarray:
    """Class probabilities for every row.

    X (N, D_raw) the validated raw values (only used to pick the context by content),
    features (N, D), geometry (N, G), anchor_index (A,), anchor_class (A,) in 0..K-1
    -> (N, K) probabilities, or (R, K) for the rows `rows` (R,) only. Each member of an
    ensemble uses a different set of label codes.
    `attachment` (from ``attach_rows``), `order` (``content_order(X)``) and `base` (the base
    landmarks' ``base_graph``) save finding every row's nearest landmarks, hashing every row
    and linking the base landmarks again when the same data is run several times.
    `scoring_out`: a list that receives the pass's ``ScoringContext`` (to score new rows
    later with ``score_rows``)."""
    scoring = build_scoring_context(X, features, geometry, anchor_index, anchor_class,
                                    n_classes, context_size, order, base)
    if scoring_out is not None:
        scoring_out.append(scoring)
    if rows is not None:  # queries are independent: predicting a subset changes nothing else
        features, geometry = features[rows], geometry[rows]
        attachment = None if attachment is None else attachment.select(rows)
    return score_rows(model, scoring, features, geometry, attachment, n_ensemble, device,
                      query_batch_size)
