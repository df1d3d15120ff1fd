"""Nearest-landmark searches: blocked exact ones in torch and k-d trees."""

import numpy as np
from scipy.spatial import cKDTree

from pfn_core.nearest_landmarks import (
    ATTACH_TREE_EPS,
    attach,
    nearest_base_by_tree,
    nearest_others,
)


def test__nearest_others__in_blocks_matches_a_full_search():
    points = np.random.default_rng(6).normal(size=(250, 4))
    edge, neighbours = nearest_others(points, 5, batch_size=64)
    full = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_array_equal(np.sort(neighbours.numpy(), 1),
                                  np.sort(np.argsort(full, 1)[:, :5], 1))
    np.testing.assert_allclose(edge.numpy(), np.sort(full, 1)[:, :5], rtol=1e-5)


def test__nearest_others__never_lists_a_point_as_its_own_neighbour_even_with_duplicates():
    points = np.repeat(np.random.default_rng(8).normal(size=(40, 2)), 3, axis=0)  # triplets
    edge, neighbours = nearest_others(points, 4)
    assert (neighbours.numpy() != np.arange(120)[:, None]).all()
    assert (edge.numpy()[:, :2] == 0).all()  # its two copies come first


def test__nearest_base_by_tree__finds_what_the_full_search_finds():
    rng = np.random.default_rng(9)
    base = rng.normal(size=(300, 3)).astype(np.float32)
    queries = rng.normal(size=(200, 3)).astype(np.float32)
    base_rows = rng.permutation(1000)[:300]
    full = attach(queries, base, base_rows)
    by_tree = nearest_base_by_tree(queries, cKDTree(base), base_rows, eps=0.0)
    np.testing.assert_array_equal(by_tree.rows, full.rows)
    np.testing.assert_allclose(by_tree.hop, full.hop, rtol=1e-5)


def test__nearest_base_by_tree__approximate_search_stays_within_its_bound():
    rng = np.random.default_rng(10)
    base = rng.normal(size=(2000, 8)).astype(np.float32)
    queries = rng.normal(size=(500, 8)).astype(np.float32)
    base_rows = np.arange(2000) * 3
    exact = attach(queries, base, base_rows)
    found = nearest_base_by_tree(queries, cKDTree(base), base_rows, eps=ATTACH_TREE_EPS)
    # Each neighbour found is within (1 + eps) of the exact k-th neighbour's distance, its
    # hop is its true distance, and the neighbours found are distinct landmarks.
    assert (found.hop <= (1 + ATTACH_TREE_EPS) * exact.hop[:, -1:] * (1 + 1e-5)).all()
    true_hop = np.linalg.norm(queries[:, None] - base[found.rows // 3], axis=-1)
    np.testing.assert_allclose(found.hop, true_hop, rtol=1e-4)
    assert all(len(set(row)) == len(row) for row in found.rows)
    assert (found.rows[:, 0] == exact.rows[:, 0]).mean() > 0.8
