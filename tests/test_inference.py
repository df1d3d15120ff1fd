import numpy as np

from pfn_core.episode import content_order
from pfn_core.inference import canonical_class_order, choose_unlabelled_context


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
