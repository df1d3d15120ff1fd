"""``python -m pfn_core.bench``: run the protocol and write BENCHMARKS.md.

Examples:
    python -m pfn_core.bench                                   # full dev suite, all methods
    python -m pfn_core.bench --datasets fcps/hepta other/iris --levels 1 --seeds 0 --out -
    python -m pfn_core.bench --from-json results.json          # rebuild the report only
    python -m pfn_core.bench --paper [--quick]                 # the paper's figures (docs/paper)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import shlex
import sys
from pathlib import Path

from pfn_core.bench.baselines import ALL_METHODS, MODEL
from pfn_core.bench.datasets import DEV_SUITE, dataset_files, read_suite, resolve_shared_root
from pfn_core.bench.paper import DEFAULT_OUT as PAPER_OUT
from pfn_core.bench.protocol import LEVELS, SEEDS
from pfn_core.bench.report import render_report, run_meta, write_report
from pfn_core.bench.runner import run_benchmark

PROG = "python -m pfn_core.bench"
# The protocol z-scores every column before any method runs, and the baselines use that
# matrix as it is. The model does the same instead of z-scoring it again, which would only
# change the two sets the protocol reduces by PCA (MNIST, sonar): it would whiten their
# principal components. --model-kwargs '{"scale_columns": true}' restores the re-scaling.
PROTOCOL_MODEL_KWARGS = {"scale_columns": False}
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "BENCHMARKS.md"
logger = logging.getLogger("pfn_core.bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", metavar="NAME_OR_FILE",
                        help="dataset names (BATTERY/NAME, mnist:N) or suite files; "
                             "default: <shared>/bench/dev_suite.txt")
    parser.add_argument("--levels", nargs="+", type=int, default=list(LEVELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--methods", nargs="+", choices=ALL_METHODS, default=list(ALL_METHODS))
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="markdown report path ('-' prints it instead); default BENCHMARKS.md")
    parser.add_argument("--results-json", metavar="PATH",
                        help="also save the raw records (rewritten after each dataset)")
    parser.add_argument("--from-json", metavar="PATH",
                        help="rebuild the report from saved records without running anything")
    parser.add_argument("--shared", metavar="PATH",
                        help="the shared folder (default: $PFN_SHARED, else ../shared)")
    parser.add_argument("--weights", metavar="PATH", help="model weights (.safetensors)")
    parser.add_argument("--model-kwargs", default="{}", metavar="JSON",
                        help='extra PFNClusterer settings, e.g. \'{"n_ensemble": 4}\'; '
                             f"applied over {PROTOCOL_MODEL_KWARGS}")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="cap BLAS/OpenMP/torch threads (helps on a busy machine)")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    parser.add_argument("--paper", action="store_true",
                        help="rerun the experiments of 'Clustering by Attention' (figures 1, 2 "
                             "and 4) instead, writing CSV, PNG and summary.md files")
    parser.add_argument("--quick", action="store_true",
                        help="with --paper: digits only, k in 0 10 50, one seed (seconds)")
    parser.add_argument("--paper-out", default=str(PAPER_OUT), metavar="DIR",
                        help="with --paper: the folder for its files; default docs/paper")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 also when the data is absent)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    try:
        if args.from_json:
            saved = json.loads(Path(args.from_json).read_text())
            records = [_from_json_record(r) for r in saved["records"]]
            return _emit(records, args.out, saved["command"], saved.get("meta"))
        if args.quick and not args.paper:
            raise ValueError("--quick only applies to --paper.")
        if args.paper:
            return _run_paper(args, f"{PROG} {shlex.join(argv)}".strip())
        return _run(args, f"{PROG} {shlex.join(argv)}".strip())
    except (ValueError, OSError, KeyError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def _run(args, command: str) -> int:
    root = resolve_shared_root(args.shared)
    if not (root / "data").is_dir():
        sys.stdout.write(f"Benchmark skipped: no shared data folder at {root / 'data'} "
                         "(pass --shared PATH or set PFN_SHARED to the folder holding "
                         "data/ and bench/).\n")
        return 0
    names = _dataset_names(args.datasets, root)
    missing = [name for name in names if not all(p.exists() for p in dataset_files(name, root))]
    if missing:
        raise ValueError(
            f"datasets not found under {root / 'data'}: {', '.join(missing)} "
            "(names are BATTERY/NAME, e.g. fcps/hepta, or mnist:N)."
        )
    model_kwargs = json.loads(args.model_kwargs)
    if not isinstance(model_kwargs, dict):
        raise ValueError(f"--model-kwargs must be a JSON object, got {args.model_kwargs!r}.")
    model_kwargs = {**PROTOCOL_MODEL_KWARGS, **model_kwargs}
    if args.weights:
        model_kwargs["weights"] = args.weights
    factory, weights_path = None, None
    if MODEL in args.methods:
        factory, weights_path = _model_factory(model_kwargs)
    meta = run_meta(weights_path, model_kwargs)
    records: list[dict] = []

    def save_progress(record: dict) -> None:
        if args.results_json and records and records[-1]["dataset"] != record["dataset"]:
            _save_json(args.results_json, command, meta, records)
        records.append(record)

    with _thread_limit(args.threads):
        run_benchmark(names, args.levels, args.seeds, args.methods, factory, root, save_progress)
    if args.results_json:
        _save_json(args.results_json, command, meta, records)
    return _emit(records, args.out, command, meta)


def _run_paper(args, command: str) -> int:
    """``--paper``: figures 1, 2 and 4 of the paper, written under ``--paper-out``."""
    from pfn_core.bench.paper import FULL, QUICK, run_paper

    with _thread_limit(args.threads):
        written = run_paper(args.paper_out, QUICK if args.quick else FULL,
                            resolve_shared_root(args.shared), command=command)
    sys.stdout.write("".join(f"wrote {path}\n" for path in written))
    return 0


@contextlib.contextmanager
def _thread_limit(threads: int | None):
    """Cap the thread pools of numpy/scikit-learn (threadpoolctl) and torch, then restore."""
    if threads is None:
        yield
        return
    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}.")
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)


def _dataset_names(given: list[str] | None, root: Path) -> list[str]:
    """Names from the command line, expanding suite files; default: the dev suite."""
    if not given:
        suite = root / DEV_SUITE
        if not suite.exists():
            raise ValueError(f"no dev suite at {suite}; pass --datasets NAME ... instead.")
        return read_suite(suite)
    names = []
    for item in given:
        names.extend(read_suite(item) if Path(item).is_file() else [item])
    return list(dict.fromkeys(names))


def _model_factory(model_kwargs: dict):
    """A factory for the model's estimator and the weights path it will read."""
    from pfn_core.checkpoint import SHIPPED_WEIGHTS
    from pfn_core.estimator import PFNClusterer

    try:
        PFNClusterer(**model_kwargs)
    except TypeError as exc:
        raise ValueError(f"--model-kwargs does not fit PFNClusterer: {exc}") from None
    weights = Path(model_kwargs.get("weights") or SHIPPED_WEIGHTS)
    if not weights.exists():
        others = " ".join(m for m in ALL_METHODS if m != MODEL)
        raise ValueError(f"weights file {weights} not found: pass --weights PATH, or leave the "
                         f"model out with --methods {others}.")
    return (lambda: PFNClusterer(**model_kwargs)), weights


def _emit(records: list[dict], out: str, command: str, meta: dict | None) -> int:
    if out == "-":
        sys.stdout.write(render_report(records, command, meta))
    else:
        write_report(records, out, command, meta)
        logger.info("report written to %s", out)
    return 0


def _save_json(path: str, command: str, meta: dict, records: list[dict]) -> None:
    clean = [{**r, "ari": None if math.isnan(r["ari"]) else r["ari"]} for r in records]
    payload = {"command": command, "meta": meta, "records": clean}
    Path(path).write_text(json.dumps(payload, indent=1))


def _from_json_record(record: dict) -> dict:
    return {**record, "ari": float("nan") if record["ari"] is None else record["ari"]}
