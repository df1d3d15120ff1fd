"""Honest confidence: post-hoc temperature scaling of the model's probabilities.

A probability is calibrated when, of the rows given 0.8, about 80% are right. The
transformer's softmax need not be: it was trained for the right argmax, not for its
confidence. Temperature scaling divides the log-probabilities by one constant T per
anchor regime (T > 1 softens overconfident outputs, T < 1 sharpens timid ones), which
never changes a row's predicted class. The temperatures are fitted by
``python -m pfn_core.calibrate`` on fresh draws from the prior (``pfn_core.prior``), never
on benchmark data, and shipped in ``weights/calibration.json``; the estimator applies them
to ``proba_`` (``PFNClusterer(calibrate=True)``).

Regimes: by the mean number of anchors per class, ``REGIMES`` (1, 2-4, 5 or more: the last
is where the anchors' metric takes over and the model's outputs change character), and by
the number of classes, ``CLASS_COUNTS`` (2-3, 4-8, 9 or more: one temperature spread over
31 classes flattens far more than over 2). A regime's key reads e.g. "1|4-8"; a file may
also hold a temperature per anchor regime alone (e.g. "1"), used when the key is absent.

Legend: N=rows, K=classes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

SHIPPED_CALIBRATION = Path(__file__).resolve().parents[1] / "weights" / "calibration.json"
N_BINS = 15
REGIMES = (("1", 0.0, 2.0), ("2-4", 2.0, 5.0), ("5+", 5.0, np.inf))  # name, low, high
CLASS_COUNTS = (("2-3", 0, 4), ("4-8", 4, 9), ("9+", 9, np.inf))  # name, low, high
_FLOOR = 1e-12


def regime_of(mean_anchors_per_class: float, n_classes: int | None = None) -> str:
    """The regime key for a mean number of anchors per class (>= 0) and, when given, a
    number of classes: e.g. "2-4" or "2-4|9+"."""
    if not mean_anchors_per_class >= 0:
        raise ValueError(f"mean anchors per class must be >= 0, got {mean_anchors_per_class}.")
    name = next(r for r, low, high in REGIMES if low <= mean_anchors_per_class < high)
    if n_classes is None:
        return name
    count = next(c for c, low, high in CLASS_COUNTS if low <= n_classes < high)
    return f"{name}|{count}"


def regime_keys() -> set[str]:
    """Every key a calibration file may hold."""
    plain = {name for name, _, _ in REGIMES}
    return plain | {f"{r}|{c}" for r in plain for c, _, _ in CLASS_COUNTS}


def temperature_for(temperatures: dict[str, float], mean_anchors_per_class: float,
                    n_classes: int) -> float | None:
    """The temperature of the regime (anchors and classes), else of the anchors' regime
    alone, else None."""
    full = temperatures.get(regime_of(mean_anchors_per_class, n_classes))
    return full if full is not None else temperatures.get(regime_of(mean_anchors_per_class))


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

    def nll(log_t: float) -> float:
        logits = log_p / np.exp(log_t)
        logits -= logits.max(1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(1))
        return float(np.mean(log_norm - logits[np.arange(len(truth)), truth]))

    found = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(found.x))


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


def load_temperatures(path: str | Path | None = None) -> dict[str, float]:
    """Temperatures per regime from a calibration file (default: the shipped one).
    -> {regime name: T}; a missing file means no calibration ({}), a malformed one raises."""
    path = Path(path) if path is not None else SHIPPED_CALIBRATION
    if not path.exists():
        return {}
    content = json.loads(path.read_text())
    temperatures = content.get("temperatures")
    names = regime_keys()
    if not isinstance(temperatures, dict) or not set(temperatures) <= names or any(
            not (isinstance(t, (int, float)) and t > 0) for t in temperatures.values()):
        raise ValueError(f"{path}: 'temperatures' must map regimes {sorted(names)} to "
                         "positive numbers; refit it with python -m pfn_core.calibrate.")
    return {name: float(t) for name, t in temperatures.items()}


@functools.lru_cache(maxsize=1)
def cached_temperatures() -> dict:
    """The shipped calibration temperatures (``load_temperatures``), read once per process."""
    return load_temperatures()


def calibrate_proba(proba: np.ndarray, anchor_mask: np.ndarray, n_anchors: int,
                    n_classes: int, temperatures: dict[str, float]) -> np.ndarray:
    """Temperature-scale the rows that are not anchors (anchors stay one-hot).

    proba (N, K), anchor_mask (N,) -> (N, K); unchanged when the regime has no temperature."""
    temperature = temperature_for(temperatures, n_anchors / max(n_classes, 1), n_classes)
    if temperature is None or temperature == 1.0:
        return proba
    out = proba.copy()
    out[~anchor_mask] = apply_temperature(proba[~anchor_mask], temperature)
    return out
