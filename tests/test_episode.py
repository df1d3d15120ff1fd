"""Turning a dataset plus anchors into the model's tensors (pfn_core/episode.py)."""

from dataclasses import replace

import numpy as np
import torch

from pfn_core.episode import (
    SCALE_SAMPLE,
    content_order,
    content_rank,
    make_context,
    neighbour_scale,
)
from pfn_core.geodesic import landmark_paths


def blobs(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0, 1, (n // 2, 3)), rng.normal(6, 1, (n // 2, 3))])
    return X.astype(np.float32)


def context_of(X, context_index, labels):
    return make_context(X, X, context_index, labels, content_order(X))


def test__distance_unit__comes_from_the_data_not_from_how_many_tokens_the_context_holds():
    X = blobs()
    two_anchors = context_of(X, np.array([0, 300]), np.array([0, 1]))
    many_tokens = context_of(X, np.arange(0, 400, 5), np.full(80, -1))
    assert float(two_anchors.scale) == float(many_tokens.scale)
    sample = torch.from_numpy(X[content_order(X)[:SCALE_SAMPLE]])
    assert float(two_anchors.scale) == float(neighbour_scale(sample))


def test__distance_unit__is_the_typical_squared_gap_between_close_neighbours():
    grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), -1).reshape(-1, 2)
    # On a unit grid the 4th nearest neighbour of most points is at distance 1.
    assert float(neighbour_scale(torch.from_numpy(grid).float())) == 1.0


def test__distances__have_a_straight_and_a_path_channel_in_the_data_unit():
    X = blobs(1)
    context = context_of(X, np.array([3, 250]), np.array([0, 1]))
    distance = context.distance_to(torch.from_numpy(X[:7]))  # (7, 2, 2)
    assert distance.shape == (7, 2, 2)
    straight = ((X[:7, None, :] - X[[3, 250]][None]) ** 2).sum(-1) / float(context.scale)
    np.testing.assert_allclose(distance[..., 0].numpy(), straight, rtol=1e-3, atol=1e-4)
    assert (distance[..., 1] >= distance[..., 0] - 1e-4).all()  # a path is never shorter


def test__content_rank__follows_each_row_when_rows_are_shuffled():
    X = np.random.default_rng(5).normal(size=(50, 3))
    perm = np.random.default_rng(6).permutation(50)
    rank = content_rank(X)
    assert sorted(rank.tolist()) == list(range(50))
    np.testing.assert_array_equal(content_rank(X[perm]), rank[perm])


def test__across_separate_parts__the_attention_reads_the_same_distances_without_the_straight_line():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(400, 1, (150, 2)),
                        rng.normal((0, 900), 1, (100, 2))]).astype(np.float32)
    context = context_of(X, np.array([0, 160, 310]), np.array([0, 1, 2]))
    exact = replace(context, paths=landmark_paths(X, context.paths.rows[:3], content_order(X)))
    assert (context.paths.from_context != exact.paths.from_context).any()  # the fill differs
    queries = torch.from_numpy(X[::7])
    assert torch.equal(context.distance_to(queries), exact.distance_to(queries))
