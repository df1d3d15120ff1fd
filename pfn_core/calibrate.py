"""``python -m pfn_core.calibrate``: fit the temperatures of ``pfn_core.calibration`` on
fresh draws from the prior and write ``weights/calibration.json``.

Tasks come from ``prior.sample_task`` with generators seeded ``FIRST_SEED``, ``FIRST_SEED``
+ 1, ... (training seeds its generators by (run seed, step) pairs, and the held-out check
uses 5000 onwards, so these draws are new to both). Noise points are dropped. For each
task and anchor level (1, 3 and 10 per class, drawn as the benchmark protocol draws them,
seeded by the task's index), the model clusters the task uncalibrated, and the rows that
are not anchors are kept with their true class. One temperature per regime (anchors per
class, and number of classes: ``calibration.regime_of``) minimises the negative
log-likelihood on the even-numbered tasks; the odd-numbered ones report the
expected calibration error before and after, on draws the temperature was not fitted on.
No benchmark data is read.

    python -m pfn_core.calibrate --tasks 160 --threads 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from pfn_core.bench.protocol import draw_anchors, partial_labels
from pfn_core.calibration import (
    SHIPPED_CALIBRATION,
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    regime_of,
    temperature_for,
)
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import PriorConfig, sample_task

FIRST_SEED = 7000
LEVELS = (1, 3, 10)
MIN_TASKS = 8  # a (regime, class count) pair needs this many fitting tasks for its own T


def prior_outputs(n_tasks: int, levels=LEVELS, config: PriorConfig | None = None):
    """Uncalibrated outputs on prior draws.

    -> list of (task index, level, proba (R, K) of the non-anchor rows, truth (R,) class
    index of each row)"""
    config = PriorConfig() if config is None else config
    outputs = []
    for index in range(n_tasks):
        task = sample_task(np.random.default_rng(FIRST_SEED + index), config)
        keep = task.y >= 0
        X, y = task.X[keep], task.y[keep]
        classes, y = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            continue
        for level in levels:
            anchors = draw_anchors(y, level, index)
            est = PFNClusterer(calibrate=False).fit(X, partial_labels(y, anchors))
            rows = ~est.anchor_mask_
            truth = true_columns(est, y[rows], len(classes))
            outputs.append((index, level, est.proba_[rows], truth))
    return outputs


def true_columns(est, truth: np.ndarray, n_classes: int) -> np.ndarray:
    """Each row's true class as a column of ``est.proba_``. Every one of the `n_classes`
    classes is anchored, so they are the first columns, sorted; a new cluster found beside
    them ("new 1", ...) is never a row's true class. truth (R,) -> (R,)"""
    return np.searchsorted(est.classes_[:n_classes].astype(np.int64), truth)


def fit_temperatures(outputs, min_tasks: int = MIN_TASKS) -> dict[str, float]:
    """Temperatures from the outputs of even-numbered tasks: one per anchor regime, and one
    per (anchor regime, class count) that holds at least `min_tasks` tasks."""
    temperatures = {}
    for level in sorted({level for _, level, _, _ in outputs}):
        chosen = [(p, t) for i, lv, p, t in outputs if lv == level and i % 2 == 0]
        temperatures[regime_of(level)] = _fit(chosen)
        by_count: dict[str, list] = {}
        for p, t in chosen:
            by_count.setdefault(regime_of(level, p.shape[1]), []).append((p, t))
        for key, pairs in by_count.items():
            if len(pairs) >= min_tasks:
                temperatures[key] = _fit(pairs)
    return temperatures


def _fit(pairs) -> float:
    proba = np.concatenate([_pad(p, _width(pairs)) for p, _ in pairs])
    return fit_temperature(proba, np.concatenate([t for _, t in pairs]))


def held_out_report(outputs, temperatures) -> dict[str, dict[str, float]]:
    """ECE before and after on the odd-numbered tasks (rows pooled), per level."""
    report = {}
    for level in sorted({level for _, level, _, _ in outputs}):
        chosen = [(p, t) for i, lv, p, t in outputs if lv == level and i % 2 == 1]
        proba = np.concatenate([_pad(p, _width(chosen)) for p, _ in chosen])
        truth = np.concatenate([t for _, t in chosen])
        after = np.concatenate([
            _pad(apply_temperature(p, temperature_for(temperatures, level, p.shape[1])),
                 _width(chosen)) for p, _ in chosen])
        report[str(level)] = {"before": expected_calibration_error(proba, truth),
                              "after": expected_calibration_error(after, truth)}
    return report


def _width(pairs) -> int:
    return max(p.shape[1] for p, _ in pairs)


def _pad(proba: np.ndarray, width: int) -> np.ndarray:
    """Zero columns up to `width` so that tasks with different K pool (the extra classes
    get probability 0, which temperature scaling keeps at 0)."""
    return np.pad(proba, ((0, 0), (0, width - proba.shape[1])))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.calibrate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=160, help="prior draws (half fit, half check)")
    parser.add_argument("--out", default=str(SHIPPED_CALIBRATION))
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    outputs = prior_outputs(args.tasks)
    temperatures = fit_temperatures(outputs)
    report = held_out_report(outputs, temperatures)
    content = {
        "temperatures": temperatures,
        "fitted_on": f"prior draws seeded {FIRST_SEED}.. (even-numbered of {args.tasks}), "
                     "anchors 1, 3, 10 per class; python -m pfn_core.calibrate "
                     f"--tasks {args.tasks}",
        "held_out_ece": report,
    }
    Path(args.out).write_text(json.dumps(content, indent=2) + "\n")
    print(json.dumps(content, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
