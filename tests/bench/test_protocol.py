"""The protocol's standardisation, anchor drawing and scoring, checked against its text."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from pfn_core.bench.protocol import (
    draw_anchors,
    label_codes,
    partial_labels,
    score_without_anchors,
    standardize_for_protocol,
)


@pytest.fixture
def labels_out_of_order():
    # class 3 has one member, class 1 two, class 2 five; rows are not sorted by class
    return np.array([2, 3, 2, 1, 2, 2, 1, 2])


def test__draw_anchors__follows_the_formula_in_sorted_class_order(labels_out_of_order):
    y = labels_out_of_order
    for a in (1, 3, 10):
        for seed in (0, 1, 2):
            rng = np.random.default_rng(seed)
            expected = []
            for c in (1, 2, 3):  # sorted classes, each drawn in turn from the same generator
                members = np.flatnonzero(y == c)
                take = min(a, max(len(members) - 1, 1))
                expected.extend(rng.choice(members, take, replace=False))
            np.testing.assert_array_equal(draw_anchors(y, a, seed), expected)


def test__draw_anchors__keeps_one_row_unanchored_except_in_singletons(labels_out_of_order):
    y = labels_out_of_order
    anchors = draw_anchors(y, 10, seed=0)
    counts = {c: int((y[anchors] == c).sum()) for c in (1, 2, 3)}
    # size 2 -> max(1, 1) = 1; size 5 -> 4; size 1 -> max(0, 1) = 1 (the singleton itself)
    assert counts == {1: 1, 2: 4, 3: 1}
    assert len(set(anchors.tolist())) == len(anchors)


def test__draw_anchors__level_zero_is_empty_and_seeds_are_reproducible(labels_out_of_order):
    assert draw_anchors(labels_out_of_order, 0, seed=0).size == 0
    np.testing.assert_array_equal(draw_anchors(labels_out_of_order, 3, 1),
                                  draw_anchors(labels_out_of_order, 3, 1))
    with pytest.raises(ValueError, match="level"):
        draw_anchors(labels_out_of_order, -1, 0)


def test__draw_anchors__pins_the_indices_for_seed_zero():
    y = np.repeat([1, 2, 3], 4)
    np.testing.assert_array_equal(draw_anchors(y, 1, 0), _reference_draw(y, 1, 0))
    assert draw_anchors(y, 3, 0).tolist() == _reference_draw(y, 3, 0).tolist()


def _reference_draw(y, a, seed):
    rng = np.random.default_rng(seed)
    out = [rng.choice(np.flatnonzero(y == c), min(a, max((y == c).sum() - 1, 1)), replace=False)
           for c in sorted(set(y.tolist()))]
    return np.concatenate(out)


def test__standardize_for_protocol__drops_constant_columns_and_z_scores():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(5, 3, 40), np.full(40, 7.0), rng.uniform(0, 1, 40)])
    Z = standardize_for_protocol(X)
    assert Z.shape == (40, 2)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1)
    np.testing.assert_allclose(Z[:, 0], (X[:, 0] - X[:, 0].mean()) / X[:, 0].std())


def test__standardize_for_protocol__applies_pca_50_only_above_50_columns():
    rng = np.random.default_rng(1)
    wide = np.column_stack([rng.normal(size=(80, 60)), np.zeros(80)])
    Z = standardize_for_protocol(wide)
    zscored = (wide[:, :60] - wide[:, :60].mean(0)) / wide[:, :60].std(0)
    np.testing.assert_allclose(Z, PCA(50, random_state=0).fit_transform(zscored))
    exactly_50 = rng.normal(size=(80, 50))
    assert standardize_for_protocol(exactly_50).shape == (80, 50)


def test__standardize_for_protocol__refuses_unusable_input():
    with pytest.raises(ValueError, match="constant"):
        standardize_for_protocol(np.ones((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        standardize_for_protocol(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test__score_without_anchors__ignores_the_anchor_rows():
    y = np.array([1, 1, 1, 2, 2, 2])
    predicted = np.array([5, 0, 0, 9, 1, 1])  # wrong only at the anchors 0 and 3
    assert score_without_anchors(y, predicted, np.array([0, 3])) == 1.0
    assert score_without_anchors(y, predicted, np.zeros(0, dtype=int)) < 1.0


def test__partial_labels__keeps_anchor_labels_and_marks_the_rest():
    y = np.array([0, 0, 1, 1])  # 0 is a real class here (e.g. the digit zero)
    np.testing.assert_array_equal(partial_labels(y, np.array([1, 2])), [-1, 0, 1, -1])
    with pytest.raises(ValueError, match="-1"):
        partial_labels(np.array([-1, 1]), np.array([1]))


def test__score_without_anchors__scores_new_clusters_beside_integer_labels():
    y = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 0, 1, 1, "new 1", "new 1"], dtype=object)
    assert score_without_anchors(y, predicted, np.array([0])) == 1.0
    assert label_codes(predicted).tolist() == [0, 0, 1, 1, 2, 2]
