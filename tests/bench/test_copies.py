import numpy as np

from pfn_core.bench.copies import rounded, survey_table


def test__survey_tables__are_answers_on_a_one_to_five_scale_with_copies():
    X, y = survey_table(np.random.default_rng(0))
    assert 500 <= len(X) <= 3000 and 6 <= X.shape[1] <= 12 and len(y) == len(X)
    assert set(np.unique(X)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert 2 <= len(np.unique(y)) <= 5


def test__rounded__maps_each_column_to_whole_numbers_from_0_to_4():
    X = np.array([[0.0, 10.0, 3.0], [0.5, 20.0, 3.0], [1.0, 30.0, 3.0]])
    np.testing.assert_array_equal(rounded(X), [[0, 0, 0], [2, 2, 0], [4, 4, 0]])
