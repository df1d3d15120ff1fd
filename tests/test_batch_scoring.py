"""Scoring big tables: streaming chunks, the command line, and a real dask.distributed
cluster on loopback giving the same output as one process."""

import numpy as np
import pandas as pd
import pytest
import torch

from pfn_core import PFNClusterer
from pfn_core.batch_scoring import input_chunks, score_table
from pfn_core.cli import main


def _table(n, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    X = centres[truth] + rng.normal(0, 1, (n, 2))
    return pd.DataFrame({"id": np.arange(n), "a": X[:, 0], "b": X[:, 1]}), truth


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    frame, truth = _table(900)
    y = np.full(900, -1)
    for c in range(3):
        y[np.flatnonzero(truth == c)[:2]] = c
    path = tmp_path_factory.mktemp("model") / "fitted.safetensors"
    PFNClusterer().fit(frame[["a", "b"]], y).save(path)
    return path


def test__input_chunks__stream_csv_parquet_and_a_folder_in_row_order(tmp_path):
    frame, _ = _table(2500)
    frame.to_csv(tmp_path / "t.csv", index=False)
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.iloc[:1000].to_parquet(folder / "p0.parquet")
    frame.iloc[1000:].to_parquet(folder / "p1.parquet")
    for source in (tmp_path / "t.csv", folder):
        chunks = list(input_chunks(source, chunk_rows=700))
        assert max(len(c) for c in chunks) <= 700
        assert pd.concat(chunks).id.tolist() == list(range(2500))
    with pytest.raises(ValueError, match="not found"):
        list(input_chunks(tmp_path / "nope.csv"))


def test__predict_command__adds_the_cluster_and_confidence(fitted, tmp_path):
    frame, truth = _table(3000, seed=1)
    frame.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "in.csv"),
                 "--output", str(out), "--chunk-rows", "1000", "--no-progress"]) == 0
    scored = pd.read_csv(out)
    assert scored.columns.tolist() == ["id", "a", "b", "predicted_cluster", "confidence"]
    assert scored.id.tolist() == list(range(3000))
    assert (scored.predicted_cluster.to_numpy() == truth).mean() > 0.98
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "in.csv"),
                 "--output", str(out), "--features", "a,zzz", "--no-progress"]) == 2
    assert main(["predict", "--model", str(tmp_path / "in.csv"), "--input",
                 str(tmp_path / "in.csv"), "--output", str(out), "--no-progress"]) == 2


def test__predict_command__reads_a_european_csv(fitted, tmp_path):
    frame, truth = _table(300, seed=2)
    frame.to_csv(tmp_path / "eu.csv", index=False, sep=";", decimal=",")
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "eu.csv"),
                 "--output", str(out), "--chunk-rows", "100", "--no-progress"]) == 0
    scored = pd.read_csv(out)
    np.testing.assert_allclose(scored["a"], frame["a"])
    assert (scored.predicted_cluster.to_numpy() == truth).mean() > 0.95


def test__predict_command__refuses_an_unknown_output_format_and_an_empty_input(
        fitted, tmp_path, capsys):
    frame, _ = _table(50)
    frame.to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.xlsx"), "--no-progress"]) == 2
    assert "must end in .parquet, .csv or .tsv" in capsys.readouterr().err
    assert not (tmp_path / "out.xlsx").exists()
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "empty.csv"),
                 "--output", str(tmp_path / "out.csv"), "--no-progress"]) == 2
    assert "empty.csv is empty" in capsys.readouterr().err



