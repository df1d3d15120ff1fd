"""``python -m pfn_core.bench.speed``: how long one clustering takes, by number of rows.

Times ``PFNClusterer().fit(X, y)`` (preprocessing, path distances, the forward pass: all of
it) on synthetic Gaussian blobs with 3 anchors per cluster, and prints a markdown table.
Each cell is the median of ``--repeats`` runs after one warm-up run (which loads the model).

    python -m pfn_core.bench.speed --threads 2
    python -m pfn_core.bench.speed --rows 1000 10000 --columns 2 --repeats 5
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from pfn_core.estimator import PFNClusterer

N_CLUSTERS = 5
ANCHORS_PER_CLUSTER = 3


def blobs_with_anchors(n_rows: int, n_columns: int, seed: int = 0):
    """Gaussian blobs and a y with a few anchors per blob.  -> X (N, D), y (N,) with -1"""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, N_CLUSTERS, n_rows)
    centres = rng.normal(0, 4, (N_CLUSTERS, n_columns))
    X = centres[truth] + rng.normal(0, 1, (n_rows, n_columns))
    y = np.full(n_rows, -1)
    for c in range(N_CLUSTERS):
        members = np.flatnonzero(truth == c)
        y[members[:ANCHORS_PER_CLUSTER]] = c
    return X, y


def time_fit(n_rows: int, n_columns: int, repeats: int, **settings) -> float:
    """Median wall-clock seconds of one fit, after a warm-up fit."""
    X, y = blobs_with_anchors(n_rows, n_columns)
    estimator = PFNClusterer(**settings)
    estimator.fit(X, y)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        estimator.fit(X, y)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.speed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--columns", nargs="+", type=int, default=[2, 50])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"Machine: {platform.platform()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}; default PFNClusterer settings; "
          f"{N_CLUSTERS} blobs, {ANCHORS_PER_CLUSTER} anchors each; median of {args.repeats}.\n")
    print("| rows | columns | seconds per fit | rows per second |")
    print("|---|---|---|---|")
    for n_rows in args.rows:
        for n_columns in args.columns:
            seconds = time_fit(n_rows, n_columns, args.repeats)
            print(f"| {n_rows:,} | {n_columns} | {seconds:.3f} | {n_rows / seconds:,.0f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
