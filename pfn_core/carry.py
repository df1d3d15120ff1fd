"""Bounding the work of a fit: few context tokens, few scored rows, every row labelled.

A fit's cost is the transformer's: every scored row attends to every context token in every
layer, and every context token is a source of shortest paths. Neither needs to grow with the
table or with the number of anchors:

- ``representative_anchors``: a class with more than ``CONTEXT_PER_CLASS`` anchors (one
  lasso easily names hundreds of rows) sends a representative subset of them into the
  context: a uniform sample (the first in content order, a pseudo-random order), which is
  how anchors were drawn for the context in training. Every anchor is still used:
  all of them set the anchors' metric, keep their own label in the output, are the
  sources the other rows are carried from (below), and vote on the rows near them
  (``anchor_votes``).
- ``carry_to_rows``: on a table longer than ``MODEL_ROWS`` the transformer scores only the
  first ``MODEL_ROWS`` rows in content order (a sample that does not depend on row order,
  and a subset of the base landmarks of the path graph). The other base landmarks take the
  distance-weighted mean of their scored neighbours in the base graph, and every other row
  that of its nearest base landmarks: links each table computes once
  (``TableViews.base_graph``, ``TableViews.attachment``). A row's probabilities then cost
  O(K) instead of a pass through five layers of attention, and a pass costs the same at
  10,000 rows as at 1,000,000.

``MODEL_ROWS`` = 4,096 was chosen on the dev suite's eight tables longer than 2,048 rows
(``python -m pfn_core.bench``, BENCHMARKS.md): scoring 8,192, 4,096 or 2,048 rows and
carrying the rest changed their mean ARI by less than 0.01 at every anchor level, except
MNIST at 10 anchors per cluster, which rose from 0.604 (every row scored) to 0.622 at 4,096
and fell to 0.592 when the anchor-picking passes were cut to 2,048 rows as well.

Legend: N=rows, S=scored rows, A=anchors, K=classes, k=links per row, G=geometry columns.
"""

from __future__ import annotations

import numpy as np

from pfn_core.geodesic import BaseGraph, LandmarkPaths
from pfn_core.nearest_landmarks import ATTACH_TREE_EPS, Attachment

CONTEXT_PER_CLASS = 32  # at most this many anchors of one class are context tokens
MODEL_ROWS = 4096  # longer tables: the transformer scores this many rows (see above)
MEAN_CHUNK = 16384  # rows per block of a weighted mean


def representative_anchors(anchor_index: np.ndarray, anchor_class: np.ndarray,
                           anchor_rank: np.ndarray,
                           per_class: int = CONTEXT_PER_CLASS) -> tuple[np.ndarray, np.ndarray]:
    """At most `per_class` anchors of each class: the ones of lowest content rank, a uniform
    pseudo-random sample of the class's anchors that depends on neither the order of rows
    nor the anchor list.

    Why uniform: the model was trained with anchors drawn at random from each cluster, so a
    uniform sample is the context it knows. Farthest-point sampling (spread over the
    class's extent), used before, filled the context with a class's most outlying anchors
    and got worse the more anchors there were (``python -m pfn_core.bench.many_anchors``,
    BENCHMARKS.md "Many anchors": with 30% of the rows labelled, MNIST 0.531 -> 0.757 and
    engytime 0.560 -> 0.815).

    anchor_index (A,), anchor_class (A,) in 0..K-1, anchor_rank (A,) -> (rows (A',),
    classes (A',)), A' <= K * per_class; classes with few anchors keep all."""
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}.")
    keep = []
    for label in np.unique(anchor_class):
        members = np.flatnonzero(anchor_class == label)
        keep.append(members[np.argsort(anchor_rank[members], kind="stable")[:per_class]])
    chosen = np.sort(np.concatenate(keep))
    return anchor_index[chosen], anchor_class[chosen]


def scored_rows(n_rows: int, content_order: np.ndarray,
                model_rows: int = MODEL_ROWS) -> np.ndarray | None:
    """The rows the transformer scores in a full pass: None (all of them) on tables of at
    most `model_rows` rows, else the first `model_rows` in content order. -> (S,) sorted"""
    if n_rows <= model_rows:
        return None
    return np.sort(content_order[:model_rows])


def carry_with_anchors(scored_proba: np.ndarray, rows: np.ndarray, anchor_index: np.ndarray,
                       anchor_class: np.ndarray, attachment: Attachment, base: BaseGraph,
                       n_rows: int) -> np.ndarray:
    """``carry_to_rows`` with the anchors known: anchors `anchor_index` (A,) of classes
    `anchor_class` (A,) are one-hot among the scored rows before the carry, and the anchors
    the transformer did not score join them, one-hot, so that the rows carried from them take
    their labels (every anchor used, however many; ``python -m pfn_core.bench.many_anchors``:
    MNIST with 10% / 30% of its rows labelled 0.725 / 0.757 -> 0.738 / 0.774, the other
    tables and the protocol unchanged).

    scored_proba (S, K) for the sorted rows `rows` (S,) -> (N, K)"""
    n_classes = scored_proba.shape[1]
    scored = scored_proba.copy()
    position = np.searchsorted(rows, anchor_index)
    found = (position < len(rows)) & (rows[position.clip(max=len(rows) - 1)] == anchor_index)
    scored[position[found]] = 0.0
    scored[position[found], anchor_class[found]] = 1.0
    unscored = ~found
    if unscored.any():
        rows = np.concatenate([rows, anchor_index[unscored]])
        one_hot = np.zeros((unscored.sum(), n_classes))
        one_hot[np.arange(unscored.sum()), anchor_class[unscored]] = 1.0
        scored = np.concatenate([scored, one_hot])
    return carry_to_rows(scored, rows, attachment, base, n_rows)


