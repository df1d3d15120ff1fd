"""A slow map (UMAP) computed in a separate process, so the studio can show a quick PCA map
meanwhile and the analyst can already label.

``start`` writes X to ``cache_dir`` and launches ``python -m pfn_core.studio.background_map``,
which runs ``projection.project`` (its result lands in the same on-disk cache the studio reads)
and reports its current step in ``<key>.progress``. A separate process, not a thread: UMAP's
compiled code holds the GIL, which would freeze the studio's server while it runs. The child
uses one numba thread, leaving the other cores to the model and the browser.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from pfn_core.studio import projection

_jobs: dict[str, tuple[subprocess.Popen, float]] = {}  # key -> (process, monotonic start)
_lock = threading.Lock()


def needs_background(n_rows: int, n_columns: int, method: str) -> bool:
    """Whether a map of an (n_rows, n_columns) table goes to a background process: every real
    UMAP (not the PCA it falls back to on tiny or two-column tables). Even a small UMAP is
    slow on its first run in a process (numba compiles its code: half a minute or more on two
    busy cores), and a large one takes minutes."""
    return (method == "umap" and n_rows >= projection.UMAP_MIN_ROWS and n_columns > 2)


def start(X: np.ndarray, method: str, columns: tuple[int, int] | None, seed: int,
          cache_dir: Path) -> str:
    """Start computing the map of X (N, D) unless it is cached or was started before in this
    server process (running, or failed: then ``state`` says why and it is not retried);
    returns its cache key."""
    key = projection.projection_cache_key(X, method, columns, seed)
    cache_dir = Path(cache_dir)
    with _lock:
        if key in _jobs or (cache_dir / f"{key}.npy").exists():
            return key
        cache_dir.mkdir(parents=True, exist_ok=True)
        source = cache_dir / f"{key}.input.npy"
        np.save(source, np.ascontiguousarray(X, dtype=np.float64))
        command = [sys.executable, "-m", "pfn_core.studio.background_map", str(source),
                   method, str(seed), str(cache_dir)]
        if columns is not None:
            command += ["--columns", str(columns[0]), str(columns[1])]
        env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        with open(cache_dir / f"{key}.log", "wb") as log:
            _jobs[key] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                           env=env, cwd=Path(__file__).resolve().parents[2]),
                          time.monotonic())
    return key


def state(key: str, cache_dir: Path) -> tuple[str, str, float]:
    """(status, detail, seconds since the start): status "done", "running" (detail: the step
    it reports), "failed" (detail: the last line of its log) or "unknown" (never started here).
    """
    cache_dir = Path(cache_dir)
    job = _jobs.get(key)
    seconds = 0.0 if job is None else time.monotonic() - job[1]
    if (cache_dir / f"{key}.npy").exists():
        return "done", "", seconds
    if job is None:
        return "unknown", "", seconds
    if job[0].poll() is None:
        progress = cache_dir / f"{key}.progress"
        step = progress.read_text() if progress.exists() else "starting Python and UMAP"
        return "running", step, seconds
    log = cache_dir / f"{key}.log"
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    return "failed", (tail[0] if tail else f"exit code {job[0].returncode}"), seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.studio.background_map",
                                     description="Compute one studio map into its cache.")
    parser.add_argument("source", type=Path, help="X as a .npy file (removed when done)")
    parser.add_argument("method", choices=projection.METHODS)
    parser.add_argument("seed", type=int)
    parser.add_argument("cache_dir", type=Path)
    parser.add_argument("--columns", type=int, nargs=2, default=None)
    args = parser.parse_args(argv)
    X = np.load(args.source, allow_pickle=False)
    columns = None if args.columns is None else tuple(args.columns)
    key = projection.projection_cache_key(X, args.method, columns, args.seed)
    progress_file = args.cache_dir / f"{key}.progress"

    def progress(step: str) -> None:
        progress_file.write_text(step)

    try:
        projection.project(X, args.method, columns=columns, seed=args.seed,
                           cache_dir=args.cache_dir, progress=progress)
    finally:
        args.source.unlink(missing_ok=True)
        progress_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
