"""``python -m pfn_core cluster`` on small CSV/TSV files, including every error path."""

import re

import numpy as np
import pandas as pd
import pytest

from pfn_core.checkpoint import SHIPPED_WEIGHTS
from pfn_core.cli import anchor_labels, main

needs_weights = pytest.mark.skipif(
    not SHIPPED_WEIGHTS.exists(), reason=f"no trained weights at {SHIPPED_WEIGHTS}")


@pytest.fixture
def blobs_csv(tmp_path):
    """40 rows in two far-apart blobs, a text column, and anchors 'left'/'right' in 'kind'."""
    rng = np.random.default_rng(0)
    xy = np.concatenate([rng.normal(0, 0.5, (20, 2)), rng.normal(6, 0.5, (20, 2))])
    kind = [""] * 40
    kind[0], kind[1], kind[20], kind[21] = "left", "left", "right", "right"
    table = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "note": ["n"] * 40, "kind": kind})
    path = tmp_path / "blobs.csv"
    table.to_csv(path, index=False)
    return path


@needs_weights
def test__cluster__writes_input_plus_prediction_and_confidence(blobs_csv, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["cluster", str(blobs_csv), "--label-column", "kind", "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["x", "y", "note", "kind", "predicted_cluster", "confidence"]
    assert (result["predicted_cluster"][:20] == "left").all()
    assert (result["predicted_cluster"][20:] == "right").all()
    assert result["confidence"].between(0, 1).all()


@needs_weights
def test__cluster__the_out_suffix_picks_the_format_and_an_unknown_one_is_refused_first(
        blobs_csv, tmp_path, capsys):
    assert main(["cluster", str(blobs_csv), "--label-column", "kind",
                 "--out", str(tmp_path / "out.xlsx")]) == 2
    assert "must end in .csv, .tsv or .txt" in capsys.readouterr().err
    assert not (tmp_path / "out.xlsx").exists()
    for name in ("out.tsv", "out.parquet"):
        assert main(["cluster", str(blobs_csv), "--label-column", "kind",
                     "--out", str(tmp_path / name)]) == 0
    tsv = pd.read_csv(tmp_path / "out.tsv", sep="\t")  # tabs, though the input had commas
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert list(tsv.columns) == list(parquet.columns) == [
        "x", "y", "note", "kind", "predicted_cluster", "confidence"]
    assert (parquet["predicted_cluster"] == tsv["predicted_cluster"]).all()


@needs_weights
def test__cluster__says_when_few_agreeing_anchors_name_the_models_own_clustering(blobs_csv,
                                                                                tmp_path,
                                                                                capsys):
    out = tmp_path / "out.csv"
    assert main(["cluster", str(blobs_csv), "--label-column", "kind", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "the model's own clustering" in err  # 2 per label, agreeing
    # the one-line summary, with the model's estimate of the 36 unlabelled rows
    assert "2 clusters: left 20, right 20; the model expects about" in err
    assert "of the 36 unlabelled rows to be in the right cluster" in err


@needs_weights
def test__cluster__same_unit_keeps_the_columns_relative_spreads(tmp_path):
    rng = np.random.default_rng(1)
    side = np.repeat([0, 1], 100)
    # Two groups 20 apart along x; 20 more columns are narrow noise in the same unit.
    noise = {f"n{i}": rng.normal(0, 0.3, 200) for i in range(20)}
    table = pd.DataFrame({"x": side * 20.0 + rng.normal(0, 1, 200), **noise, "kind": [""] * 200})
    table.loc[[0, 100], "kind"] = ["a", "b"]
    path, out = tmp_path / "wide.csv", tmp_path / "out.csv"
    table.to_csv(path, index=False)
    assert main(["cluster", str(path), "--label-column", "kind", "--same-unit",
                 "--out", str(out)]) == 0
    predicted = pd.read_csv(out)["predicted_cluster"].to_numpy()
    assert (predicted == np.where(side == 0, "a", "b")).mean() > 0.95


@needs_weights
def test__cluster__without_anchors_uses_n_clusters_and_prints_tsv(blobs_csv, tmp_path, capsys):
    tsv = tmp_path / "blobs.tsv"
    pd.read_csv(blobs_csv).drop(columns="kind").to_csv(tsv, sep="\t", index=False)
    assert main(["cluster", str(tsv), "--n-clusters", "2", "--features", "x,y"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[-2:] == ["predicted_cluster", "confidence"] and len(lines) == 41


@pytest.mark.parametrize("extra, message", [
    (["--label-column", "nope"], "label column 'nope' not found"),
    (["--label-column", "kind", "--features", "x,zz"], "'zz'"),
    (["--label-column", "kind", "--features", "x,note"], "non-numeric"),
])
def test__cluster__bad_input_exits_2_with_one_line(blobs_csv, capsys, extra, message):
    assert main(["cluster", str(blobs_csv)] + extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@needs_weights
def test__cluster__without_anchors_or_k_the_model_estimates_k(tmp_path, capsys):
    rng = np.random.default_rng(2)
    xy = np.concatenate([rng.normal(0, 0.5, (150, 2)), rng.normal(6, 0.5, (150, 2))])
    path, out = tmp_path / "two.csv", tmp_path / "out.csv"
    pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "kind": np.nan}).to_csv(path, index=False)
    assert main(["cluster", str(path), "--label-column", "kind", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "the model found 2 clusters" in err
    assert re.search(r"2 clusters: [01] 150, [01] 150\n", err)
    assert "expects" not in err  # clusters without names: no estimate of rows right
    predicted = pd.read_csv(out)["predicted_cluster"].to_numpy()
    assert len(set(predicted[:150])) == 1 and len(set(predicted[150:])) == 1
    assert predicted[0] != predicted[150]


@needs_weights
def test__cluster__leaves_a_row_identifier_out_of_the_default_features(blobs_csv, tmp_path,
                                                                       capsys):
    table = pd.read_csv(blobs_csv)
    table.insert(0, "id", np.arange(40))
    table.to_csv(tmp_path / "ids.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["cluster", str(tmp_path / "ids.csv"), "--label-column", "kind",
                 "--out", str(out)]) == 0
    assert "left out id" in capsys.readouterr().err
    result = pd.read_csv(out)
    assert (result["predicted_cluster"][:20] == "left").all()
    assert (result["predicted_cluster"][20:] == "right").all()


@needs_weights
def test__cluster__reads_a_european_csv_and_writes_it_back_with_semicolons(blobs_csv,
                                                                         tmp_path):
    table = pd.read_csv(blobs_csv)
    table.to_csv(tmp_path / "eu.csv", index=False, sep=";", decimal=",")
    out = tmp_path / "out.csv"
    assert main(["cluster", str(tmp_path / "eu.csv"), "--label-column", "kind",
                 "--out", str(out)]) == 0
    result = pd.read_csv(out, sep=";")
    np.testing.assert_allclose(result["x"], table["x"])  # "1,5" read as 1.5
    assert (result["predicted_cluster"][:20] == "left").all()


def test__cluster__an_empty_file_exits_2_saying_so(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    assert main(["cluster", str(tmp_path / "empty.csv")]) == 2
    assert "empty.csv is empty" in capsys.readouterr().err


def test__cluster__a_missing_file_exits_2(tmp_path, capsys):
    assert main(["cluster", str(tmp_path / "nothing.csv"), "--n-clusters", "2"]) == 2
    assert "not found" in capsys.readouterr().err


def test__anchor_labels__reads_gaps_as_unlabelled_and_whole_floats_as_ints():
    table = pd.DataFrame({"lab": [1.0, np.nan, 2.0], "txt": ["a", "", None]})
    assert anchor_labels(table, "lab") == [1, None, 2]
    assert anchor_labels(table, "txt") == ["a", None, None]
    assert anchor_labels(table, None) == [None, None, None]


@pytest.mark.parametrize("extra", [[], ["--sep", ","]])
def test__cluster__a_row_with_more_fields_than_the_header_exits_2_naming_the_line(
        tmp_path, capsys, extra):
    (tmp_path / "ragged.csv").write_text("x,y\n1,2,3\n4,5\n6,7\n")  # pandas: 1 as the index
    assert main(["cluster", str(tmp_path / "ragged.csv"), "--n-clusters", "2"] + extra) == 2
    err = capsys.readouterr().err
    assert "line 2 of" in err and "has 3 fields but the header names 2 columns" in err
    assert "Traceback" not in err


@needs_weights
def test__cluster__save_model_writes_a_clusterer_that_predict_uses(blobs_csv, tmp_path, capsys):
    fitted, out = tmp_path / "fit.safetensors", tmp_path / "out.csv"
    assert main(["cluster", str(blobs_csv), "--label-column", "kind", "--out", str(out),
                 "--save-model", str(fitted)]) == 0
    assert f"saved the fitted clusterer to {fitted}" in capsys.readouterr().err
    scored = tmp_path / "scored.csv"
    assert main(["predict", "--model", str(fitted), "--input", str(blobs_csv),
                 "--output", str(scored), "--no-progress"]) == 0
    assert (pd.read_csv(scored)["predicted_cluster"] == pd.read_csv(out)["predicted_cluster"]
            ).all()


@pytest.mark.parametrize("where, message", [
    ("missing/fit.safetensors", "does not exist; create it or save elsewhere"),
    (".", "is a folder: give the file to write"),
])
def test__cluster__save_model_to_a_bad_place_exits_2_before_the_fit(blobs_csv, tmp_path,
                                                                    capsys, where, message):
    out = tmp_path / "out.csv"
    assert main(["cluster", str(blobs_csv), "--label-column", "kind", "--out", str(out),
                 "--save-model", str(tmp_path / where)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
