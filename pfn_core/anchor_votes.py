"""Every anchor votes on the rows near it, as much as the model did not see the anchors.

A class sends at most ``carry.CONTEXT_PER_CLASS`` (32) of its anchors into the context
(``carry.representative_anchors``), so that a pass costs the same whatever the number of
labels. With more labels than that (one lasso names hundreds of rows) the model sees a
sample, and the other anchors reached the result only through the anchors' metric and the
carry. Labelling more then stopped helping: with 30% of the rows labelled instead of 10%,
graves/fuzzyx went 0.905 -> 0.903 and graves/parabolic 0.909 -> 0.898, while 1-NN and label
spreading, which use every label, rose to 0.97 and 0.96 (``python -m
pfn_core.bench.many_anchors``, BENCHMARKS.md "Every anchor votes").

Here every anchor votes on the rows near it, and the votes are added to the model's
probabilities as counts to a prior:

    p(c | row) = (PRIOR_STRENGTH * p_model(c | row) + w * votes(c)) /
                 (PRIOR_STRENGTH + w * sum_c votes(c))
    votes(c)   = sum over the row's EVIDENCE_NEIGHBOURS nearest anchors j of class c of
                 exp(-d_j^2 / (2 h^2))

on the base landmarks (``fuse_on_landmarks``; the other rows are carried from them), with
h the table's neighbour scale (the median distance from a base landmark to its 8th
nearest, ``geodesic.base_graph``) and w the share of the anchors that were not tokens. While
the model sees every anchor (at most 32 per class: the protocol's 1 to 10 per cluster), w is
0 and nothing changes; with 300 per class, w is 0.9 and a row among labelled rows takes
their word unless the model is sure. Scaling by w is what makes it safe: the first version,
all anchors at full weight as soon as one class had more than 32, lost 0.06 ARI on
uci/sonar at 30% labelled, and the version with only the unseen anchors voting pulled rows
towards the large classes (the only ones with unseen anchors; uci/wdbc -0.18 at 10%).
PRIOR_STRENGTH, EVIDENCE_NEIGHBOURS and h were set before any run and not varied.

Legend: R=rows, A=anchors, K=classes, G=geometry columns, k=neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from pfn_core.carry import CONTEXT_PER_CLASS, carry_to_rows
from pfn_core.nearest_landmarks import ATTACH_TREE_EPS
from pfn_core.path_search import available_cores

PRIOR_STRENGTH = 2.0  # the model's probabilities count as this many votes
EVIDENCE_NEIGHBOURS = 8  # anchors that vote on a row: its nearest ones
VOTE_CHUNK = 65536  # rows per block of the neighbour search


@dataclass
class AnchorVotes:
    """The anchors' votes (see the module's docstring), fitted once per fit.

    geometry (A, G) float32 the anchors in the fit's geometry, anchor_class (A,) in 0..K-1,
    weight: the share of anchors that were not context tokens, bandwidth: h."""

    geometry: np.ndarray
    anchor_class: np.ndarray
    weight: float
    bandwidth: float
    _tree: cKDTree | None = field(default=None, repr=False, compare=False)

    def fuse(self, proba: np.ndarray, geometry: np.ndarray) -> np.ndarray:
        """The model's probabilities `proba` (R, K) of rows at `geometry` (R, G), with the
        anchors' votes added. Each row's result depends on that row alone. -> (R, K)"""
        if self._tree is None:
            self._tree = cKDTree(self.geometry)
        k = min(EVIDENCE_NEIGHBOURS, len(self.geometry))
        fused = np.empty_like(proba, dtype=np.float64)
        for start in range(0, len(proba), VOTE_CHUNK):
            part = slice(start, start + VOTE_CHUNK)
            distance, nearest = self._tree.query(geometry[part], k, eps=ATTACH_TREE_EPS,
                                                 workers=available_cores())
            distance, nearest = distance.reshape(-1, k), nearest.reshape(-1, k)
            votes = self.weight * np.exp(-0.5 * (distance / self.bandwidth) ** 2)
            counts = class_counts(self.anchor_class[nearest], votes, proba.shape[1])
            fused[part] = ((PRIOR_STRENGTH * proba[part] + counts)
                           / (PRIOR_STRENGTH + counts.sum(1, keepdims=True)))
        return fused


def fuse_on_landmarks(votes: AnchorVotes, proba: np.ndarray, prepared) -> np.ndarray:
    """The votes added to a fit's probabilities `proba` (N, K) of `prepared`'s rows (a
    ``PreparedInputs``): on the base landmarks, every other row then carried from its
    nearest ones as a fit carries the rows the transformer did not score
    (``carry.carry_to_rows``), so that the votes cost the same at 10,000 rows as at
    1,000,000. On tables of at most ``geodesic.MAX_LANDMARKS`` rows every row is a
    landmark. -> (N, K)"""
    base = prepared.views.base_graph
    # The anchors among them keep their one-hot label: they need no votes.
    is_anchor = np.zeros(len(proba), dtype=bool)
    is_anchor[prepared.anchor_index] = True
    hearing = base.rows[~is_anchor[base.rows]]
    fused = proba.copy()
    fused[hearing] = votes.fuse(proba[hearing], prepared.geometry[hearing])
    if len(base.rows) == len(proba):
        return fused
    return carry_to_rows(fused[base.rows], base.rows, prepared.attachment, base, len(proba))


def class_counts(classes: np.ndarray, votes: np.ndarray, n_classes: int) -> np.ndarray:
    """Votes summed per class: classes (R, k) in 0..K-1, votes (R, k) -> (R, K)"""
    n_rows = len(classes)
    flat = (np.arange(n_rows)[:, None] * n_classes + classes).ravel()
    return np.bincount(flat, weights=votes.ravel(), minlength=n_rows * n_classes).reshape(
        n_rows, n_classes)


def fit_anchor_votes(prepared) -> AnchorVotes | None:
    """The votes of `prepared`'s anchors (a ``PreparedInputs``), or None when every anchor
    is a context token (at most ``CONTEXT_PER_CLASS`` per class): then the model has seen
    them all."""
    anchor_class = prepared.anchor_class
    n_anchors = len(anchor_class)
    if n_anchors == 0:
        return None
    tokens = np.minimum(np.bincount(anchor_class), CONTEXT_PER_CLASS).sum()
    if tokens >= n_anchors:
        return None
    edge = prepared.views.base_graph.edge
    bandwidth = float(np.median(edge[:, -1])) if edge.shape[1] else 0.0
    if not bandwidth > 0:  # every landmark on top of its neighbours: no scale to vote in
        return None
    return AnchorVotes(np.asarray(prepared.geometry[prepared.anchor_index], dtype=np.float32),
                       np.asarray(anchor_class, dtype=np.int64),
                       float(1.0 - tokens / n_anchors), bandwidth)
