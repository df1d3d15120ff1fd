"""``python -m pfn_core.bench.scoring``: rows per second of ``python -m pfn_core predict``
on a big table, in one process and on a local Dask cluster, with peak memory.

Writes a folder of Parquet files with ``--rows`` rows (16 columns, 10 Gaussian clusters,
as ``bench.speed``) in pieces, fits a clusterer on its first 10,000 rows with 5 anchors per
cluster and saves it, then runs the command line once per mode in a fresh process and
reports wall-clock seconds, rows per second, the largest resident set of any one process
(the command or a Dask worker) and whether both outputs are identical.

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

from pfn_core.bench.speed import blobs, draw_targets

PIECE_ROWS = 1_000_000


def write_table(folder: Path, n_rows: int) -> None:
    """`n_rows` rows of blobs as Parquet files of at most PIECE_ROWS rows each."""
    folder.mkdir(parents=True, exist_ok=True)
    for piece, start in enumerate(range(0, n_rows, PIECE_ROWS)):
        X, _ = blobs(min(PIECE_ROWS, n_rows - start), seed=piece)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        frame.to_parquet(folder / f"part-{piece:05d}.parquet", row_group_size=100_000)


def fit_and_save(path: Path) -> None:
    from pfn_core.estimator import PFNClusterer

    X, truth = blobs(10_000, seed=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    PFNClusterer().fit(frame, draw_targets(truth, "5", 0)[0]).save(path)


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
    fit_and_save(model)
    print(f"Machine: {platform.platform()}; {args.rows:,} rows x 16 columns in "
          f"{len(list(table.iterdir()))} Parquet files; chunks of {args.chunk_rows:,} rows; "
          f"predict --method {args.method}.\n")
    print("| mode | seconds | rows per second | peak memory of one process (MB) |")
    print("|---|---|---|---|")
    outputs = {}
    for mode, extra in (("one process", []), ("Dask, local cluster", ["--dask", "local"])):
        outputs[mode] = work / f"scored-{len(outputs)}.parquet"
        got = run_mode(model, table, outputs[mode], extra, args.chunk_rows, args.method)
        if got["rc"] != 0:
            print(f"| {mode} | failed: {got['stderr']} | | |")
            continue
        print(f"| {mode} | {got['seconds']:.1f} | {args.rows / got['seconds']:,.0f} | "
              f"{got['peak_mb']:.0f} |", flush=True)
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
