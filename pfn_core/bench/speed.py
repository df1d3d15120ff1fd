"""``python -m pfn_core.bench.speed``: the model's time against classical peers, same data,
same run.

Data (as in the speed issue): 16 columns, 10 Gaussian clusters (centres N(0, 4^2), unit
noise), float32; ``--columns`` sets another width (384: a table of text embeddings).
``--data touching`` draws the centres from N(0, 1.5^2) instead: the clusters
touch, the neighbour graph is one piece, and every shortest-path search crosses the whole
table, as on most real tables (on the separated blobs each search stays in its cluster).
Anchors: 5 random rows per cluster, or ``many`` anchors (1,000 and 5,000) in 3 classes
(class = cluster mod 3, as lassos over several blobs make them), or none (``n_clusters=10``).
Timed, each case in a fresh process (so peak memory is the case's own):

- model, first fit: ``PFNClusterer().fit(X, y)`` after a warm-up fit on another table (the
  table's cached views dropped before each timed run);
- model, re-cluster: a fresh estimator with another draw of anchors on the same table (its
  views cached), as the studio does on every label;
- peers with scikit-learn defaults: ``KMeans(10, n_init=1)``, ``GaussianMixture(10)``,
  ``LabelSpreading(kernel="knn")`` given the same anchors (skipped above 100,000 rows: it
  took 13 s at 100,000 and grows faster than linearly), and 1-NN on the anchors for the
  many-anchor cases.

Threads: ``--threads N`` gives torch and numpy's BLAS N threads in every case (the peers'
defaults are one BLAS thread per core); the model itself holds numpy's BLAS to one thread
during a fit (``pfn_core.blas_threads``). ``--peer-blas-threads 1`` gives the peers one BLAS
thread too: on this 2-core machine OpenBLAS's threads make ``GaussianMixture(10)`` on 10,000
rows take 0.07-0.36 s against 0.045-0.063 s on one thread, so that run is the comparison
with peers tuned as well as the model is.

Each time is the median of ``--repeats`` runs (with min-max); ratios are model / peer
medians from the same run. Peak memory is the process's maximum resident set (torch and
the model included). Quality (ARI against the truth, non-anchor rows) is reported for the
model and the anchored peers.

    python -m pfn_core.bench.speed --threads 2                # the full table (~10 min)
    python -m pfn_core.bench.speed --rows 1000 --repeats 1    # a quick look
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

N_CLUSTERS = 10
N_COLUMNS = 16
ANCHORS_PER_CLUSTER = 5
CENTRE_SPREAD = {"separated": 4.0, "touching": 1.5}  # --data: the centres' standard deviation
MANY_CLASSES = 3
LABEL_SPREADING_MAX_ROWS = 100_000
PEERS = ("kmeans", "gmm", "label_spreading", "nearest_anchor")


def blobs(n_rows: int, seed: int = 0, n_columns: int = N_COLUMNS, data: str = "separated"):
    """X (N, D) float32 and the true cluster of each row (N,); `data` a CENTRE_SPREAD key."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, N_CLUSTERS, n_rows)
    centres = rng.normal(0, CENTRE_SPREAD[data], (N_CLUSTERS, n_columns))
    X = (centres[truth] + rng.normal(0, 1, (n_rows, n_columns))).astype(np.float32)
    return X, truth


def draw_targets(truth: np.ndarray, anchors: str, seed: int):
    """y (N,) with -1 for unlabelled rows, and the reference the result is scored against.

    anchors: "5" (per cluster, classes = clusters), "0" (none), or a total such as "1000"
    prefixed "many" ("many1000": that many random rows, class = cluster mod 3)."""
    rng = np.random.default_rng(1000 + seed)
    y = np.full(len(truth), -1)
    if anchors.startswith("many"):
        reference = truth % MANY_CLASSES
        rows = rng.choice(len(truth), int(anchors[4:]), replace=False)
        y[rows] = reference[rows]
        return y, reference
    per_cluster = int(anchors)
    for c in range(N_CLUSTERS):
        members = np.flatnonzero(truth == c)
        take = min(per_cluster, len(members))
        y[rng.choice(members, take, replace=False)] = c
    return y, truth


