"""Turning a dataset plus anchors into the model's tensors, the same way for training and use.

Legend: N=points, M=context tokens, Q=query tokens, D=input features, G=geometry columns,
E=embedding width, K=classes, B=tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pfn_core.geodesic import BaseGraph, LandmarkPaths, landmark_paths
from pfn_core.nearest_landmarks import Attachment

NEIGHBOUR_RANK = 4  # the typical distance is the median distance to the 4th nearest neighbour
SCALE_SAMPLE = 256  # rows whose neighbour distances set the unit of every attention distance


def label_codes(n_classes: int, embed_dim: int, generator: torch.Generator) -> torch.Tensor:
    """Random label codes of norm sqrt(E); orthogonal when K <= E.  -> (K, E)"""
    raw = torch.randn(max(n_classes, 1), embed_dim, generator=generator)
    if n_classes <= embed_dim:
        raw = torch.linalg.qr(raw.T).Q.T
    codes = raw / raw.norm(dim=1, keepdim=True).clamp(min=1e-12)
    return codes[:n_classes] * embed_dim**0.5


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(..., P, G), (..., R, G) -> (..., P, R) squared Euclidean distances, never negative."""
    d2 = (a * a).sum(-1, keepdim=True) - 2 * a @ b.transpose(-1, -2) + (b * b).sum(-1).unsqueeze(-2)
    return d2.clamp(min=0.0)


def neighbour_scale(sample_geometry: torch.Tensor) -> torch.Tensor:
    """Median squared distance from a sample point to its 4th nearest other sample point.

    sample_geometry (S, G) -> scalar tensor (> 0)"""
    m = sample_geometry.shape[0]
    if m < 2:
        return torch.tensor(1.0)
    d2 = squared_distances(sample_geometry, sample_geometry)
    d2.fill_diagonal_(float("inf"))
    rank = min(NEIGHBOUR_RANK, m - 1)
    kth = torch.kthvalue(d2, rank, dim=1).values
    scale = kth.median()
    if not torch.isfinite(scale) or scale <= 0:
        positive = d2[torch.isfinite(d2) & (d2 > 0)]
        scale = positive.median() if positive.numel() else torch.tensor(1.0)
    return scale


MAX_SQUARED_DISTANCE = 1e4  # in neighbour-scale units; anything farther is "unrelated"


@dataclass
class Context:
    """The attended context of one dataset, shared by every query chunk.

    x (M, D) features, geometry (M, G), label (M,) in -1..K-1, scale: squared-distance unit
    (the data's typical squared distance between close neighbours, see ``make_context``),
    paths: shortest paths from each context token through the landmark graph."""

    x: torch.Tensor
    geometry: torch.Tensor
    label: torch.Tensor
    scale: torch.Tensor
    paths: LandmarkPaths

    def distance_to(self, geometry: torch.Tensor,
                    attachment: Attachment | None = None) -> torch.Tensor:
        """Squared distances from P points to the context tokens, in units of the context's
        neighbour scale: channel 0 straight-line, channel 1 along the landmark graph
        (`attachment`: the points' nearest base landmarks, if already known).

        geometry (P, G) -> (P, M, 2)"""
        straight, along = self.paths.to_queries(geometry.numpy(), attachment)
        both = torch.from_numpy(np.stack([straight, along], axis=-1)) ** 2
        return (both / self.scale).clamp(max=MAX_SQUARED_DISTANCE)


