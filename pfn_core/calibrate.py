"""``python -m pfn_core.calibrate``: fit the temperature rule of ``pfn_core.calibration``
on fresh draws from the prior and write ``weights/calibration.json``.

Tasks come from ``prior.sample_task`` with generators seeded ``FIRST_SEED``, ``FIRST_SEED``
+ 1, ... (training seeds its generators by (run seed, step) pairs, and the held-out check
uses 5000 onwards, so these draws are new to both). Noise points are dropped. For each
task and anchor level (1, 3 and 10 per class, drawn as the benchmark protocol draws them,
seeded by the task's index) and without anchors (K given), the model clusters the task
uncalibrated, and the rows that are not anchors are kept with their true class (without
anchors: the column matched to it, ``calibration.matched_truth``), with the fit's class
count and graph cut
(``PFNClusterer.graph_cut_``). Each regime's (a, b, c) minimises the negative
log-likelihood on the even-numbered tasks, each task counting once
(``calibration.fit_rule``); the odd-numbered ones report the expected calibration error
before and after, per task (mean over tasks) and with rows pooled, on draws the rule was
not fitted on. No benchmark data is read.

    python -m pfn_core.calibrate --tasks 400 --threads 2
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pfn_core.bench.protocol import draw_anchors, partial_labels
from pfn_core.calibration import (
    REGIMES,
    RULE,
    SHIPPED_CALIBRATION,
    apply_temperature,
    calibration_error,
    expected_calibration_error,
    fit_rule,
    matched_truth,
    regime_of,
    reliability_bins,
    temperature_for,
)
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import PriorConfig, sample_task

FIRST_SEED = 7000
LEVELS = (0, 1, 3, 10)  # anchors per class; 0: none, K given


@dataclass
class RawOutput:
    """One uncalibrated fit of a prior draw: proba (R, K) and truth (R,) (a column of proba)
    of the rows that are not anchors, the fit's mean anchors per class and graph cut."""

    task: int
    level: int
    proba: np.ndarray
    truth: np.ndarray
    per_class: float
    cut: float


def prior_outputs(n_tasks: int, levels=LEVELS, config: PriorConfig | None = None):
    """Uncalibrated outputs on prior draws -> list of ``RawOutput``"""
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
            outputs.append(raw_output(X, y, level, index, index))
    return outputs


def raw_output(X: np.ndarray, y: np.ndarray, level: int, seed: int, task: int = 0,
               anchors: np.ndarray | None = None, **settings) -> RawOutput:
    """One uncalibrated fit of X (N, D) with true classes y (N,) in 0..K-1: `level`
    anchors per class drawn as the protocol draws them (seeded `seed`), or the row ids
    `anchors` (A,) when given, or at level 0 none, with K given; `settings`: more
    ``PFNClusterer`` arguments. Without anchors a row's truth is the column matched to its
    class (``calibration.matched_truth``), and rows of a class no column matched are left
    out."""
    n_classes = int(y.max()) + 1
    if level == 0:
        est = PFNClusterer(calibrate=False, n_clusters=n_classes, **settings).fit(X)
        truth = matched_truth(est.proba_, y)
        rows = truth >= 0
        return RawOutput(task, level, est.proba_[rows], truth[rows], 0.0, est.graph_cut_)
    anchors = draw_anchors(y, level, seed) if anchors is None else anchors
    est = PFNClusterer(calibrate=False, **settings).fit(X, partial_labels(y, anchors))
    rows = ~est.anchor_mask_
    truth = true_columns(est, y[rows], n_classes)
    return RawOutput(task, level, est.proba_[rows], truth, len(anchors) / len(est.classes_),
                     est.graph_cut_)


def true_columns(est, truth: np.ndarray, n_classes: int) -> np.ndarray:
    """Each row's true class as a column of ``est.proba_``. Every one of the `n_classes`
    classes is anchored, so they are the first columns, sorted; a new cluster found beside
    them ("new 1", ...) is never a row's true class. truth (R,) -> (R,)"""
    return np.searchsorted(est.classes_[:n_classes].astype(np.int64), truth)


def fit_regimes(outputs) -> dict[str, tuple]:
    """The rule's (a, b, c) per regime, from the outputs of even-numbered tasks."""
    rule = {}
    for name, _, _ in REGIMES:
        tasks = [(o.proba, o.truth, o.cut) for o in outputs
                 if o.task % 2 == 0 and regime_of(o.per_class) == name]
        if tasks:
            rule[name] = fit_rule(tasks)
    return rule


def calibrated(output: RawOutput, rule: dict) -> np.ndarray:
    """An output's probabilities scaled as the estimator scales them under `rule`."""
    temperature = temperature_for(rule, output.per_class, output.proba.shape[1], output.cut)
    return output.proba if temperature is None else apply_temperature(output.proba,
                                                                       temperature)


def held_out_report(outputs, rule) -> dict[str, dict[str, float]]:
    """ECE before and after on the odd-numbered tasks, per level: the mean of each task's
    ECE, and the ECE of their rows pooled."""
    report = {}
    for level in sorted({o.level for o in outputs}):
        chosen = [o for o in outputs if o.level == level and o.task % 2 == 1]
        entry = {}
        for kind, scaled in (("before", [o.proba for o in chosen]),
                             ("after", [calibrated(o, rule) for o in chosen])):
            pairs = list(zip(scaled, chosen, strict=True))
            entry[f"{kind}, mean over tasks"] = float(np.mean([
                expected_calibration_error(p, o.truth) for p, o in pairs]))
            confidence = np.concatenate([p.max(1) for p in scaled])
            correct = np.concatenate([p.argmax(1) == o.truth for p, o in pairs])
            entry[f"{kind}, rows pooled"] = calibration_error(
                *reliability_bins(confidence, correct))
        report[str(level)] = entry
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.calibrate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=400, help="prior draws (half fit, half check)")
    parser.add_argument("--out", default=str(SHIPPED_CALIBRATION))
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    outputs = prior_outputs(args.tasks)
    rule = fit_regimes(outputs)
    report = held_out_report(outputs, rule)
    content = {
        "rule": RULE,
        "coefficients": {name: list(c) for name, c in rule.items()},
        "fitted_on": f"prior draws seeded {FIRST_SEED}.. (even-numbered of {args.tasks}), "
                     "anchors 0 (K given), 1, 3, 10 per class; python -m pfn_core.calibrate "
                     f"--tasks {args.tasks}",
        "held_out_ece": report,
    }
    Path(args.out).write_text(json.dumps(content, indent=2) + "\n")
    print(json.dumps(content, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