def run_case(method: str, n_rows: int, anchors: str, repeats: int, device: str,
             settings: dict | None = None, data: str = "separated",
             n_columns: int = N_COLUMNS) -> dict:
    """Time one method on one table in this process -> {seconds: [...], ari, peak_mb}."""
    from sklearn.metrics import adjusted_rand_score

    from pfn_core.bench.protocol import label_codes

    X, truth = blobs(n_rows, n_columns=n_columns, data=data)
    settings = {"device": device, **(settings or {})}
    if method in ("first_fit", "recluster"):  # untimed: load the model, cache the table
        _warm_up(method, X, truth, settings)
    seconds, ari = [], []
    for repeat in range(repeats):
        y, reference = draw_targets(truth, anchors, seed=repeat)
        started = time.perf_counter()
        labels = run_method(method, X, y, settings)
        seconds.append(time.perf_counter() - started)
        scored = y < 0
        # Codes, not the labels: a fit may add new clusters ("new 1") beside the classes.
        ari.append(adjusted_rand_score(reference[scored], label_codes(labels[scored])))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "ari": float(np.mean(ari)), "peak_mb": peak_mb}


def run_method(method: str, X: np.ndarray, y: np.ndarray, settings: dict) -> np.ndarray:
    """One timed run of `method` ("first_fit", "recluster" or a peer of ``PEERS``) on X
    (N, D) with targets y (N,), -1 unlabelled -> labels (N,)"""
    if method in ("first_fit", "recluster"):
        return _model(method, X, y, settings)
    anchored = y >= 0
    if method == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(N_CLUSTERS, n_init=1, random_state=0).fit_predict(X)
    if method == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(N_CLUSTERS, random_state=0).fit_predict(X)
    if method == "label_spreading":
        from sklearn.semi_supervised import LabelSpreading

        return LabelSpreading(kernel="knn").fit(X, y).transduction_
    if method == "nearest_anchor":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(1).fit(X[anchored], y[anchored]).predict(X)
    raise ValueError(f"unknown method {method!r}")


def _warm_up(method: str, X: np.ndarray, truth: np.ndarray, settings: dict) -> None:
    """Load the model and run torch once on another table; for a re-cluster, fit this
    table once with other anchors so that its views are cached, as in the studio."""
    from pfn_core.estimator import PFNClusterer

    warm_X, warm_truth = blobs(2000, seed=99)
    PFNClusterer(**settings).fit(warm_X, draw_targets(warm_truth, "5", 0)[0])
    if method == "recluster":
        PFNClusterer(**settings).fit(X, draw_targets(truth, "5", 99)[0])


def _model(method: str, X: np.ndarray, y: np.ndarray, settings: dict) -> np.ndarray:
    from pfn_core.estimator import PFNClusterer
    from pfn_core.table_views import clear_table_views

    settings = dict(settings)
    if not (y >= 0).any():
        settings["n_clusters"] = N_CLUSTERS
    if method == "first_fit":
        clear_table_views()
    return PFNClusterer(**settings).fit_predict(X, y)


