"""``python -m pfn_core.bench.time_split``: where a fit's time goes, the transformer's
passes against everything else, beside ``GaussianMixture(10)`` on the same table.

The speed targets compare a whole fit with the mixture. This splits the fit's wall time
into the transformer's own calls (``ClusteringTransformer.encode_context`` and
``predict_queries``, timed around each call) and the rest (the table's neighbour graph and
landmarks, shortest paths, the choice of anchors and discovery's candidates, the carry to
rows the transformer did not score, calibration). "Rest / GMM" is the ratio a fit would
have if the transformer cost nothing, as on a very fast accelerator: a lower bound on
what any speed-up of the network alone can reach.

Same data and cases as ``bench.speed`` (16 columns, 10 separated Gaussian clusters, 5
random anchors per cluster), all in one process: a warm-up fit on another table, then per
repeat a first fit (the table's cached views dropped), a re-cluster (a fresh estimator,
another draw of anchors, the views kept) and the mixture. Medians of ``--repeats``.

    python -m pfn_core.bench.time_split --threads 2 --rows 10000 100000
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numpy as np

from pfn_core.bench.speed import blobs, draw_targets, limit_threads, run_method

TIMED_METHODS = ("encode_context", "predict_queries")


@contextlib.contextmanager
def transformer_seconds():
    """Time every call of the transformer's methods while inside; yields a list that
    collects each call's seconds (the class's methods are restored afterwards)."""
    from pfn_core.model import ClusteringTransformer

    spent: list[float] = []
    originals = {name: getattr(ClusteringTransformer, name) for name in TIMED_METHODS}

    def timed(method):
        def call(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)
        return call

    try:
        for name, method in originals.items():
            setattr(ClusteringTransformer, name, timed(method))
        yield spent
    finally:
        for name, method in originals.items():
            setattr(ClusteringTransformer, name, method)


def timed_fit(X: np.ndarray, y: np.ndarray, first: bool) -> tuple[float, float]:
    """(wall seconds of a fit, seconds inside the transformer's calls); the fit is run as
    ``bench.speed`` runs it (a first fit drops the table's cached views)."""
    with transformer_seconds() as spent:
        started = time.perf_counter()
        run_method("first_fit" if first else "recluster", X, y, {})
        wall = time.perf_counter() - started
    return wall, float(sum(spent))


def mixture_seconds(X: np.ndarray) -> float:
    """Seconds of ``GaussianMixture(10)`` on X, as ``bench.speed`` runs it."""
    started = time.perf_counter()
    run_method("gmm", X, np.full(len(X), -1), {})
    return time.perf_counter() - started


def measure(n_rows: int, repeats: int) -> dict:
    """{"first": [(wall, transformer)], "recluster": [...], "gmm": [seconds]} for one size."""
    from pfn_core.estimator import PFNClusterer

    X, truth = blobs(n_rows)
    warm_X, warm_truth = blobs(2000, seed=99)
    PFNClusterer().fit(warm_X, draw_targets(warm_truth, "5", 0)[0])
    out = {"first": [], "recluster": [], "gmm": []}
    for repeat in range(repeats):
        out["first"].append(timed_fit(X, draw_targets(truth, "5", repeat)[0], first=True))
        out["recluster"].append(timed_fit(X, draw_targets(truth, "5", 100 + repeat)[0],
                                          first=False))
        out["gmm"].append(mixture_seconds(X))
    return out


def report(results: dict[int, dict]) -> str:
    """Markdown: per size and kind of fit, medians of wall, transformer, rest, the
    mixture, and the ratios whole fit / GMM and rest / GMM."""
    lines = ["| rows | fit | wall (s) | transformer (s) | rest (s) | transformer share | "
             "GMM(10) (s) | fit / GMM | rest / GMM |", "|" + "---|" * 9]
    for n_rows, got in results.items():
        gmm = statistics.median(got["gmm"])
        for kind, name in (("first", "first fit"), ("recluster", "re-cluster")):
            wall = statistics.median(w for w, _ in got[kind])
            model = statistics.median(t for _, t in got[kind])
            rest = statistics.median(w - t for w, t in got[kind])
            lines.append(f"| {n_rows:,} | {name} | {wall:.3f} | {model:.3f} | {rest:.3f} | "
                         f"{model / wall:.0%} | {gmm:.3f} ({min(got['gmm']):.3f}-"
                         f"{max(got['gmm']):.3f}) | {wall / gmm:.2f} | {rest / gmm:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.time_split",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch and BLAS threads")
    args = parser.parse_args(argv)
    if args.repeats < 1 or any(n < 100 for n in args.rows):
        parser.error("--repeats must be at least 1 and every --rows at least 100")
    if args.threads:
        limit_threads(args.threads)
    results = {n_rows: measure(n_rows, args.repeats) for n_rows in args.rows}
    print(f"Medians of {args.repeats}; 5 anchors per cluster, 16 columns, 10 separated "
          "blobs; one process.")
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
