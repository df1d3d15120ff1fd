"""Aggregate benchmark records into the numbers the report shows.

Records are the dicts of ``runner.run_benchmark``. Means skip NaN (failed runs), so a
mean may cover fewer datasets than were run; ``coverage`` tells how many.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from pfn_core.bench.baselines import ALL_METHODS, MODEL

TARGETS = {1: 0.60, 3: 0.70, 10: 0.84}
WEAK_MARGIN = 0.1
# PROTOCOL.md reference figures on the full dev suite:
# level -> ((best single baseline, its name), per-dataset best of baselines)
REFERENCE = {
    0: ((0.579, "HDBSCAN"), 0.804),
    1: ((0.514, "seeded K-means"), 0.602),
    3: ((0.566, "1-NN"), 0.698),
    10: ((0.792, "1-NN"), 0.837),
}
MNIST_REFERENCE = {0: (0.434, "Ward"), 1: (0.330, "seeded K-means"),
                   3: (0.447, "label spreading"), 10: (0.593, "label spreading")}


def _nanmean(values) -> float:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def ordered(values, order) -> list:
    """`values` sorted by their position in `order` (unknown ones last, alphabetically)."""
    rank = {v: i for i, v in enumerate(order)}
    return sorted(set(values), key=lambda v: (rank.get(v, len(rank)), str(v)))


def datasets_in(records) -> list[str]:
    """Dataset names in the order they were run."""
    return list(dict.fromkeys(r["dataset"] for r in records))


def levels_in(records) -> list[int]:
    return sorted({r["level"] for r in records})


def methods_in(records, level: int | None = None) -> list[str]:
    """Methods present (at `level`, if given), in the canonical order."""
    found = [r["method"] for r in records if level is None or r["level"] == level]
    return ordered(found, ALL_METHODS)


def baselines_in(records, level: int) -> list[str]:
    return [m for m in methods_in(records, level) if m != MODEL]


def dataset_means(records) -> dict[tuple[str, int, str], float]:
    """(dataset, level, method) -> mean ARI over seeds."""
    grouped = defaultdict(list)
    for r in records:
        grouped[(r["dataset"], r["level"], r["method"])].append(r["ari"])
    return {key: _nanmean(values) for key, values in grouped.items()}


def level_means(records) -> dict[tuple[int, str], float]:
    """(level, method) -> mean over datasets of the per-dataset mean ARI."""
    grouped = defaultdict(list)
    for (_, level, method), value in dataset_means(records).items():
        grouped[(level, method)].append(value)
    return {key: _nanmean(values) for key, values in grouped.items()}


def coverage(records) -> dict[tuple[int, str], tuple[int, int]]:
    """(level, method) -> (datasets with a score, datasets run)."""
    grouped = defaultdict(list)
    for (_, level, method), value in dataset_means(records).items():
        grouped[(level, method)].append(not math.isnan(value))
    return {key: (sum(flags), len(flags)) for key, flags in grouped.items()}


def best_single_baseline(records, level: int) -> tuple[str | None, float]:
    """The baseline with the highest mean over datasets at `level` -> (method, mean)."""
    means = level_means(records)
    scored = [(means[(level, m)], m) for m in baselines_in(records, level)
              if not math.isnan(means[(level, m)])]
    if not scored:
        return None, float("nan")
    value, method = max(scored)
    return method, value


def best_baseline_on(records, dataset: str, level: int, means=None) -> tuple[str | None, float]:
    """The best baseline on one dataset at one level -> (method, mean ARI over seeds)."""
    means = dataset_means(records) if means is None else means
    scored = [(means[(dataset, level, m)], m) for m in baselines_in(records, level)
              if (dataset, level, m) in means and not math.isnan(means[(dataset, level, m)])]
    if not scored:
        return None, float("nan")
    value, method = max(scored)
    return method, value


def per_dataset_best(records, level: int) -> float:
    """Mean over datasets of the best baseline on each dataset at `level`."""
    means = dataset_means(records)
    return _nanmean([best_baseline_on(records, d, level, means)[1] for d in datasets_in(records)])


def weak_spots(records, margin: float = WEAK_MARGIN) -> list[dict]:
    """Where the model trails the dataset's best baseline by more than `margin` ARI.

    -> [{"dataset", "level", "model", "baseline", "best"}], worst gap first."""
    means = dataset_means(records)
    found = []
    for dataset in datasets_in(records):
        for level in levels_in(records):
            model = means.get((dataset, level, MODEL))
            baseline, best = best_baseline_on(records, dataset, level, means)
            if model is None or baseline is None or math.isnan(model):
                continue
            if best - model > margin:
                found.append({"dataset": dataset, "level": level, "model": model,
                              "baseline": baseline, "best": best})
    return sorted(found, key=lambda w: w["model"] - w["best"])


def seconds_per_method(records) -> dict[tuple[int, str], float]:
    """(level, method) -> seconds summed over datasets and seeds."""
    total = defaultdict(float)
    for r in records:
        total[(r["level"], r["method"])] += r["seconds"]
    return dict(total)


def failures(records) -> list[dict]:
    return [r for r in records if r.get("error")]
