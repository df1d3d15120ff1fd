"""``python -m pfn_core.bench.scoring``: rows per second of ``python -m pfn_core predict``
on a big table, in one process and on a local Dask cluster, with peak memory.

Writes a folder of Parquet files with ``--rows`` rows (16 columns, 10 Gaussian clusters,
as ``bench.speed``: one set of cluster centres for the whole table) in pieces, fits a
clusterer on its first 10,000 rows with 5 anchors per cluster and saves it, then runs the
command line once per mode in a fresh process and reports wall-clock seconds, rows per
second, the largest resident set of any one process (the command or a Dask worker), the
ARI of the first piece's predictions against its true clusters, and whether both outputs
are identical.

Until the thirteenth session each piece (and the fitted table) came from
``speed.blobs(n, seed)``, whose centres depend on both arguments: the clusterer was fitted
on one set of clusters and scored ten others, far from every landmark it knew. Exact
nearest-landmark searches are slow there (a 100,000-row chunk of ``--method carry`` 3.9 s,
against 0.67 s on rows of the fitted clusters), so the rows per second reported before were
those of a table unlike the fitted one.

    python -m pfn_core.bench.scoring --rows 10000000 --workdir runs/scoring
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pfn_core.bench.speed import CENTRE_SPREAD, N_CLUSTERS, N_COLUMNS, draw_targets

PIECE_ROWS = 1_000_000
FIT_ROWS = 10_000
CENTRES_SEED = 0


def table_piece(piece: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of piece number `piece` of the table: X (n_rows, 16) float32 around the table's
    one set of centres (drawn from ``CENTRES_SEED``), and each row's true cluster."""
    centres = np.random.default_rng(CENTRES_SEED).normal(
        0, CENTRE_SPREAD["separated"], (N_CLUSTERS, N_COLUMNS))
    rng = np.random.default_rng(1 + piece)
    truth = rng.integers(0, N_CLUSTERS, n_rows)
    X = (centres[truth] + rng.normal(0, 1, (n_rows, N_COLUMNS))).astype(np.float32)
    return X, truth


def _frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def write_table(folder: Path, n_rows: int) -> None:
    """`n_rows` rows as Parquet files of at most PIECE_ROWS rows each (``table_piece``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for piece, start in enumerate(range(0, n_rows, PIECE_ROWS)):
        X, _ = table_piece(piece, min(PIECE_ROWS, n_rows - start))
        _frame(X).to_parquet(folder / f"part-{piece:05d}.parquet", row_group_size=100_000)


def fit_and_save(path: Path, n_rows: int) -> None:
    """Fit on the table's first ``FIT_ROWS`` rows, 5 anchors per cluster, and save."""
    from pfn_core.estimator import PFNClusterer

    X, truth = table_piece(0, min(PIECE_ROWS, n_rows))
    X, truth = X[:FIT_ROWS], truth[:FIT_ROWS]
    PFNClusterer().fit(_frame(X), draw_targets(truth, "5", 0)[0]).save(path)


def first_piece_ari(output: Path, n_rows: int) -> float:
    """ARI of the first piece's predicted clusters (the output's first rows) against its
    true clusters: low when the scored rows are unlike the fitted ones."""
    import pyarrow.parquet as pq
    from sklearn.metrics import adjusted_rand_score

    _, truth = table_piece(0, min(PIECE_ROWS, n_rows))
    predicted = pq.read_table(output, columns=["predicted_cluster"]).column(0).to_numpy()
    return float(adjusted_rand_score(truth, predicted[:len(truth)]))


def run_mode(model: Path, table: Path, output: Path, extra: list[str],
             chunk_rows: int, method: str) -> dict:
    """One ``predict`` run in a fresh process -> {seconds, peak_mb, rc}."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pfn_core", "predict", "--model", str(model),
                           "--input", str(table), "--output", str(output), "--chunk-rows",
                           str(chunk_rows), "--method", method, "--no-progress", *extra],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "peak_mb": max(peak, before) / 1024, "rc": done.returncode,
            "stderr": done.stderr.strip().splitlines()[-1:] }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.scoring",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--workdir", default="runs/scoring")
    parser.add_argument("--method", choices=["model", "carry"], default="carry",
                        help="predict's method (model: every row through the transformer)")
    parser.add_argument("--keep", action="store_true", help="keep the table and outputs")
    args = parser.parse_args(argv)
    work = Path(args.workdir)
    table, model = work / "table", work / "fitted.safetensors"
    if work.exists():
        shutil.rmtree(work)
    write_table(table, args.rows)
    fit_and_save(model, args.rows)
    print(f"Machine: {platform.platform()}; {args.rows:,} rows x 16 columns in "
          f"{len(list(table.iterdir()))} Parquet files; chunks of {args.chunk_rows:,} rows; "
          f"predict --method {args.method}.\n")
    print("| mode | seconds | rows per second | peak memory of one process (MB) | "
          "ARI of the first piece |")
    print("|---|---|---|---|---|")
    outputs = {}
    for mode, extra in (("one process", []), ("Dask, local cluster", ["--dask", "local"])):
        outputs[mode] = work / f"scored-{len(outputs)}.parquet"
        got = run_mode(model, table, outputs[mode], extra, args.chunk_rows, args.method)
        if got["rc"] != 0:
            print(f"| {mode} | failed: {got['stderr']} | | | |")
            continue
        print(f"| {mode} | {got['seconds']:.1f} | {args.rows / got['seconds']:,.0f} | "
              f"{got['peak_mb']:.0f} | {first_piece_ari(outputs[mode], args.rows):.3f} |",
              flush=True)
    if all(p.exists() for p in outputs.values()):
        same = all(_same_parquet(*outputs.values(), column) for column in
                   ("predicted_cluster", "confidence"))
        print(f"\nBoth outputs identical: {same}.")
    if not args.keep:
        shutil.rmtree(work)
    return 0


def _same_parquet(a: Path, b: Path, column: str) -> bool:
    import pyarrow.parquet as pq

    left, right = pq.ParquetFile(a), pq.ParquetFile(b)
    if left.metadata.num_rows != right.metadata.num_rows:
        return False
    for x, y in zip(left.iter_batches(columns=[column]), right.iter_batches(columns=[column]),
                    strict=True):
        if not np.array_equal(x.column(0).to_numpy(), y.column(0).to_numpy()):
            return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