def carry_to_rows(scored_proba: np.ndarray, rows: np.ndarray, attachment: Attachment,
                  base: BaseGraph, n_rows: int) -> np.ndarray:
    """Probabilities for every row from those of the scored rows, in two hops along links
    each table computes once: base landmarks that were not scored take them from their
    scored neighbours in the base graph (repeatedly, for the rare one with none), then every
    other row from its nearest base landmarks (`attachment`). Each hop is a mean weighted by
    1 / link length (a link of length 0 takes it all); a scored row keeps its own.

    scored_proba (S, K) for rows `rows` (S,), all base landmarks when S >= B; attachment
    (N, k) links into `base.rows` (B,) -> (N, K)"""
    n_classes = scored_proba.shape[1]
    position = np.full(n_rows, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    proba = np.zeros((n_rows, n_classes))
    proba[rows] = scored_proba
    known = np.zeros(n_rows, dtype=bool)
    known[rows] = True
    _fill_base_landmarks(proba, known, base)
    if not known[attachment.rows].all():
        raise ValueError("every row must be linked to base landmarks of this table.")
    carried = np.flatnonzero(~known)
    hop = attachment.hop[carried].astype(np.float64)
    # Gather from the base landmarks' own (B, K) block, small enough to stay in cache.
    base_position = np.full(n_rows, -1, dtype=np.int64)
    base_position[base.rows] = np.arange(len(base.rows))
    links = base_position[attachment.rows[carried]]
    proba[carried] = _weighted_mean(proba[base.rows], links, hop)
    return proba


def _fill_base_landmarks(proba: np.ndarray, known: np.ndarray, base: BaseGraph,
                         max_rounds: int = 50) -> None:
    """Give every base landmark that is not `known` the weighted mean of its known graph
    neighbours, round after round; any still unreached (an isolated part with no scored
    row) gets equal probabilities. proba (N, K) and known (N,) are updated in place."""
    neighbours = base.rows[base.neighbours]  # (B, k) row ids
    for _ in range(max_rounds):
        missing = np.flatnonzero(~known[base.rows])
        if len(missing) == 0:
            return
        links, lengths = neighbours[missing], base.edge[missing].astype(np.float64)
        reached = known[links]  # (m, k)
        has_any = reached.any(1)
        if not has_any.any():
            break
        lengths = np.where(reached, lengths, np.inf)
        rows = base.rows[missing[has_any]]
        proba[rows] = _weighted_mean(proba, links[has_any], lengths[has_any])
        known[rows] = True
    left = base.rows[~known[base.rows]]
    proba[left] = 1.0 / proba.shape[1]
    known[left] = True


def _weighted_mean(proba: np.ndarray, links: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Mean of proba[links] (m, k, K) weighted by 1 / lengths (m, k) (inf: weight 0; a length
    of 0 takes all the weight). -> (m, K), computed as k gathers of (m, K)."""
    out = np.zeros((len(links), proba.shape[1]))
    for start in range(0, len(links), MEAN_CHUNK):  # blocks that stay in cache
        part = slice(start, start + MEAN_CHUNK)
        exact = lengths[part] <= 1e-12
        weight = np.where(exact.any(1, keepdims=True), exact.astype(np.float64),
                          1.0 / np.maximum(lengths[part], 1e-12))
        weight /= weight.sum(1, keepdims=True)
        block = out[part]
        for j in range(links.shape[1]):
            block += weight[:, j, None] * proba[links[part, j]]
    return out


def carry_new_rows(landmark_proba: np.ndarray, paths: LandmarkPaths, geometry: np.ndarray,
                   batch_size: int = 4096) -> np.ndarray:
    """New rows labelled as a fit labels the rows it did not score: each takes the
    probabilities of its nearest base landmarks (found as the fit finds its own rows',
    ``ATTACH_TREE_EPS``), weighted by 1 / distance.

    landmark_proba (B, K) for ``paths.base_rows``; geometry (R, G) of the new rows in the
    fitted geometry -> (R, K)"""
    position = np.full(int(paths.base_rows.max()) + 1, -1, dtype=np.int64)
    position[paths.base_rows] = np.arange(len(paths.base_rows))
    out = np.empty((len(geometry), landmark_proba.shape[1]))
    for start in range(0, len(geometry), batch_size):
        links = paths.nearest_base(geometry[start:start + batch_size], ATTACH_TREE_EPS)
        out[start:start + batch_size] = _weighted_mean(
            landmark_proba, position[links.rows], links.hop.astype(np.float64))
    return out
