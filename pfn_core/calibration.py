"""Honest confidence: post-hoc temperature scaling of the model's probabilities.

A probability is calibrated when, of the rows given 0.8, about 80% are right. The
transformer's softmax need not be: it was trained for the right argmax, not for its
confidence. Temperature scaling divides the log-probabilities by a constant T (T > 1
softens overconfident outputs, T < 1 sharpens timid ones), which never changes a row's
predicted class.

T is set per table by a rule fitted on fresh draws from the prior (``python -m
pfn_core.calibrate``, ``weights/calibration.json``), never on benchmark data:

    log T = a + b * sqrt(cut) + c * log K

with one (a, b, c) per anchor regime (``REGIMES``: no anchor, then 1, 2-4, 5 or more anchors
per class on average; the last is where the anchors' metric takes over and the outputs
change character), K the number of classes and cut the share of the table's neighbour links that
the fit's labels cut (``merging.graph_cut_fraction``): a clustering that cuts through the
data is more often wrong, so its confidence is softened more (b > 0), and one temperature
spread over 31 classes flattens far more than over 2 (c < 0). One temperature per regime and
class count (the rule before the seventeenth session) left the mean ECE over the dev suite's
tables at 0.136 / 0.091 / 0.056 at 1 / 3 / 10 anchors, worse than the raw softmax's 0.115 /
0.082 / 0.051: it softened the tables the model gets right as much as those it gets wrong.
The form was chosen on held-out prior draws and the held-out families of
``bench.few_anchors``, not on the dev suite (BENCHMARKS.md, "Honest confidence"). Without
anchors (regime "0") a row is right when it is in the cluster matched to its true group
(``matched_truth``); the raw softmax there is sure of nearly every row (mean confidence
0.99 on tables where half the rows are in the wrong cluster).

Legend: N=rows, K=classes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment, minimize, minimize_scalar

SHIPPED_CALIBRATION = Path(__file__).resolve().parents[1] / "weights" / "calibration.json"
N_BINS = 15
# name, low, high: "0" is a fit without anchors (K given or estimated), "1" has anchors but
# fewer than 2 per class on average (3 anchors and a new cluster: 0.75 per class)
REGIMES = (("0", 0.0, 0.0), ("1", 0.0, 2.0), ("2-4", 2.0, 5.0), ("5+", 5.0, np.inf))
RULE = "log T = a + b * sqrt(cut) + c * log K"  # the (a, b, c) of each regime
LOG_T_BOUND = 3.0  # |log T| at most this: T in [0.05, 20], as ``fit_temperature``
_FLOOR = 1e-12


# The temperatures shipped until the seventeenth session, one per anchor regime and class
# count (2-3, 4-8, 9 or more classes), fitted on prior draws by the calibrate command of
# then (fits without anchors were not scaled: 1). Two things still read them: files saved
# in formats 1 and 2 (``fitted_io``), whose fits they scaled, and the suggestions
# (``suggest``), whose settings were chosen and checked on margins they scaled: under each
# table's own temperature the same settings beat random labels on 23 of the dev suite's 39
# tables instead of 26 (BENCHMARKS.md).
REGIME_TEMPERATURES = {
    "0": {"2-3": 1.0, "4-8": 1.0, "9+": 1.0},
    "1": {"2-3": 2.968465811021926, "4-8": 2.6839446481236067, "9+": 1.637137336559919},
    "2-4": {"2-3": 2.6656091985880153, "4-8": 2.6541121200169764, "9+": 1.5373755202144184},
    "5+": {"2-3": 2.480494392909016, "4-8": 1.9428106952372202, "9+": 1.3344441551914616},
}


def regime_of(mean_anchors_per_class: float) -> str:
    """The regime key for a mean number of anchors per class (>= 0): "0" (no anchor), "1",
    "2-4" or "5+"."""
    if not mean_anchors_per_class >= 0:
        raise ValueError(f"mean anchors per class must be >= 0, got {mean_anchors_per_class}.")
    if mean_anchors_per_class == 0:
        return "0"
    return next(r for r, low, high in REGIMES if low <= mean_anchors_per_class < high)


def rule_inputs(cut: float, n_classes: int) -> np.ndarray:
    """What the rule weighs: (1, sqrt(cut), log K) -> (3,)"""
    return np.array([1.0, np.sqrt(max(cut, 0.0)), np.log(max(n_classes, 1))])


def temperature_for(rule: dict[str, tuple], mean_anchors_per_class: float, n_classes: int,
                    cut: float) -> float | None:
    """T for a table (see the module's docstring): `rule` {regime: (a, b, c)}, the fit's
    mean anchors per class, its classes and the share of neighbour links its labels cut.
    None when the rule has no coefficients for the regime."""
    coefficients = rule.get(regime_of(mean_anchors_per_class))
    if coefficients is None:
        return None
    log_t = float(rule_inputs(cut, n_classes) @ np.asarray(coefficients, dtype=np.float64))
    return float(np.exp(np.clip(log_t, -LOG_T_BOUND, LOG_T_BOUND)))


def regime_temperature(mean_anchors_per_class: float, n_classes: int) -> float:
    """The temperature of ``REGIME_TEMPERATURES`` for a fit's anchors and classes."""
    count = "2-3" if n_classes < 4 else "4-8" if n_classes < 9 else "9+"
    return REGIME_TEMPERATURES[regime_of(mean_anchors_per_class)][count]


def matched_truth(proba: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each row's true class as a column of a clustering without anchors, whose columns have
    no names: columns and classes are matched one to one so that most rows agree (the
    Hungarian method on their counts). Rows of a class no column matched get -1.

    proba (N, C), truth (N,) class index in 0..K-1 -> (N,) in -1..C-1"""
    counts = np.zeros((proba.shape[1], int(truth.max()) + 1))
    np.add.at(counts, (proba.argmax(1), truth), 1)
    columns, classes = linear_sum_assignment(-counts)
    column_of = np.full(counts.shape[1], -1)
    column_of[classes] = columns
    return column_of[truth]


def apply_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Soften (T > 1) or sharpen (T < 1) probabilities: softmax(log(proba) / T).

    proba (N, K), rows summing to 1 -> (N, K); the argmax of every row is kept."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    logits = np.log(np.maximum(proba, _FLOOR)) / temperature
    logits -= logits.max(1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(1, keepdims=True)


def fit_temperature(proba: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of `truth`.

    proba (N, K), truth (N,) class index in 0..K-1 of each row -> T in [0.05, 20]"""
    if len(proba) != len(truth) or len(proba) == 0:
        raise ValueError(f"need matching, non-empty proba and truth, got {len(proba)} "
                         f"and {len(truth)} rows.")
    log_p = np.log(np.maximum(proba, _FLOOR))
    found = minimize_scalar(lambda log_t: _scaled_nll(log_p, truth, log_t),
                            bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(found.x))


def _scaled_nll(log_p: np.ndarray, truth: np.ndarray, log_t: float) -> float:
    """The mean negative log-likelihood of `truth` (R,) under log-probabilities `log_p`
    (R, K) scaled by the temperature exp(`log_t`)."""
    logits = log_p / np.exp(log_t)
    logits -= logits.max(1, keepdims=True)
    log_norm = np.log(np.exp(logits).sum(1))
    return float(np.mean(log_norm - logits[np.arange(len(truth)), truth]))


def reliability(proba: np.ndarray, truth: np.ndarray, n_bins: int = N_BINS):
    """Confidence in `n_bins` equal-width bins of [0, 1].

    proba (N, K), truth (N,) -> (count (B,), mean confidence (B,), accuracy (B,)); empty
    bins have count 0 and NaN means."""
    return reliability_bins(proba.max(1), proba.argmax(1) == truth, n_bins)


def reliability_bins(confidence: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS):
    """``reliability`` from each row's confidence (N,) and whether it was right (N,)."""
    correct = np.asarray(correct, dtype=np.float64)
    which = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(which, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(which, confidence, n_bins) / count
        accuracy = np.bincount(which, correct, n_bins) / count
    return count, mean_confidence, accuracy


def calibration_error(count: np.ndarray, mean_confidence: np.ndarray,
                      accuracy: np.ndarray) -> float:
    """ECE from ``reliability``'s bins: the count-weighted mean |confidence - accuracy|."""
    filled = count > 0
    gaps = np.abs(mean_confidence[filled] - accuracy[filled])
    return float((count[filled] * gaps).sum() / count.sum())


def expected_calibration_error(proba: np.ndarray, truth: np.ndarray,
                               n_bins: int = N_BINS) -> float:
    """ECE: the row-weighted mean gap between confidence and accuracy over `n_bins` bins.

    proba (N, K), truth (N,) class index of each row -> float in [0, 1]"""
    if len(proba) == 0:
        raise ValueError("no rows to measure calibration on.")
    return calibration_error(*reliability(proba, truth, n_bins))


def fit_rule(tasks) -> tuple[float, float, float]:
    """The (a, b, c) of one regime that minimise the negative log-likelihood of the truth,
    each task's mean over its rows counting once (a table of 100 rows as much as one of
    1,000: the target is each table's calibration, not the pooled rows').

    tasks: list of (proba (R, K), truth (R,) class index, cut) -> (a, b, c)"""
    if not tasks:
        raise ValueError("need at least one task to fit a temperature rule.")
    prepared = [(np.log(np.maximum(p, _FLOOR)), t, rule_inputs(cut, p.shape[1]))
                for p, t, cut in tasks]

    def mean_nll(coefficients: np.ndarray) -> float:
        return sum(_scaled_nll(log_p, truth,
                               np.clip(inputs @ coefficients, -LOG_T_BOUND, LOG_T_BOUND))
                   for log_p, truth, inputs in prepared) / len(prepared)

    found = minimize(mean_nll, np.zeros(3), method="Nelder-Mead",
                     options={"maxiter": 3000, "xatol": 1e-4, "fatol": 1e-7})
    return tuple(float(v) for v in found.x)


def load_rule(path: str | Path | None = None) -> dict[str, tuple]:
    """The temperature rule of a calibration file (default: the shipped one).
    -> {regime name: (a, b, c)}; a missing file means no calibration ({}), a malformed one
    raises ValueError."""
    path = Path(path) if path is not None else SHIPPED_CALIBRATION
    if not path.exists():
        return {}
    content = json.loads(path.read_text())
    rule = content.get("coefficients")
    names = {name for name, _, _ in REGIMES}
    if (content.get("rule") != RULE or not isinstance(rule, dict) or not set(rule) <= names
            or any(not (isinstance(c, list) and len(c) == 3
                        and all(isinstance(v, (int, float)) and np.isfinite(v) for v in c))
                   for c in rule.values())):
        raise ValueError(f"{path}: expected 'rule': {RULE!r} and 'coefficients' mapping "
                         f"regimes {sorted(names)} to three numbers (a, b, c); refit it with "
                         "python -m pfn_core.calibrate.")
    return {name: tuple(float(v) for v in c) for name, c in rule.items()}


@functools.lru_cache(maxsize=1)
def shipped_rule() -> dict:
    """The shipped temperature rule (``load_rule``), read once per process."""
    return load_rule()


def calibrate_fit(proba: np.ndarray, anchor_index: np.ndarray, cut: float,
                  rule: dict[str, tuple]) -> tuple[np.ndarray, float | None]:
    """A fit's probabilities scaled by its table's temperature (``temperature_for``, from its
    anchors per class, its classes and its graph cut `cut`); anchors stay one-hot.

    proba (N, K), anchor_index (A,) -> (proba (N, K), the temperature or None)"""
    n_classes = proba.shape[1]
    temperature = temperature_for(rule, len(anchor_index) / n_classes, n_classes, cut)
    is_anchor = np.zeros(len(proba), dtype=bool)
    is_anchor[anchor_index] = True
    return calibrate_proba(proba, is_anchor, temperature), temperature


def calibrate_proba(proba: np.ndarray, anchor_mask: np.ndarray,
                    temperature: float | None) -> np.ndarray:
    """Temperature-scale the rows that are not anchors (anchors stay one-hot).

    proba (N, K), anchor_mask (N,) -> (N, K); unchanged when `temperature` is None or 1."""
    if temperature is None or temperature == 1.0:
        return proba
    out = proba.copy()
    out[~anchor_mask] = apply_temperature(proba[~anchor_mask], temperature)
    return out
