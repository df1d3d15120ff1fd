"""``python -m pfn_core.bench --paper``: the paper's experiments, small and real."""

import numpy as np
import pandas as pd
import pytest
import torch

from pfn_core.bench.cli import main
from pfn_core.bench.paper import (
    PaperConfig,
    gaussian_blobs,
    load_paper_dataset,
    matched_accuracy,
    run_paper,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test__matched_accuracy__ignores_cluster_names_and_counts_unmatched_clusters_as_wrong():
    truth = np.array([0, 0, 1, 1, 2, 2])
    assert matched_accuracy(truth, np.array([5, 5, 3, 3, 9, 9])) == 1.0
    assert matched_accuracy(truth, np.array([1, 1, 1, 1, 2, 2])) == pytest.approx(4 / 6)
    assert matched_accuracy(truth, np.arange(6)) == pytest.approx(3 / 6)
    with pytest.raises(ValueError):
        matched_accuracy(truth, truth[:3])


def test__gaussian_blobs__centres_are_separation_apart():
    X, y = gaussian_blobs(30_000, 2, 3, 5.0, np.random.default_rng(0))
    centres = np.stack([X[y == k].mean(0) for k in range(3)])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1)[np.triu_indices(3, 1)]
    np.testing.assert_allclose(gaps, 5.0, atol=0.1)
    with pytest.raises(ValueError):
        gaussian_blobs(100, 2, 4, 5.0, np.random.default_rng(0))  # 4 equidistant in 2-D


def test__paper_quick__writes_csv_png_and_summary_files(tmp_path, capsys):
    out = tmp_path / "paper"
    argv = ["--paper", "--quick", "--paper-out", str(out), "--shared", str(tmp_path / "none"),
            "--threads", "1", "--quiet"]
    assert main(argv) == 0
    names = {p.name for p in out.iterdir()}
    for stem in ("fig1_separation", "fig2_pre_clustered", "fig4_runtime"):
        assert {f"{stem}.csv", f"{stem}.png"} <= names
        assert (out / f"{stem}.png").read_bytes()[:8] == PNG_MAGIC
    curve = pd.read_csv(out / "fig2_pre_clustered.csv")
    assert set(curve["method"]) == {"model", "kmeans", "ward", "knn1", "label_spreading"}
    assert set(curve["k"]) == {0, 10, 50} and set(curve["dataset"]) == {"digits"}
    assert curve["accuracy"].between(0, 1).all() and curve["v_measure"].between(0, 1).all()
    assert not ((curve["k"] == 0) & curve["method"].isin(["knn1", "label_spreading"])).any()
    model = curve[curve["method"] == "model"].set_index("k")["accuracy"]
    assert model[50] > 0.8  # digits with 5 samples per digit: far from chance (0.1)
    runtime = pd.read_csv(out / "fig4_runtime.csv")
    assert set(runtime["method"]) == {"model", "kmeans", "ward"} and (runtime["seconds"] > 0).all()
    summary = (out / "summary.md").read_text()
    assert "python -m pfn_core.bench --paper --quick" in summary and "Figure 4" in summary
    assert "wrote" in capsys.readouterr().out


@pytest.fixture
def one_thread():
    """Tiny models run faster on one thread than on two busy ones (as --threads 1 does)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test__paper__without_the_shared_folder__says_mnist_was_skipped(tmp_path, one_thread):
    tiny = PaperConfig(datasets=("mnist",), seeds=(0,), runtime_rows=(100,), ward_max_rows=100,
                       separations=(6.0,), separation_rows=30, repeats=1)
    assert load_paper_dataset("mnist", tmp_path / "none") is None
    written = run_paper(tmp_path / "out", tiny, tmp_path / "none", devices=("cpu",))
    assert not any("fig2" in p.name for p in written)
    assert "Skipped: mnist: no" in (tmp_path / "out" / "summary.md").read_text()


def test__quick_without_paper__exits_2_with_a_message(capsys):
    assert main(["--quick", "--out", "-"]) == 2
    assert "--quick only applies to --paper" in capsys.readouterr().err
