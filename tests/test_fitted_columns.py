import numpy as np
import pandas as pd
import pytest

from pfn_core.fitted_columns import column_names, in_fitted_order


def test__column_names__are_strings_for_a_dataframe_and_none_for_an_array():
    assert list(column_names(pd.DataFrame({"a": [1.0], 2: [3.0]}))) == ["a", "2"]
    assert column_names(np.zeros((1, 2))) is None


def test__in_fitted_order__takes_the_fitted_columns_in_order_and_names_the_missing():
    X = pd.DataFrame({"b": [1.0], "a": [2.0], "extra": [3.0]})
    assert list(in_fitted_order(X, np.array(["a", "b"], dtype=object)).columns) == ["a", "b"]
    array = np.zeros((1, 2))
    assert in_fitted_order(array, np.array(["a", "b"], dtype=object)) is array
    assert in_fitted_order(X, None) is X
    with pytest.raises(ValueError, match="lacks the fitted columns 'c'"):
        in_fitted_order(X, np.array(["a", "c"], dtype=object))
