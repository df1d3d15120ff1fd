"""Drawing training episodes: a prior task, anchors, a context and queries, as tensors.

The same preprocessing (``model_views``) and the same context construction (``make_context``)
as inference; only the choices (which anchors, how much unlabelled context, which queries,
which label codes) are random here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pfn_core.episode import label_codes, make_context
from pfn_core.preprocessing import model_views
from pfn_core.prior import PriorConfig, sample_task


@dataclass(frozen=True)
class EpisodeConfig:
    """How anchors, context and queries are drawn for each training task."""

    anchors_per_cluster: tuple = (1, 1, 2, 3, 3, 5, 8, 10, 10, 15, 20)
    uneven_anchor_probability: float = 0.25
    unlabelled_context_sizes: tuple = (0, 64, 128, 192, 256, 256)
    max_queries: int = 256


def choose_anchors(rng: np.random.Generator, y: np.ndarray, per_cluster: int, uneven: bool):
    """Indices of anchors: up to `per_cluster` members of each cluster (at least one, never a
    whole cluster of two or more).  y (N,) with -1 noise -> (A,) indices"""
    chosen = []
    for c in np.unique(y[y >= 0]):
        members = np.flatnonzero(y == c)
        take = rng.integers(1, per_cluster + 1) if uneven else per_cluster
        take = min(take, max(len(members) - 1, 1))
        chosen.append(rng.choice(members, take, replace=False))
    return np.concatenate(chosen)


def sample_training_episode(rng: np.random.Generator, generator: torch.Generator, input_dim: int,
                            embed_dim: int, prior: PriorConfig, config: EpisodeConfig) -> dict:
    """One episode dict as ``episode.collate`` expects, with query_target set."""
    task = sample_task(rng, prior)
    features, geometry = model_views(task.X, input_dim)
    # Class indices carry no meaning: shuffle them so no code position is special.
    present = np.unique(task.y[task.y >= 0])
    relabel = np.full(present.max() + 2, -1)
    relabel[present] = rng.permutation(len(present))
    y = relabel[task.y]

    anchors = choose_anchors(
        rng, y, int(rng.choice(config.anchors_per_cluster)),
        rng.random() < config.uneven_anchor_probability,
    )
    others = np.setdiff1d(np.arange(len(y)), anchors)
    n_unlabelled = min(len(others), int(rng.choice(config.unlabelled_context_sizes)))
    unlabelled = rng.choice(others, n_unlabelled, replace=False)
    context_index = np.concatenate([anchors, unlabelled])
    context_label = np.concatenate([y[anchors], np.full(n_unlabelled, -1)])
    context = make_context(features, geometry, context_index, context_label,
                           rng.permutation(len(y)))

    candidates = others[y[others] >= 0]
    queries = rng.choice(candidates, min(len(candidates), config.max_queries), replace=False)
    query_geometry = torch.from_numpy(geometry[queries])
    return {
        "context_x": context.x,
        "context_label": context.label,
        "context_distance": context.distance_to(context.geometry),
        "query_x": torch.from_numpy(features[queries]),
        "query_distance": context.distance_to(query_geometry),
        "query_target": torch.from_numpy(y[queries]),
        "codes": label_codes(len(present), embed_dim, generator),
    }
