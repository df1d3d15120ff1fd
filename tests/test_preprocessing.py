import warnings

import numpy as np
import pandas as pd
import pytest

from pfn_core.preprocessing import impute_and_standardize, model_views, validate_features


def test__validate__refuses_empty_single_row_and_one_dimensional_input():
    with pytest.raises(ValueError, match="empty"):
        validate_features(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="single row"):
        validate_features(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="1-D"):
        validate_features(np.zeros(5))


def test__validate__names_the_non_numeric_column_and_an_example():
    frame = pd.DataFrame({"age": [1, 2, 3], "city": ["a", "b", "n/a"]})
    with pytest.raises(ValueError, match=r"'city' has 3 non-numeric values, e.g. 'a'"):
        validate_features(frame)


def test__validate__names_the_column_with_infinity():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, np.inf, 0.0]})
    with pytest.raises(ValueError, match="'y' has 1 infinite"):
        validate_features(frame)


def test__missing_values__are_filled_with_the_column_median():
    X = np.array([[1.0, 5.0], [np.nan, 6.0], [3.0, 7.0], [100.0, 8.0]])
    Z = impute_and_standardize(X)
    assert np.isfinite(Z).all()
    filled = impute_and_standardize(np.array([[1.0, 5.0], [3.0, 6.0], [3.0, 7.0], [100.0, 8.0]]))
    np.testing.assert_allclose(Z, filled)


def test__constant_columns__are_dropped():
    X = np.c_[np.arange(10.0), np.ones(10)]
    assert impute_and_standardize(X).shape == (10, 1)


def test__a_column_of_small_or_huge_values__is_standardised_not_dropped_or_overflowed():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    for magnitude in (1e-13, 1e-300, 1e300):
        for scale_columns in (True, False):
            np.testing.assert_allclose(impute_and_standardize(X * magnitude, scale_columns),
                                       impute_and_standardize(X, scale_columns), atol=1e-12)


def test__an_all_missing_column__is_dropped_without_a_warning():
    X = np.c_[np.arange(10.0), np.full(10, np.nan)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert impute_and_standardize(X).shape == (10, 1)


def test__columns_sharing_a_unit__keep_their_relative_spreads_when_not_scaled_one_by_one():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 3)) * [10.0, 1.0, 0.1] + [5.0, -2.0, 0.0]
    kept = impute_and_standardize(X, scale_columns=False)
    np.testing.assert_allclose(kept.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(kept.std(0) / kept.std(0)[0], X.std(0) / X.std(0)[0])
    np.testing.assert_allclose(np.mean(kept.std(0) ** 2), 1.0)  # one common unit
    np.testing.assert_allclose(impute_and_standardize(X).std(0), 1.0)  # the default z-scores


def test__model_views__have_the_model_width_whatever_the_number_of_columns():
    rng = np.random.default_rng(0)
    for columns in (1, 3, 40, 100):
        features, geometry = model_views(rng.normal(size=(80, columns)), input_dim=16)
        assert features.shape == (80, 16) and features.dtype == np.float32
        assert geometry.shape == (80, min(columns, 64, 80))


def test__model_views__do_not_write_into_the_callers_array():
    X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])
    before = X.copy()
    model_views(X, 16)
    np.testing.assert_array_equal(np.isnan(X), np.isnan(before))


def test__auto_scaling__keeps_principal_components_in_their_common_unit():
    from sklearn.decomposition import PCA

    from pfn_core.preprocessing import resolve_column_scaling

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 30)) * np.geomspace(10, 0.1, 30)
    components = PCA(10, random_state=0).fit_transform(X)
    assert resolve_column_scaling(components, "auto") is False


def test__auto_scaling__z_scores_correlated_columns_in_different_units():
    from pfn_core.preprocessing import resolve_column_scaling

    rng = np.random.default_rng(1)
    height = rng.normal(170, 10, 500)
    X = np.c_[height, 0.45 * height + rng.normal(0, 5, 500), 1000 * height]  # cm, kg, mm
    X[3, 1] = np.nan
    assert resolve_column_scaling(X, "auto") is True
    same_spread = rng.normal(size=(500, 3))  # both scalings agree: the default is kept
    assert resolve_column_scaling(same_spread, "auto") is True
    assert resolve_column_scaling(X, False) is False
    with pytest.raises(ValueError, match="'auto'"):
        resolve_column_scaling(X, "sometimes")


def test__estimator__reports_the_scaling_it_chose():
    from sklearn.decomposition import PCA

    from pfn_core import PFNClusterer

    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 400)
    shift = rng.normal(size=64)
    shift *= 2.2 / np.linalg.norm(shift)
    components = PCA(30, random_state=0).fit_transform(
        rng.normal(size=(400, 64)) + np.outer(2 * truth - 1, shift))
    y = np.full(400, -1)
    for c in (0, 1):
        first = np.flatnonzero(truth == c)[0]
        y[first] = c
    auto = PFNClusterer().fit(components, y)
    forced = PFNClusterer(scale_columns=True).fit(components, y)
    assert auto.scale_columns_ == "common unit" and forced.scale_columns_ == "z-score"
    assert (auto.labels_ == truth).mean() > 0.9 > (forced.labels_ == truth).mean()


def test__principal_axes__of_a_wide_table_from_the_scatter_matrix_match_the_svd():
    from pfn_core.preprocessing import SVD_MAX_COLUMNS, principal_axes

    rng = np.random.default_rng(3)
    Z = rng.normal(size=(500, SVD_MAX_COLUMNS + 36)) * np.linspace(3.0, 0.5, SVD_MAX_COLUMNS + 36)
    wide = principal_axes(Z, 16)  # the scatter matrix's eigenvectors
    _, _, vt = np.linalg.svd(Z - Z.mean(0), full_matrices=False)
    vt = vt[:16]
    vt *= np.sign(vt[np.arange(16), np.abs(vt).argmax(1)])[:, None]  # the same sign rule
    np.testing.assert_allclose(wide, (Z - Z.mean(0)) @ vt.T, atol=1e-8)
