"""``python -m pfn_core.bench`` end to end on a fake shared folder (no real data needed)."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pfn_core.bench.cli import main

REPO = Path(__file__).resolve().parents[2]


def make_shared(root: Path) -> Path:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.4, (15, 2)) for c in (0, 4)])
    stem = root / "data" / "clustering-benchmarks-v1" / "toy" / "blobs"
    stem.parent.mkdir(parents=True)
    with gzip.open(f"{stem}.data.gz", "wt") as handle:
        np.savetxt(handle, X)
    with gzip.open(f"{stem}.labels0.gz", "wt") as handle:
        np.savetxt(handle, np.repeat([1, 2], 15), fmt="%d")
    return root


def test__bench_cli__skips_cleanly_when_the_shared_folder_is_missing(tmp_path, capsys):
    assert main(["--shared", str(tmp_path / "absent"), "--out", "-"]) == 0
    assert "Benchmark skipped" in capsys.readouterr().out


@pytest.mark.slow  # a fresh interpreter imports torch: several seconds on a busy machine
def test__python_m_pfn_core_bench__skips_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pfn_core.bench", "--shared",
                           str(tmp_path / "absent")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0
    assert "Benchmark skipped" in done.stdout and "Traceback" not in done.stderr


def test__bench_cli__writes_report_and_json_that_regenerates_it(tmp_path):
    shared = make_shared(tmp_path / "shared")
    report, saved = tmp_path / "B.md", tmp_path / "r.json"
    argv = ["--shared", str(shared), "--datasets", "toy/blobs", "--levels", "0", "1",
            "--seeds", "0", "--methods", "kmeans", "knn1", "--out", str(report),
            "--results-json", str(saved), "--threads", "1", "--quiet"]
    assert main(argv) == 0
    payload = json.loads(saved.read_text())
    assert {r["method"] for r in payload["records"]} == {"kmeans", "knn1"}
    assert payload["command"].startswith("python -m pfn_core.bench --shared")
    first = report.read_text()
    assert "| toy/blobs |" in first
    regenerated = tmp_path / "again.md"
    assert main(["--from-json", str(saved), "--out", str(regenerated)]) == 0
    assert regenerated.read_text() == first


def test__bench_cli__reads_dataset_names_from_a_suite_file(tmp_path, capsys):
    shared = make_shared(tmp_path / "shared")
    suite = tmp_path / "suite.txt"
    suite.write_text("# one toy set\ntoy/blobs\n")
    argv = ["--shared", str(shared), "--datasets", str(suite), "--levels", "1", "--seeds", "0",
            "--methods", "knn1", "--out", "-", "--quiet"]
    assert main(argv) == 0
    assert "| toy/blobs |" in capsys.readouterr().out


def test__bench_cli__bad_settings_exit_2_with_a_message(tmp_path, capsys):
    shared = make_shared(tmp_path / "shared")
    assert main(["--shared", str(shared), "--out", "-"]) == 2  # no bench/dev_suite.txt
    assert "dev suite" in capsys.readouterr().err
    assert main(["--shared", str(shared), "--datasets", "toy/blobs", "toy/none", "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "toy/none" in err and "toy/blobs," not in err
    argv = ["--shared", str(shared), "--datasets", "toy/blobs", "--methods", "model",
            "--model-kwargs", '{"no_such_setting": 1}', "--out", "-"]
    assert main(argv) == 2
    assert "no_such_setting" in capsys.readouterr().err
    assert main(argv[:-4] + ["--weights", str(tmp_path / "none.safetensors"), "--out", "-"]) == 2
    assert "not found" in capsys.readouterr().err
