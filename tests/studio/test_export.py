import io

import numpy as np
import pandas as pd
import pytest

from pfn_core.studio.export import results_frame, to_csv_bytes


@pytest.fixture
def table():
    return pd.DataFrame({"city": ["a", "b", "c"], "age": [1, 2, 3]}, index=[10, 20, 30])


def test__results_frame__puts_row_id_first_and_clusterings_last(table):
    out = results_frame(table, ["x", "y", "x"], np.array([0.9, 0.5, 0.7]), [0, 1, 0])
    assert list(out.columns) == [
        "row_id",
        "city",
        "age",
        "predicted_cluster",
        "confidence",
        "kmeans_cluster",
    ]
    assert out["row_id"].tolist() == [0, 1, 2]
    assert out["city"].tolist() == ["a", "b", "c"]
    assert out["predicted_cluster"].tolist() == ["x", "y", "x"]


def test__results_frame__does_not_change_the_input_and_skips_missing_columns(table):
    before = table.copy()
    out = results_frame(table, [1, 2, 3])
    assert "confidence" not in out and "kmeans_cluster" not in out
    pd.testing.assert_frame_equal(table, before)


def test__results_frame__renames_clashing_columns(table):
    table["row_id"] = [7, 8, 9]
    out = results_frame(table, [1, 2, 3])
    assert out["row_id"].tolist() == [7, 8, 9]
    assert out["row_id_2"].tolist() == [0, 1, 2]


def test__results_frame__refuses_wrong_lengths(table):
    with pytest.raises(ValueError, match="predicted_cluster has 2 values but the table has 3"):
        results_frame(table, [1, 2])


def test__to_csv_bytes__round_trips_through_pandas(table):
    out = results_frame(table, ["x", "y", "x"], [0.9, 0.5, 0.7], [0, 1, 0])
    back = pd.read_csv(io.BytesIO(to_csv_bytes(out)))
    assert back.columns.tolist() == out.columns.tolist()
    assert back["confidence"].tolist() == [0.9, 0.5, 0.7]


def test__fitted_model_bytes__load_back_into_a_clusterer_that_predicts(tmp_path):
    from pfn_core import PFNClusterer
    from pfn_core.studio.export import fitted_model_bytes

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (60, 2))])
    y = np.full(120, -1)
    y[0], y[60] = 0, 1
    est = PFNClusterer().fit(X, y)
    path = tmp_path / "download.safetensors"
    path.write_bytes(fitted_model_bytes(est))
    assert PFNClusterer.load(path).predict(X).tolist() == est.labels_.tolist()
