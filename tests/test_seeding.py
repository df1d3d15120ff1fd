import numpy as np
import pytest

from pfn_core.seeding import confident_anchors, density_peak_seeds


def test__density_peaks__pick_one_seed_in_each_well_separated_blob():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    X = np.concatenate([c + rng.normal(0, 1, (80, 2)) for c in centres])
    seeds = density_peak_seeds(X, X, 3)
    assert sorted(seeds // 80) == [0, 1, 2]


def test__density_peaks__do_not_depend_on_row_order():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(c, 1, (60, 3)) for c in (0, 6)])
    perm = rng.permutation(len(X))
    a = density_peak_seeds(X, X, 2)
    b = density_peak_seeds(X[perm], X[perm], 2)
    np.testing.assert_array_equal(np.sort(perm[b]), np.sort(a))


def test__density_peaks__refuse_impossible_cluster_counts():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="exceeds the number of rows"):
        density_peak_seeds(X, X, 6)
    with pytest.raises(ValueError, match="at least 1"):
        density_peak_seeds(X, X, 0)


def test__confident_anchors__take_the_surest_rows_of_each_class_and_skip_excluded():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9], [0.95, 0.05]])
    index, classes = confident_anchors(proba, 1, exclude=np.array([4]))
    assert index.tolist() == [0, 3] and classes.tolist() == [0, 1]


def test__confident_anchors__with_a_pool_spread_over_the_surer_part_of_each_class():
    confidence = np.linspace(0.99, 0.51, 10)  # rows 0..9 all class 0, surest first
    proba = np.c_[confidence, 1 - confidence]
    top, _ = confident_anchors(proba, 3, exclude=np.zeros(0, dtype=np.int64))
    spread, _ = confident_anchors(proba, 3, exclude=np.zeros(0, dtype=np.int64), pool=0.8)
    assert top.tolist() == [0, 1, 2]
    assert spread.tolist() == [0, 4, 7]  # evenly over the surest 8 rows, not the least sure


def test__confident_anchors__never_pick_more_rows_than_a_class_has():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    index, classes = confident_anchors(proba, 5, exclude=np.array([0]), pool=0.8)
    assert sorted(index.tolist()) == [1, 2] and sorted(classes.tolist()) == [0, 1]


def test__density_peaks__give_each_of_two_concentric_rings_a_seed():
    rng = np.random.default_rng(3)
    angle = rng.uniform(0, 2 * np.pi, 400)
    radius = np.where(np.arange(400) < 200, 1.0, 4.0) + rng.normal(0, 0.05, 400)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    seeds = density_peak_seeds(X, X, 2)
    assert sorted(seeds // 200) == [0, 1]