def test__predict_command__names_the_column_of_a_bad_value_and_a_file_that_is_not_parquet(
        fitted, tmp_path, capsys):
    frame, _ = _table(50)
    frame["a"] = frame["a"].astype(object)
    frame.loc[3, "a"] = "oops"
    frame.to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "junk.parquet").write_text("not parquet")
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.csv"), "--no-progress"]) == 2
    assert "'a' has 1 non-numeric value, e.g. 'oops'" in capsys.readouterr().err
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "junk.parquet"),
                 "--output", str(tmp_path / "out.csv"), "--no-progress"]) == 2
    assert "junk.parquet is not a readable Parquet file" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test__predict_command__reads_utf16_text_and_refuses_binary_data(fitted, tmp_path, capsys):
    frame, _ = _table(50)
    (tmp_path / "in.csv").write_bytes(frame.to_csv(index=False).encode("utf-16"))
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.csv"), "--no-progress"]) == 0
    out = pd.read_csv(tmp_path / "out.csv")
    assert len(out) == 50 and np.allclose(out["a"], frame["a"])
    assert out["predicted_cluster"].notna().all()
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02 not a table \x00")
    assert main(["predict", "--model", str(fitted), "--input", str(tmp_path / "bin.csv"),
                 "--output", str(tmp_path / "out2.csv"), "--no-progress"]) == 2
    assert "could not read" in capsys.readouterr().err

def test__predict_to_parquet__numbered_anchors_beside_a_new_cluster_are_written_as_text(
        tmp_path):
    frame, truth = _table(900)
    y = np.full(900, -1)
    for c in (0, 1):  # nobody labels the third blob: discovery names it "new 1"
        y[np.flatnonzero(truth == c)[:3]] = c
    model = tmp_path / "fitted.safetensors"
    fitted = PFNClusterer().fit(frame[["a", "b"]], y)
    assert list(fitted.classes_) == [0, 1, "new 1"]
    fitted.save(model)
    frame.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.parquet"
    assert main(["predict", "--model", str(model), "--input", str(tmp_path / "in.csv"),
                 "--output", str(out), "--no-progress"]) == 0
    scored = pd.read_parquet(out)
    assert set(scored.predicted_cluster) == {"0", "1", "new 1"}
    assert (scored.predicted_cluster[truth == 2] == "new 1").mean() > 0.98


def _wide_table(n, seed):
    """16 columns of 6 overlapping blobs: confidences spread over (0, 1), and matrix
    products large enough that torch splits them over threads."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 6, n)
    X = rng.normal(0, 1.2, (6, 16))[truth] + rng.normal(0, 1, (n, 16))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(16)])
    frame.insert(0, "id", np.arange(n))
    return frame, truth


def test__dask_local_cluster__scores_exactly_as_one_process(tmp_path):
    from distributed import Client, LocalCluster

    train, truth = _wide_table(3000, seed=0)
    y = np.full(3000, -1)
    for c in range(6):
        y[np.flatnonzero(truth == c)[:3]] = c
    fitted = tmp_path / "wide.safetensors"
    PFNClusterer().fit(train.drop(columns="id"), y).save(fitted)
    frame, _ = _wide_table(300_000, seed=2)
    frame.to_parquet(tmp_path / "big.parquet", row_group_size=60_000)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # as the command line runs on this machine: a product split
    try:                      # over two threads differs in its last bits from one on one
        single = score_table(fitted, tmp_path / "big.parquet", tmp_path / "one.parquet",
                             features=[f"x{i}" for i in range(16)], chunk_rows=60_000)
    finally:
        torch.set_num_threads(threads)
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        spread = score_table(fitted, tmp_path / "big.parquet", tmp_path / "dask.parquet",
                             features=[f"x{i}" for i in range(16)], chunk_rows=60_000,
                             client=client)
    assert single == spread == 300_000
    one = pd.read_parquet(tmp_path / "one.parquet")
    other = pd.read_parquet(tmp_path / "dask.parquet")
    assert one.id.tolist() == list(range(300_000))
    assert 0.3 < one.confidence.median() < 0.99  # spread: rounding could flip on a last bit
    pd.testing.assert_frame_equal(one, other, check_exact=True)  # to the last bit


@pytest.mark.parametrize("bad_line", [2, 1500])  # in the first lines, or in a later chunk
def test__input_chunks__refuse_a_csv_row_with_more_fields_than_the_header(tmp_path, bad_line):
    lines = ["id,a,b"] + [f"{i},{i / 10},{i / 5}" for i in range(2000)]
    lines[bad_line - 1] += ",7"
    (tmp_path / "ragged.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=f"line {bad_line} of .*ragged.csv has 4 fields but "
                                         "the header names 3 columns"):
        list(input_chunks(tmp_path / "ragged.csv", chunk_rows=500))
