import numpy as np
import pytest

from pfn_core.prior import FAMILIES, PriorConfig, add_noise_points, sample_task


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test__every_family__returns_finite_points_with_one_label_each(name):
    X, y = FAMILIES[name](np.random.default_rng(3), 300, 4, 5)
    assert X.ndim == 2 and X.shape[1] == 5 and len(X) == len(y)
    assert np.isfinite(X).all()
    assert set(np.unique(y)) <= set(range(4))
    assert len(np.unique(y)) >= 2


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test__same_seed__gives_the_same_sample(name):
    a = FAMILIES[name](np.random.default_rng(7), 200, 3, 4)
    b = FAMILIES[name](np.random.default_rng(7), 200, 3, 4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test__sample_task__respects_the_configured_ranges():
    config = PriorConfig(min_points=50, max_points=120, max_clusters=5, max_dims=6)
    for seed in range(30):
        task = sample_task(np.random.default_rng(seed), config)
        clusters = len(np.unique(task.y[task.y >= 0]))
        assert 2 <= clusters <= 5
        assert task.family in FAMILIES
        assert np.isfinite(task.X).all()


def test__noise_points__are_labelled_minus_one_and_lie_near_the_data():
    X = np.random.default_rng(0).normal(size=(100, 3))
    Xn, yn = add_noise_points(np.random.default_rng(1), X, np.zeros(100, int), 0.1)
    assert len(Xn) == 110 and (yn[100:] == -1).all()
    span = X.max(0) - X.min(0)
    assert (Xn[100:] >= X.min(0) - 0.11 * span).all()
