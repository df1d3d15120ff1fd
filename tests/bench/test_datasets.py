"""Reading benchmark datasets by name, from a fake shared folder in tmp_path."""

import gzip

import numpy as np
import pytest

from pfn_core.bench.datasets import load_dataset, read_suite, resolve_shared_root


def write_battery(root, name, X, y):
    stem = root / "data" / "clustering-benchmarks-v1" / name
    stem.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(f"{stem}.data.gz", "wt") as handle:
        np.savetxt(handle, X)
    with gzip.open(f"{stem}.labels0.gz", "wt") as handle:
        np.savetxt(handle, y, fmt="%d")


def test__load_dataset__drops_noise_rows(tmp_path):
    X = np.arange(12, dtype=float).reshape(6, 2)
    write_battery(tmp_path, "toy/six", X, np.array([1, 0, 2, 2, 0, 1]))
    X_read, y_read = load_dataset("toy/six", tmp_path)
    np.testing.assert_array_equal(X_read, X[[0, 2, 3, 5]])
    np.testing.assert_array_equal(y_read, [1, 2, 2, 1])


def test__load_dataset__reads_one_column_data_as_2d(tmp_path):
    write_battery(tmp_path, "toy/line", np.arange(4.0)[:, None], np.array([1, 1, 2, 2]))
    assert load_dataset("toy/line", tmp_path)[0].shape == (4, 1)


def test__load_dataset__reads_the_first_n_mnist_images(tmp_path):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    pixels = np.arange(3 * 784, dtype=np.uint32).astype(np.uint8)
    header = np.array([2051, 3, 28, 28], dtype=">i4").tobytes()
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(header + pixels.tobytes())
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(np.array([2049, 3], dtype=">i4").tobytes() + bytes([7, 0, 4]))
    X, y = load_dataset("mnist:2", tmp_path)
    assert X.shape == (2, 784) and X.dtype == np.float64
    np.testing.assert_array_equal(X.ravel(), pixels[: 2 * 784])
    np.testing.assert_array_equal(y, [7, 0])
    with pytest.raises(ValueError, match="more images"):
        load_dataset("mnist:4", tmp_path)


def test__load_dataset__explains_bad_names(tmp_path):
    with pytest.raises(ValueError, match="BATTERY/NAME"):
        load_dataset("hepta", tmp_path)
    with pytest.raises(ValueError, match="not found"):
        load_dataset("fcps/nothing", tmp_path)
    with pytest.raises(ValueError, match="mnist:N"):
        load_dataset("mnist:many", tmp_path)


def test__read_suite__skips_blanks_and_comments(tmp_path):
    suite = tmp_path / "suite.txt"
    suite.write_text("# dev\nfcps/hepta\n\nother/iris  # small\n")
    assert read_suite(suite) == ["fcps/hepta", "other/iris"]


def test__resolve_shared_root__prefers_explicit_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PFN_SHARED", str(tmp_path / "env"))
    assert resolve_shared_root(tmp_path / "given") == tmp_path / "given"
    assert resolve_shared_root() == tmp_path / "env"
    monkeypatch.delenv("PFN_SHARED")
    assert resolve_shared_root().name == "shared"
