"""``python -m pfn_core.bench.speed``: how long one clustering takes, by number of rows.

Times ``PFNClusterer().fit(X, y)`` on synthetic Gaussian blobs with 3 anchors per cluster
(``--anchors``; from 5 the fit also rebuilds the views in the anchors' metric; 0 clusters
without anchors, from ``n_clusters=5``, as the studio's first view does),
and prints a markdown table with two timings, each the median of ``--repeats`` runs after one
warm-up run (which loads the model):

- first fit of a table: preprocessing, every row's nearest landmarks, path distances, both
  passes (the table's views are dropped from the cache before each run);
- re-cluster of the same table, as in the studio when anchors change: the table's views
  come from ``table_views``' cache, everything that depends on the anchors is redone.

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
from pfn_core.table_views import clear_table_views

N_CLUSTERS = 5
ANCHORS_PER_CLUSTER = 3


def blobs_with_anchors(n_rows: int, n_columns: int, seed: int = 0,
                       per_class: int = ANCHORS_PER_CLUSTER):
    """Gaussian blobs and a y with `per_class` anchors per blob.  -> X (N, D), y (N,) with -1
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, N_CLUSTERS, n_rows)
    centres = rng.normal(0, 4, (N_CLUSTERS, n_columns))
    X = centres[truth] + rng.normal(0, 1, (n_rows, n_columns))
    y = np.full(n_rows, -1)
    for c in range(N_CLUSTERS):
        members = np.flatnonzero(truth == c)
        y[members[:per_class]] = c
    return X, y


def time_fit(n_rows: int, n_columns: int, repeats: int, per_class: int = ANCHORS_PER_CLUSTER,
             **settings) -> tuple[float, float]:
    """Median wall-clock seconds of (a first fit of the table, a re-cluster of it), after a
    warm-up fit."""
    X, y = blobs_with_anchors(n_rows, n_columns, per_class=per_class)
    if per_class == 0:
        settings.setdefault("n_clusters", N_CLUSTERS)
    estimator = PFNClusterer(**settings)
    estimator.fit(X, y)
    first, again = [], []
    for _ in range(repeats):
        clear_table_views()
        first.append(_seconds(estimator, X, y))
        again.append(_seconds(estimator, X, y))
    return statistics.median(first), statistics.median(again)


def _seconds(estimator: PFNClusterer, X, y) -> float:
    started = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.speed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--columns", nargs="+", type=int, default=[2, 50])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--anchors", type=int, default=ANCHORS_PER_CLUSTER,
                        help="anchors per blob (5 or more: the fit uses the anchors' metric; "
                             "0: no anchors, n_clusters=5)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"Machine: {platform.platform()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}; default PFNClusterer settings; "
          f"{N_CLUSTERS} blobs, {args.anchors} anchors each; median of {args.repeats}.\n")
    print("| rows | columns | first fit (s) | re-cluster, same table (s) | rows per second |")
    print("|---|---|---|---|---|")
    for n_rows in args.rows:
        for n_columns in args.columns:
            first, again = time_fit(n_rows, n_columns, args.repeats, args.anchors)
            print(f"| {n_rows:,} | {n_columns} | {first:.3f} | {again:.3f} | "
                  f"{n_rows / first:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
