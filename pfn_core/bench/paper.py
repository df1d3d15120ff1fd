"""The experiments of "Clustering by Attention" (Shokry and Khalafallah, arXiv 2507.20369),
rerun on our model: ``python -m pfn_core.bench --paper`` (``--quick``: a small version).

- Figure 2, ``pre_clustered_curve``: accuracy (Hungarian-matched) and V-measure against the
  number k of pre-clustered samples, on scikit-learn's digits and the MNIST test set (when
  ``<shared>/data/mnist`` exists), for the model, K-means, agglomerative (Ward), 1-NN on the
  pre-clustered samples and label spreading.
- Figure 4, ``runtime_curve``: seconds against rows (Gaussian blobs, 50 columns, 10
  clusters, 10 pre-clustered samples per cluster) for the model, K-means and Ward (only up to
  ``ward_max_rows``: its memory grows with the square of the rows); the model also on CUDA
  when torch sees a GPU.
- Figure 1, ``separation_curve``: the model without any pre-clustered sample (K given) on
  three Gaussian blobs whose centres come closer and closer, against K-means and Ward.

Every table goes through the benchmark protocol's standardisation (z-score, PCA-50) and the
model runs with ``scale_columns=False``, as in ``python -m pfn_core.bench``. The k samples
are drawn per class (``protocol.draw_anchors`` with k / K per class, so every digit is
named once k >= K); scores are over the rows that were not pre-clustered.

Legend: N=rows, D=columns, K=clusters, k=pre-clustered samples (all classes together).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, v_measure_score

from pfn_core.bench import baselines
from pfn_core.bench.datasets import MNIST_DIR, load_mnist
from pfn_core.bench.protocol import (
    draw_anchors,
    label_codes,
    partial_labels,
    standardize_for_protocol,
)

logger = logging.getLogger(__name__)
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "paper"  # shown on the page too
MODEL_SETTINGS = {"scale_columns": False}  # the protocol has z-scored every column already
CURVE_METHODS = ("model", "kmeans", "ward", "knn1", "label_spreading")
NEEDS_SAMPLES = ("knn1", "label_spreading")  # undefined at k = 0
RUNTIME_COLUMNS, RUNTIME_CLUSTERS, RUNTIME_PER_CLUSTER = 50, 10, 10
SEPARATION_CLUSTERS = 3


@dataclass(frozen=True)
class PaperConfig:
    """What ``--paper`` runs; ``QUICK`` is the small version a test runs in seconds."""

    datasets: tuple[str, ...] = ("digits", "mnist")
    samples: tuple[int, ...] = (0, 10, 50, 100, 200, 500)
    seeds: tuple[int, ...] = (0, 1, 2)
    runtime_rows: tuple[int, ...] = (1_000, 3_000, 10_000, 30_000, 100_000)
    ward_max_rows: int = 10_000
    separations: tuple[float, ...] = (8.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0)
    separation_rows: int = 600
    repeats: int = 3  # timings per size up to 10,000 rows (their median); one above


FULL = PaperConfig()
QUICK = PaperConfig(datasets=("digits",), samples=(0, 10, 50), seeds=(0,),
                    runtime_rows=(500, 1_000), ward_max_rows=1_000,
                    separations=(6.0, 2.0), separation_rows=300, repeats=1)


def matched_accuracy(y_true, y_pred) -> float:
    """Accuracy after the best one-to-one matching of predicted clusters to classes
    (Hungarian algorithm); unmatched clusters count as wrong.  (N,), (N,) -> float"""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError(f"need as many predictions as labels (> 0), got {len(y_pred)} "
                         f"predictions for {len(y_true)} labels.")
    _, truth = np.unique(y_true, return_inverse=True)
    _, predicted = np.unique(y_pred, return_inverse=True)
    table = np.zeros((predicted.max() + 1, truth.max() + 1))
    np.add.at(table, (predicted, truth), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / len(y_true))


def scores(y_true, y_pred, scored: np.ndarray) -> dict:
    """Accuracy, V-measure and ARI over the rows in `scored` (a boolean mask (N,))."""
    t, p = np.asarray(y_true)[scored], np.asarray(y_pred)[scored]
    return {"accuracy": matched_accuracy(t, p), "v_measure": float(v_measure_score(t, p)),
            "ari": float(adjusted_rand_score(t, p))}


def load_paper_dataset(name: str, shared_root: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """'digits' (scikit-learn's, 1,797 x 64) or 'mnist' (the 10,000 test images), raw;
    None when MNIST is absent from `shared_root`."""
    if name == "digits":
        digits = load_digits()
        return digits.data.astype(np.float64), digits.target.astype(np.int64)
    if name == "mnist":
        folder = Path(shared_root) / MNIST_DIR
        if not (folder / "t10k-images-idx3-ubyte.gz").exists():
            return None
        return load_mnist(folder, 10_000)
    raise ValueError(f"unknown paper dataset {name!r}: use 'digits' or 'mnist'.")


def _run(method: str, X, y_partial, n_clusters: int, seed: int, model_factory) -> np.ndarray:
    """Labels (N,) of one method; the model comes from `model_factory(n_clusters or None)`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        if method == "model":
            unsupervised = bool((y_partial == -1).all())
            estimator = model_factory(n_clusters if unsupervised else None)
            return label_codes(estimator.fit_predict(X, y_partial))  # "new 1" beside ints
        baseline = baselines.UNSUPERVISED.get(method) or baselines.ANCHORED[method]
        return np.asarray(baseline(X, y_partial, n_clusters, seed))


def default_model_factory(device: str = "cpu") -> Callable[[int | None], object]:
    from pfn_core.estimator import PFNClusterer

    return lambda n_clusters: PFNClusterer(n_clusters=n_clusters, device=device,
                                           **MODEL_SETTINGS)


def pre_clustered_curve(name: str, X, y, config: PaperConfig = FULL,
                        model_factory=None) -> list[dict]:
    """Figure 2 on one table: a record per (k, seed, method) with accuracy, V-measure, ARI
    and seconds. K-means and Ward ignore the samples: each is fitted once per seed (Ward,
    deterministic, once) and scored on every k's unsampled rows; so is the model at k = 0
    (it takes no seed: fitted once). X (N, D) raw, y (N,)."""
    model_factory = model_factory or default_model_factory()
    X, y = standardize_for_protocol(X), np.asarray(y)
    n_clusters = len(np.unique(y))
    unlabelled = np.full(len(y), -1)
    fixed: dict[tuple[str, int], tuple[np.ndarray, float]] = {}
    zero_shot: list[tuple[np.ndarray, float]] = []
    for seed in config.seeds:
        for method in ("kmeans", "ward"):
            if method == "ward" and seed != config.seeds[0]:
                fixed[method, seed] = fixed[method, config.seeds[0]]
                continue
            started = time.perf_counter()
            labels = _run(method, X, unlabelled, n_clusters, seed, model_factory)
            fixed[method, seed] = labels, time.perf_counter() - started
    records = []
    for k in config.samples:
        if k % n_clusters:
            raise ValueError(f"k={k} is not a multiple of the {n_clusters} classes of {name}.")
        for seed in config.seeds:
            anchors = draw_anchors(y, k // n_clusters, seed)
            y_partial = partial_labels(y, anchors)
            scored = np.ones(len(y), dtype=bool)
            scored[anchors] = False
            for method in CURVE_METHODS:
                if k == 0 and method in NEEDS_SAMPLES:
                    continue
                if (method, seed) in fixed:
                    labels, seconds = fixed[method, seed]
                elif k == 0 and method == "model" and zero_shot:
                    labels, seconds = zero_shot[0]  # the model takes no seed
                else:
                    started = time.perf_counter()
                    labels = _run(method, X, y_partial, n_clusters, seed, model_factory)
                    seconds = time.perf_counter() - started
                    if k == 0:
                        zero_shot.append((labels, seconds))
                records.append({"dataset": name, "k": k, "seed": seed, "method": method,
                                **scores(y, labels, scored), "seconds": seconds,
                                "n_rows": len(y)})
            logger.info("figure 2 %s k=%d seed %d: %s", name, k, seed, ", ".join(
                f"{r['method']} {r['accuracy']:.3f}" for r in records if r["k"] == k
                and r["seed"] == seed))
    return records


def gaussian_blobs(n_rows: int, n_columns: int, n_clusters: int, separation: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blobs of unit spread whose centres form a regular simplex with edge `separation`
    (every two centres that far apart), turned at random.
    -> X (N, D), y (N,) in 0..K-1, classes as equal as N allows."""
    if n_clusters < 2 or n_rows < 2 * n_clusters or n_columns < n_clusters - 1:
        raise ValueError(f"need 2 <= K <= D + 1 clusters and 2 rows per cluster, got "
                         f"K={n_clusters}, D={n_columns}, N={n_rows}.")
    corners = (np.eye(n_clusters) - 1.0 / n_clusters) * separation / np.sqrt(2)
    _, _, axes = np.linalg.svd(corners)
    flat = corners @ axes[:n_clusters - 1].T  # (K, K-1): the same simplex, one column less
    turn, _ = np.linalg.qr(rng.normal(size=(n_columns, n_clusters - 1)))  # (D, K-1)
    y = np.arange(n_rows) % n_clusters
    X = (flat @ turn.T)[y] + rng.normal(size=(n_rows, n_columns))
    return X, y


def separation_curve(config: PaperConfig = FULL, model_factory=None):
    """Figure 1: the model with no pre-clustered sample (K given), K-means and Ward on three
    2-D blobs per separation (distance between centres, in blob spreads) and seed.
    -> (records, examples: separation -> (X (N, 2), model labels (N,)) for the first seed)"""
    model_factory = model_factory or default_model_factory()
    records, examples = [], {}
    for separation in config.separations:
        for seed in config.seeds:
            X, y = gaussian_blobs(config.separation_rows, 2, SEPARATION_CLUSTERS, separation,
                                  np.random.default_rng(seed))
            Z = standardize_for_protocol(X)
            unlabelled = np.full(len(y), -1)
            for method in ("model", "kmeans", "ward"):
                started = time.perf_counter()
                labels = _run(method, Z, unlabelled, SEPARATION_CLUSTERS, seed, model_factory)
                records.append({"separation": separation, "seed": seed, "method": method,
                                **scores(y, labels, np.ones(len(y), bool)),
                                "seconds": time.perf_counter() - started})
                if method == "model" and seed == config.seeds[0]:
                    examples[separation] = (X, labels)
        logger.info("figure 1 separation %.1f: %s", separation, ", ".join(
            f"{r['method']} {r['accuracy']:.3f}" for r in records[-3:]))
    return records, examples


def runtime_curve(config: PaperConfig = FULL, devices: tuple[str, ...] = ("cpu",),
                  rng: np.random.Generator | None = None) -> list[dict]:
    """Figure 4: wall-clock seconds per method and rows (a first fit of each table: the
    model's cached views are dropped before each timing; one warm-up fit loads the weights).
    Median of ``config.repeats`` timings up to 10,000 rows, one above."""
    from pfn_core.table_views import clear_table_views

    rng = rng or np.random.default_rng(0)
    records = []
    for n_rows in config.runtime_rows:
        X, y = gaussian_blobs(n_rows, RUNTIME_COLUMNS, RUNTIME_CLUSTERS, 6.0, rng)
        X = standardize_for_protocol(X)
        y_partial = partial_labels(y, draw_anchors(y, RUNTIME_PER_CLUSTER, 0))
        repeats = config.repeats if n_rows <= 10_000 else 1
        runs = [("model", device) for device in devices] + [("kmeans", "cpu")] + (
            [("ward", "cpu")] if n_rows <= config.ward_max_rows else [])
        for method, device in runs:
            factory = default_model_factory(device)
            if method == "model" and n_rows == config.runtime_rows[0]:
                _run(method, X, y_partial, RUNTIME_CLUSTERS, 0, factory)  # warm-up: weights
            timings = []
            for _ in range(repeats):
                clear_table_views()
                started = time.perf_counter()
                _run(method, X, y_partial, RUNTIME_CLUSTERS, 0, factory)
                timings.append(time.perf_counter() - started)
            records.append({"n_rows": n_rows, "method": method, "device": device,
                            "seconds": float(np.median(timings)), "repeats": repeats})
        logger.info("figure 4 %d rows: %s", n_rows, ", ".join(
            f"{r['method']}/{r['device']} {r['seconds']:.2f} s" for r in records
            if r["n_rows"] == n_rows))
    return records


def mean_and_spread(frame: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Mean and standard deviation (over seeds) of `metric` per group of `by`."""
    grouped = frame.groupby(by, sort=True)[metric]
    return grouped.agg(mean="mean", std="std", seeds="count").reset_index()


def run_paper(out_dir: str | Path, config: PaperConfig = FULL, shared_root: Path | None = None,
              devices: tuple[str, ...] | None = None, command: str = "") -> list[Path]:
    """Run the three experiments and write their CSV and PNG files and ``summary.md`` into
    `out_dir`; returns the paths written. MNIST is skipped (and the summary says so) when
    `shared_root` has no ``data/mnist``; the model runs on CUDA too when torch sees a GPU."""
    from pfn_core.bench.datasets import resolve_shared_root
    from pfn_core.bench.paper_figures import (
        pre_clustered_figure,
        runtime_figure,
        separation_figure,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = resolve_shared_root(shared_root)
    if devices is None:
        import torch

        devices = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    curve, skipped = [], []
    for name in config.datasets:
        data = load_paper_dataset(name, root)
        if data is None:
            skipped.append(f"{name}: no {root / MNIST_DIR} (a fresh clone has no shared "
                           "folder; pass --shared PATH)")
            logger.warning("figure 2: %s skipped, %s not found", name, root / MNIST_DIR)
            continue
        curve += pre_clustered_curve(name, *data, config)
    curve = pd.DataFrame(curve)
    separation, examples = separation_curve(config)
    separation = pd.DataFrame(separation)
    runtime = pd.DataFrame(runtime_curve(config, devices))
    frames = {"fig2_pre_clustered": curve, "fig4_runtime": runtime,
              "fig1_separation": separation}
    if curve.empty:  # every dataset of figure 2 was skipped
        del frames["fig2_pre_clustered"]
    written = []
    for stem, frame in frames.items():
        frame.to_csv(out / f"{stem}.csv", index=False, float_format="%.6g")
        written.append(out / f"{stem}.csv")
    if not curve.empty:
        written.append(pre_clustered_figure(curve, out / "fig2_pre_clustered.png"))
    written += [runtime_figure(runtime, out / "fig4_runtime.png"),
                separation_figure(separation, examples, out / "fig1_separation.png")]
    load = f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    summary = summary_markdown(curve, runtime, separation, skipped, command,
                               time.perf_counter() - started, devices, load)
    (out / "summary.md").write_text(summary)
    return [*written, out / "summary.md"]


def summary_markdown(curve: pd.DataFrame, runtime: pd.DataFrame, separation: pd.DataFrame,
                     skipped: list[str], command: str, seconds: float,
                     devices: tuple[str, ...], load: str = "") -> str:
    """The tables behind the three figures, as markdown (mean +- std over seeds)."""
    import platform

    import torch

    lines = ["# The paper's experiments, rerun", "",
             f"- Command: `{command or 'python -m pfn_core.bench --paper'}`",
             f"- Machine: {platform.platform()}, {torch.get_num_threads()} torch threads, "
             f"torch {torch.__version__}; devices: {', '.join(devices)}; "
             f"took {seconds / 60:.1f} min; 1-minute load average {load} (timings "
             "grow with the load: other jobs share these cores)",
             f"- Skipped: {'; '.join(skipped)}" if skipped else "- Skipped: nothing", ""]
    for metric in ("accuracy", "v_measure") if not curve.empty else ():
        stats = mean_and_spread(curve, ["dataset", "method", "k"], metric)
        lines += [f"## Figure 2: {metric.replace('_', '-')} against pre-clustered samples k",
                  "", _pivot(stats, ["dataset", "method"], "k"), ""]
    seconds_table = runtime.pivot_table(index=["method", "device"], columns="n_rows",
                                        values="seconds", sort=False)
    lines += ["## Figure 4: seconds against rows", "",
              _markdown(seconds_table.map(
                  lambda s: "-" if np.isnan(s) else f"{s:.2f}").reset_index()), "",
              "## Figure 1: accuracy without samples against separation", "",
              _pivot(mean_and_spread(separation, ["method", "separation"], "accuracy"),
                     ["method"], "separation"), ""]
    return "\n".join(lines)


def _pivot(stats: pd.DataFrame, rows: list[str], column: str) -> str:
    cell = stats.assign(cell=[f"{m:.3f}" + ("" if np.isnan(s) else f" ± {s:.3f}")
                              for m, s in zip(stats["mean"], stats["std"], strict=True)])
    table = cell.pivot_table(index=rows, columns=column, values="cell", aggfunc="first",
                             sort=False).fillna("-")
    return _markdown(table.reset_index())


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *rows])
