"""Run the protocol: every dataset x anchor level x seed x method -> one record each.

A record is a plain dict (JSON-able), so results can be saved and the report regenerated:
``{"dataset", "level", "seed", "method", "ari", "seconds", "n_rows", "n_columns",
"n_clusters", "n_anchors", "error"}``; ``ari`` is NaN and ``error`` a message when the
method raised (the run goes on with the next method).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from pfn_core.bench.baselines import ALL_METHODS, ANCHORED, MODEL, UNSUPERVISED, applies
from pfn_core.bench.datasets import load_dataset, resolve_shared_root
from pfn_core.bench.protocol import (
    LEVELS,
    SEEDS,
    draw_anchors,
    label_codes,
    partial_labels,
    score_without_anchors,
    standardize_for_protocol,
)

logger = logging.getLogger(__name__)
Datasets = Sequence[str] | Mapping[str, "tuple[np.ndarray, np.ndarray] | None"]


def run_benchmark(
    datasets: Datasets,
    levels: Sequence[int] = LEVELS,
    seeds: Sequence[int] = SEEDS,
    methods: Sequence[str] = ALL_METHODS,
    estimator_factory: Callable[[], object] | None = None,
    shared_root: str | Path | None = None,
    on_progress: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Benchmark `methods` on `datasets` following the protocol; returns one record per run.

    datasets: names read from `shared_root` (``BATTERY/NAME`` or ``mnist:N``), or a mapping
        name -> (X (N, D), y (N,)) of in-memory sets used as given (no noise dropping), or
        name -> None to read that name from `shared_root`.
    estimator_factory: builds the model's estimator (e.g. ``PFNClusterer``); called once per
        run, only when "model" is among `methods`. Its ``n_clusters`` is set to K at level 0
        and to None otherwise (and its ``random_state``, if it has one, to the seed).
    on_progress: called with each record as soon as it is measured."""
    methods = list(methods)
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {', '.join(ALL_METHODS)}.")
    if any(int(level) != level or level < 0 for level in levels):
        raise ValueError(f"anchor levels must be non-negative integers, got {list(levels)}.")
    if MODEL in methods and estimator_factory is None:
        raise ValueError(
            "'model' is among the methods: pass estimator_factory (e.g. PFNClusterer)."
        )
    if not isinstance(datasets, Mapping):
        datasets = dict.fromkeys(datasets)
    root = resolve_shared_root(shared_root)
    estimator = estimator_factory() if MODEL in methods else None
    records: list[dict] = []
    for index, (name, data) in enumerate(datasets.items(), start=1):
        started = time.perf_counter()
        X, y = load_dataset(name, root) if data is None else data
        X = standardize_for_protocol(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"dataset {name!r}: X has {len(X)} rows but y has {len(y)} labels.")
        logger.info("[%d/%d] %s: %d rows, %d columns, %d clusters", index, len(datasets),
                    name, X.shape[0], X.shape[1], len(np.unique(y)))
        for record in _runs_on_dataset(name, X, y, levels, seeds, methods, estimator):
            records.append(record)
            if on_progress is not None:
                on_progress(record)
        logger.info("[%d/%d] %s done in %.1f s", index, len(datasets), name,
                    time.perf_counter() - started)
    return records


def _runs_on_dataset(name, X, y, levels, seeds, methods, estimator):
    """Yield the records of every (level, seed, method) on one standardised dataset."""
    n_clusters = len(np.unique(y))
    for level in levels:
        for seed in seeds:
            anchors = draw_anchors(y, level, seed)
            y_partial = partial_labels(y, anchors)
            done = []
            for method in methods:
                if not applies(method, level):
                    continue
                started = time.perf_counter()
                ari, error = float("nan"), None
                try:
                    predicted = _predict(method, X, y_partial, n_clusters, seed, estimator)
                    seconds = time.perf_counter() - started
                    ari = score_without_anchors(y, predicted, anchors)
                except Exception as exc:  # noqa: BLE001 - one failure must not end the run
                    seconds = time.perf_counter() - started
                    error = f"{type(exc).__name__}: {exc}"
                    logger.warning("%s level %d seed %d %s failed: %s",
                                   name, level, seed, method, error)
                done.append(f"{method} {ari:.3f} ({seconds:.1f} s)")
                yield {
                    "dataset": name, "level": int(level), "seed": int(seed), "method": method,
                    "ari": ari, "seconds": seconds, "n_rows": int(X.shape[0]),
                    "n_columns": int(X.shape[1]), "n_clusters": int(n_clusters),
                    "n_anchors": int(len(anchors)), "error": error,
                }
            if done:
                logger.info("  %s a=%d seed %d: %s", name, level, seed, ", ".join(done))


def _predict(method, X, y_partial, n_clusters, seed, estimator) -> np.ndarray:
    """Labels (N,) from one method on X (N, D) with anchors in y_partial (N,)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # 1-NN with one anchor per class on many-cluster sets: harmless "regression?" warning
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        if method == MODEL:
            unsupervised = bool((y_partial == -1).all())
            params = estimator.get_params() if hasattr(estimator, "get_params") else {}
            update = {"n_clusters": n_clusters if unsupervised else None, "random_state": seed}
            update = {key: value for key, value in update.items() if key in params}
            if update:
                estimator.set_params(**update)
            return label_codes(estimator.fit_predict(X, y_partial))  # "new 1" beside ints
        baseline = UNSUPERVISED.get(method) or ANCHORED[method]
        return np.asarray(baseline(X, y_partial, n_clusters, seed))
