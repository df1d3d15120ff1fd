"""Where benchmark data lives and how each dataset is read.

Names:
- ``BATTERY/NAME`` (e.g. ``fcps/hepta``): Gagolewski's clustering-benchmarks-v1, read from
  ``<shared>/data/clustering-benchmarks-v1/BATTERY/NAME.{data,labels0}.gz``. Label 0 marks
  noise and is dropped here (protocol step 1).
- ``mnist:N`` (e.g. ``mnist:10000``): the first N images of the MNIST test set, flattened to
  784 floats; labels are the digits 0-9 (no noise label).

The shared folder is ``../shared`` beside the repository, overridable by ``PFN_SHARED``.
Nothing here is copied into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

import numpy as np

DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BATTERIES_DIR = Path("data") / "clustering-benchmarks-v1"
MNIST_DIR = Path("data") / "mnist"
DEV_SUITE = Path("bench") / "dev_suite.txt"
NOISE_LABEL = 0


def resolve_shared_root(explicit: str | os.PathLike | None = None) -> Path:
    """The shared folder: `explicit`, else $PFN_SHARED, else ``../shared`` beside the repo."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get("PFN_SHARED")
    return Path(from_env) if from_env else DEFAULT_SHARED


def suite_or_given(datasets: list[str] | None, root: Path) -> list[str] | None:
    """The datasets a benchmark command runs: `datasets` when given, else the dev suite
    under `root`; None (after saying so) when the suite is absent, as on a fresh clone."""
    if datasets is not None:
        return list(datasets)
    if not (root / DEV_SUITE).exists():
        print(f"skipped: the dev suite ({root / DEV_SUITE}) is absent; it lives in ../shared.")
        return None
    return read_suite(root / DEV_SUITE)


def read_suite(path: str | os.PathLike) -> list[str]:
    """Dataset names from a suite file: one per line; blank lines and '#' comments skipped."""
    names = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def dataset_files(name: str, shared_root: str | os.PathLike) -> list[Path]:
    """The files a dataset name reads (without checking that they exist)."""
    shared_root = Path(shared_root)
    if name.startswith("mnist:"):
        folder = shared_root / MNIST_DIR
        return [folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"]
    stem = shared_root / BATTERIES_DIR / name
    return [stem.parent / (stem.name + ".data.gz"), stem.parent / (stem.name + ".labels0.gz")]


def load_dataset(name: str, shared_root: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one dataset by name -> (X (N, D) float64, y (N,) int64), noise rows dropped."""
    shared_root = Path(shared_root)
    if name.startswith("mnist:"):
        count = name.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(
                f"{name!r}: write mnist:N with N a positive integer, e.g. mnist:10000."
            )
        return load_mnist(shared_root / MNIST_DIR, int(count))
    if name.count("/") != 1:
        raise ValueError(
            f"unknown dataset name {name!r}: use BATTERY/NAME (e.g. fcps/hepta) or mnist:N."
        )
    return load_battery_dataset(*dataset_files(name, shared_root))


def load_battery_dataset(data_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``NAME.data.gz`` and ``NAME.labels0.gz``, dropping noise (label 0).

    -> (X (N, D) float64, y (N,) int64 in 1..K)"""
    for path in (data_path, labels_path):
        if not path.exists():
            raise ValueError(
                f"dataset file {path} not found; check the name and the shared folder."
            )
    X = np.loadtxt(data_path, ndmin=2)
    y = np.loadtxt(labels_path, dtype=np.int64, ndmin=1)
    if len(X) != len(y):
        raise ValueError(f"{data_path} has {len(X)} rows but {labels_path} has {len(y)} labels.")
    keep = y != NOISE_LABEL
    return X[keep], y[keep]


def load_mnist(folder: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` MNIST test images and labels.  -> (X (count, 784) float64, y (count,))"""
    images_path = folder / "t10k-images-idx3-ubyte.gz"
    labels_path = folder / "t10k-labels-idx1-ubyte.gz"
    for path in (images_path, labels_path):
        if not path.exists():
            raise ValueError(f"MNIST file {path} not found; check the shared folder.")
    with gzip.open(images_path, "rb") as handle:
        header = np.frombuffer(handle.read(16), dtype=">i4")
        n_images, n_rows, n_cols = (int(v) for v in header[1:])
        if count > n_images:
            raise ValueError(f"mnist:{count} asks for more images than the file has ({n_images}).")
        pixels = np.frombuffer(handle.read(count * n_rows * n_cols), dtype=np.uint8)
    with gzip.open(labels_path, "rb") as handle:
        handle.read(8)
        labels = np.frombuffer(handle.read(count), dtype=np.uint8)
    X = pixels.reshape(count, n_rows * n_cols).astype(np.float64)
    return X, labels.astype(np.int64)


def suite_parser(prog: str, doc: str, seeds=(0, 1, 2)) -> argparse.ArgumentParser:
    """A parser with the options every dev-suite benchmark takes (--datasets, --seeds,
    --shared, --threads, --results-json); the benchmark adds its own. `doc`: the module's
    docstring, whose first paragraph becomes the description."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", help="dataset names (default: the dev suite)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(seeds))
    parser.add_argument("--shared", help="the shared folder (default: ../shared)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--results-json", help="also save the records here")
    return parser


def apply_threads(args) -> None:
    """Give torch the ``--threads`` of a ``suite_parser``'s arguments, if set."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)


def open_suite(args) -> tuple[Path, list[str]] | None:
    """Apply --threads and find the shared folder and the datasets to run (from a
    ``suite_parser``'s arguments) -> (root, names), or None when the shared folder is
    missing (``suite_or_given`` has said so)."""
    apply_threads(args)
    root = resolve_shared_root(args.shared)
    names = suite_or_given(args.datasets, root)
    return None if names is None else (root, names)