def measure(method: str, n_rows: int, anchors: str, repeats: int, threads: int | None,
            device: str, settings: str = "{}", data: str = "separated",
            peer_blas_threads: int | None = None, n_columns: int = N_COLUMNS) -> dict:
    """Run one case in a fresh Python process -> run_case's dict (or {"error": ...});
    `peer_blas_threads`: numpy's BLAS threads for the peers (not the model)."""
    command = [sys.executable, "-m", "pfn_core.bench.speed", "--one", method, str(n_rows),
               anchors, "--repeats", str(repeats), "--device", device, "--settings", settings,
               "--data", data, "--columns", str(n_columns)]
    if threads:
        command += ["--threads", str(threads)]
    if peer_blas_threads and method not in ("first_fit", "recluster"):
        command += ["--peer-blas-threads", str(peer_blas_threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cases(rows: list[int], anchors: list[str], ls_max_rows: int = LABEL_SPREADING_MAX_ROWS,
          peers: tuple[str, ...] = PEERS) -> list[tuple[str, int, str]]:
    """(method, rows, anchors) for every timed cell of the report; only the `peers` named
    are timed beside the model."""
    out = []
    for anchor in anchors:
        for n_rows in rows:
            methods = ["first_fit", "recluster", "gmm"]
            if anchor == "0":
                methods = ["first_fit", "gmm", "kmeans"]
            elif anchor.startswith("many"):
                methods += ["nearest_anchor"]
            else:
                methods += ["kmeans"]
            if anchor != "0" and n_rows <= ls_max_rows:
                methods.append("label_spreading")
            out += [(m, n_rows, anchor) for m in methods
                    if m in ("first_fit", "recluster") or m in peers]
    return out


def _median(result: dict) -> float:
    return statistics.median(result["seconds"]) if "seconds" in result else float("nan")


def _cell(result: dict) -> str:
    if "error" in result:
        return f"error: {result['error'][:60]}"
    s = result["seconds"]
    spread = f" ({min(s):.3g}-{max(s):.3g})" if len(s) > 1 else ""
    return f"{statistics.median(s):.3g}{spread}"


def report(results: dict, rows: list[int], anchors: list[str]) -> str:
    """Markdown table: seconds (median, min-max), ratios to the peers, quality, memory."""
    lines = ["| anchors | rows | model first fit (s) | re-cluster (s) | GMM(10) (s) | "
             "K-means (s) | label spreading (s) | 1-NN (s) | first fit / GMM | "
             "re-cluster / GMM | first fit / LS | model ARI | LS ARI | 1-NN ARI | "
             "model peak MB |",
             "|" + "---|" * 15]
    for anchor in anchors:
        for n_rows in sorted({n for (_, n, a) in results if a == anchor and n in rows}):
            lines.append(_report_line(results, anchor, n_rows))
    return "\n".join(lines)


def _report_line(results: dict, anchor: str, n_rows: int) -> str:
    got = {m: results.get((m, n_rows, anchor), {}) for m in
           ("first_fit", "recluster", "gmm", "kmeans", "label_spreading", "nearest_anchor")}

    def ratio(a, b):
        if not got[a] or not got[b]:
            return ""
        value = _median(got[a]) / _median(got[b])
        return "" if np.isnan(value) else f"{value:.2f}"

    def show(m):
        return _cell(got[m]) if got[m] else ""

    def quality(m):
        return f"{got[m]['ari']:.3f}" if got[m].get("ari") is not None else ""

    label = (f"{int(anchor[4:]):,} in 3 classes" if anchor.startswith("many")
             else "none (K=10)" if anchor == "0" else f"{anchor} per cluster")
    peak = f"{got['first_fit']['peak_mb']:.0f}" if "peak_mb" in got["first_fit"] else ""
    return (f"| {label} | {n_rows:,} | {show('first_fit')} | {show('recluster')} | "
            f"{show('gmm')} | {show('kmeans')} | {show('label_spreading')} | "
            f"{show('nearest_anchor')} | {ratio('first_fit', 'gmm')} | "
            f"{ratio('recluster', 'gmm')} | {ratio('first_fit', 'label_spreading')} | "
            f"{quality('first_fit')} | {quality('label_spreading')} | "
            f"{quality('nearest_anchor')} | {peak} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.speed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", type=int,
                        default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--anchors", nargs="+", default=["5", "many1000", "many5000", "0"],
                        help="'5' per cluster, 'manyN' N anchors in 3 classes, '0' none")
    parser.add_argument("--many-rows", nargs="+", type=int, default=[10_000, 100_000],
                        help="table sizes for the many-anchor cases")
    parser.add_argument("--none-rows", nargs="+", type=int, default=[1000, 10_000, 100_000],
                        help="table sizes for the no-anchor case")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch and BLAS threads")
    parser.add_argument("--device", default="cpu", help="the model's device: cpu or cuda")
    parser.add_argument("--settings", default="{}", metavar="JSON",
                        help='PFNClusterer settings, e.g. \'{"discover": false}\'')
    parser.add_argument("--data", choices=sorted(CENTRE_SPREAD), default="separated",
                        help="separated blobs (the issue's data) or touching ones")
    parser.add_argument("--columns", type=int, default=N_COLUMNS,
                        help=f"columns of the blobs (default {N_COLUMNS}; e.g. 384 for a "
                             "table of text embeddings)")
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=list(PEERS),
                        help="the peers to time (default: all; a Gaussian mixture with full "
                             "covariances on hundreds of columns takes minutes)")
    parser.add_argument("--ls-max-rows", type=int, default=LABEL_SPREADING_MAX_ROWS,
                        help="time label spreading up to this many rows")
    parser.add_argument("--peer-blas-threads", type=int, metavar="N",
                        help="numpy's BLAS threads for the peers (default: as --threads, "
                             "scikit-learn's defaults); the model always holds numpy's BLAS "
                             "to one thread during a fit (pfn_core.blas_threads)")
    parser.add_argument("--json", metavar="PATH", help="also save the raw results")
    parser.add_argument("--png", metavar="PATH",
                        help="also draw seconds against rows, log-log (5 anchors per cluster)")
    parser.add_argument("--one", nargs=3, metavar=("METHOD", "ROWS", "ANCHORS"),
                        help=argparse.SUPPRESS)  # internal: run one case, print JSON
    args = parser.parse_args(argv)
    if args.threads:
        limit_threads(args.threads)
    if args.peer_blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.peer_blas_threads, user_api="blas")
    if args.one:
        method, n_rows, anchors = args.one
        print(json.dumps(run_case(method, int(n_rows), anchors, args.repeats, args.device,
                                  json.loads(args.settings), args.data, args.columns)))
        return 0
    import torch

    todo = []
    for anchor in args.anchors:
        sizes = (args.many_rows if anchor.startswith("many") else
                 args.none_rows if anchor == "0" else args.rows)
        todo += cases([n for n in sizes if n >= _least_rows(anchor)], [anchor],
                      args.ls_max_rows, tuple(args.peers))
    device = args.device
    if device.startswith("cuda"):
        device += f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""
    print(f"Machine: {platform.platform()}, {args.threads or 'default'} threads, torch "
          f"{torch.__version__}, model on {device}, settings {args.settings}, {args.data} "
          f"blobs of {args.columns} columns; peers' BLAS threads "
          f"{args.peer_blas_threads or 'as above'}; median of "
          f"{args.repeats} (min-max), each case in a fresh process.\n", flush=True)
    results = {}
    for case in todo:
        results[case] = measure(*case, args.repeats, args.threads, args.device, args.settings,
                                args.data, args.peer_blas_threads, args.columns)
        print(f"  {case}: {_cell(results[case])}", file=sys.stderr, flush=True)
    rows = sorted({n for _, n, _ in todo})
    print(report(results, rows, args.anchors))
    if args.png:
        plot_curve(results, args.png, device)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([{"method": m, "rows": n, "anchors": a, **r}
                       for (m, n, a), r in results.items()], handle, indent=1)
    return 0