def make_context(features: np.ndarray, geometry: np.ndarray, context_index: np.ndarray,
                 context_label: np.ndarray, landmark_rows: np.ndarray,
                 base: BaseGraph | None = None) -> Context:
    """features (N, D), geometry (N, G), context_index (M,), context_label (M,),
    landmark_rows (R,) rows that may serve as extra landmarks, in order of preference,
    base: their ``base_graph`` if already computed -> Context

    The distance unit comes from the first ``SCALE_SAMPLE`` rows of `landmark_rows` (a
    random sample in training, a content-chosen one at inference), not from the context
    tokens: so it measures how dense the data is, whether the context holds 3 anchors or
    300 tokens."""
    geo = torch.from_numpy(np.ascontiguousarray(geometry[context_index], dtype=np.float32))
    sample = np.ascontiguousarray(geometry[landmark_rows[:SCALE_SAMPLE]], dtype=np.float32)
    scale = neighbour_scale(torch.from_numpy(sample))
    farthest = float(np.sqrt(MAX_SQUARED_DISTANCE * float(scale)))  # read alike beyond
    return Context(
        x=torch.from_numpy(np.ascontiguousarray(features[context_index], dtype=np.float32)),
        geometry=geo,
        label=torch.from_numpy(np.asarray(context_label, dtype=np.int64)),
        scale=scale,
        paths=landmark_paths(geometry, context_index, landmark_rows, base, farthest),
    )


def content_order(X: np.ndarray) -> np.ndarray:
    """A pseudo-random order of rows that depends only on each row's values, not on its
    position, so that choosing 'the first m' unlabelled rows is invariant to row order.
    Identical rows are neighbours in it.

    X (N, D) float64 -> (N,) permutation"""
    return np.argsort(content_keys(X), kind="stable")  # equal keys keep row order


def content_keys(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's values (equal rows, equal keys: -0.0 counts as 0.0) that
    orders them in ``content_order``. X (N, D) float64 -> (N,) uint64"""
    bits = (np.asarray(X, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 -> 0.0
    multipliers = np.random.default_rng(12345).integers(
        1, 2**62, size=bits.shape[1], dtype=np.uint64
    ) | np.uint64(1)
    with np.errstate(over="ignore"):
        mixed = bits * multipliers
        keys = np.bitwise_xor.reduce(mixed ^ (mixed >> np.uint64(29)), axis=1)
        keys = keys * np.uint64(0x9E3779B97F4A7C15)
    return keys


def content_rank(X: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Each row's position in ``content_order`` (pass `order` if already computed): a
    row-order-free tie-breaker.

    X (N, D) float64 -> (N,) ranks 0..N-1"""
    order = content_order(X) if order is None else order
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def collate(episodes: list[dict]) -> dict:
    """Pad a list of single-task episodes into one batch.

    Each episode: context_x (M,D), context_label (M,), context_distance (M,M,2),
    query_x (Q,D), query_distance (Q,M,2), codes (K,E), query_target (Q,).
    Batch: the same keys with a leading B, plus context_valid (B,M) and class_valid (B,K);
    padded targets are -100 (ignored by cross-entropy)."""
    B = len(episodes)
    M = max(e["context_x"].shape[0] for e in episodes)
    Q = max(e["query_x"].shape[0] for e in episodes)
    K = max(e["codes"].shape[0] for e in episodes)
    D = episodes[0]["context_x"].shape[1]
    E = episodes[0]["codes"].shape[1]
    batch = {
        "context_x": torch.zeros(B, M, D),
        "context_label": torch.full((B, M), -1, dtype=torch.long),
        "context_valid": torch.zeros(B, M, dtype=torch.bool),
        "context_distance": torch.zeros(B, M, M, 2),
        "query_x": torch.zeros(B, Q, D),
        "query_distance": torch.zeros(B, Q, M, 2),
        "query_target": torch.full((B, Q), -100, dtype=torch.long),
        "codes": torch.zeros(B, K, E),
        "class_valid": torch.zeros(B, K, dtype=torch.bool),
    }
    for i, e in enumerate(episodes):
        m, q, k = e["context_x"].shape[0], e["query_x"].shape[0], e["codes"].shape[0]
        batch["context_x"][i, :m] = e["context_x"]
        batch["context_label"][i, :m] = e["context_label"]
        batch["context_valid"][i, :m] = True
        batch["context_distance"][i, :m, :m] = e["context_distance"]
        batch["query_x"][i, :q] = e["query_x"]
        batch["query_distance"][i, :q, :m] = e["query_distance"]
        batch["query_target"][i, :q] = e["query_target"]
        batch["codes"][i, :k] = e["codes"]
        batch["class_valid"][i, :k] = True
    return batch
