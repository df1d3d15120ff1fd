import numpy as np
import pytest

from pfn_core.studio.active import suggest_next, uncertainty


def test__uncertainty__is_one_minus_the_margin_between_the_two_best_clusters():
    proba = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.7, 0.1]])
    np.testing.assert_allclose(uncertainty(proba), [0.0, 1.0, 0.5])


def test__uncertainty__single_cluster_means_no_doubt():
    np.testing.assert_array_equal(uncertainty(np.ones((4, 1))), np.zeros(4))


def test__uncertainty__refuses_a_1d_array():
    with pytest.raises(ValueError, match="n_rows, n_clusters"):
        uncertainty(np.array([0.5, 0.5]))


def test__suggest_next__returns_most_uncertain_rows_without_the_excluded_ones():
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4], [0.55, 0.45], [1.0, 0.0]])
    assert suggest_next(proba, n=2) == [1, 3]
    assert suggest_next(proba, n=2, exclude=[1]) == [3, 2]
    assert suggest_next(proba, n=0) == []
    assert suggest_next(proba, n=99, exclude={0, 1, 2, 3, 4}) == []


def test__suggest_next__breaks_ties_by_row_id():
    proba = np.tile([0.5, 0.5], (6, 1))
    assert suggest_next(proba, n=3, exclude=(0,)) == [1, 2, 3]


def test__suggest_next__refuses_negative_n():
    with pytest.raises(ValueError, match="n must be zero or more"):
        suggest_next(np.ones((2, 2)) / 2, n=-1)