def plot_curve(results: dict, path: str, device: str) -> None:
    """Seconds against rows, log-log, for the 5-per-cluster cases, with a line of slope 1
    through the model's largest first fit (linear cost)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4.2))
    names = {"first_fit": "model, first fit", "recluster": "model, re-cluster",
             "gmm": "GaussianMixture(10)", "kmeans": "KMeans(n_init=1)",
             "label_spreading": "LabelSpreading(knn)"}
    for method, name in names.items():
        points = sorted((n, _median(r)) for (m, n, a), r in results.items()
                        if m == method and a == str(ANCHORS_PER_CLUSTER) and "seconds" in r)
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=name)
    first = sorted((n, _median(r)) for (m, n, a), r in results.items()
                   if m == "first_fit" and a == str(ANCHORS_PER_CLUSTER) and "seconds" in r)
    if len(first) > 1:
        n_max, t_max = first[-1]
        xs = np.array([first[0][0], n_max])
        axes.plot(xs, t_max * xs / n_max, "k:", label="linear in rows")
    axes.set(xscale="log", yscale="log", xlabel="rows", ylabel="seconds (median)",
             title=f"16 columns, 10 clusters, 5 anchors each; model on {device}")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _least_rows(anchor: str) -> int:
    return int(anchor[4:]) * 2 if anchor.startswith("many") else 0


def limit_threads(threads: int) -> None:
    import os

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    import torch

    torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
