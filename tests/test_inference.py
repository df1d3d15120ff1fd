from unittest.mock import patch

import numpy as np

from pfn_core.episode import content_order
from pfn_core.geodesic import base_graph
from pfn_core.inference import attach_rows, canonical_class_order, choose_unlabelled_context


def test__content_order__follows_the_rows_when_they_are_shuffled():
    X = np.random.default_rng(0).normal(size=(50, 3))
    perm = np.random.default_rng(1).permutation(50)
    np.testing.assert_array_equal(perm[content_order(X[perm])], content_order(X))


def test__unlabelled_context__never_contains_anchors_and_respects_the_size():
    X = np.random.default_rng(0).normal(size=(40, 2))
    chosen = choose_unlabelled_context(content_order(X), np.array([0, 5, 9]), 20)
    assert len(chosen) == 20 and not set(chosen) & {0, 5, 9}


def test__canonical_class_order__depends_on_anchor_positions_not_on_class_names():
    geometry = np.array([[5.0, 0], [0.0, 0], [9.0, 1]])
    ranks = canonical_class_order(geometry, np.array([0, 1, 2]), np.array([0, 1, 2]), 3)
    assert ranks.tolist() == [1, 0, 2]
    swapped = canonical_class_order(geometry, np.array([0, 1, 2]), np.array([2, 1, 0]), 3)
    assert swapped.tolist() == [2, 0, 1]


def test__attach_rows__with_the_base_graph_matches_a_full_search():
    X = np.random.default_rng(7).normal(size=(600, 3))
    geometry = X.astype(np.float32)
    order = content_order(X)
    base_rows = order[:400]
    with (patch("pfn_core.inference.MAX_LANDMARKS", 400),
          patch("pfn_core.inference.ATTACH_TREE_EPS", 0.0)):  # the exact search to compare
        full = attach_rows(X, geometry, order=order)
        cached = attach_rows(X, geometry, order=order, base=base_graph(geometry, base_rows))
    np.testing.assert_array_equal(cached.rows, full.rows)
    np.testing.assert_allclose(cached.hop, full.hop, atol=1e-5)
    assert (cached.hop[base_rows, 0] == 0).all()  # a base landmark is its own nearest
