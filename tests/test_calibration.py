import json

import numpy as np
import pytest

from pfn_core import PFNClusterer
from pfn_core.calibration import (
    REGIMES,
    apply_temperature,
    calibrate_proba,
    expected_calibration_error,
    fit_temperature,
    load_temperatures,
    regime_keys,
    regime_of,
    temperature_for,
)


def _calibrated_sample(n_rows: int = 4000, n_classes: int = 4, seed: int = 0):
    """Probabilities and classes drawn from those probabilities: calibrated by construction.
    -> proba (N, K), truth (N,)"""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n_rows, n_classes))
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    truth = np.array([rng.choice(n_classes, p=p) for p in proba])
    return proba, truth


def test__temperature__keeps_every_rows_class_and_one_is_the_identity():
    proba, _ = _calibrated_sample(200)
    for temperature in (0.5, 1.0, 3.0):
        scaled = apply_temperature(proba, temperature)
        np.testing.assert_array_equal(scaled.argmax(1), proba.argmax(1))
        np.testing.assert_allclose(scaled.sum(1), 1.0)
    np.testing.assert_allclose(apply_temperature(proba, 1.0), proba, atol=1e-12)
    assert apply_temperature(proba, 3.0).max(1).mean() < proba.max(1).mean()
    with pytest.raises(ValueError, match="positive"):
        apply_temperature(proba, 0.0)


def test__fit_temperature__recovers_the_sharpening_that_made_outputs_overconfident():
    proba, truth = _calibrated_sample()
    overconfident = apply_temperature(proba, 1 / 2.5)  # sharpened by T = 0.4
    assert expected_calibration_error(overconfident, truth) > 0.08
    temperature = fit_temperature(overconfident, truth)
    assert temperature == pytest.approx(2.5, rel=0.15)
    fixed = apply_temperature(overconfident, temperature)
    assert expected_calibration_error(fixed, truth) < 0.03


def test__ece__is_zero_for_a_perfect_sure_model_and_large_for_a_wrong_sure_one():
    truth = np.array([0, 1, 1, 0])
    sure = np.eye(2)[truth]
    assert expected_calibration_error(sure, truth) == 0.0
    assert expected_calibration_error(sure, 1 - truth) == 1.0


def test__regimes__cover_every_anchor_count():
    assert [regime_of(v) for v in (0, 1, 1.9, 2, 4.5, 5, 40)] == [
        "1", "1", "1", "2-4", "2-4", "5+", "5+"]
    with pytest.raises(ValueError):
        regime_of(-1)
    assert regime_of(3, 31) == "2-4|9+" and regime_of(10, 2) == "5+|2-3"
    shipped = set(load_temperatures())
    assert {name for name, _, _ in REGIMES} <= shipped <= regime_keys()


def test__load_temperatures__a_missing_file_is_no_calibration_and_a_bad_one_is_refused(tmp_path):
    assert load_temperatures(tmp_path / "absent.json") == {}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"temperatures": {"1": -2.0}}))
    with pytest.raises(ValueError, match="positive"):
        load_temperatures(bad)


def test__temperature_for__prefers_the_class_count_and_falls_back_to_the_anchors():
    temperatures = {"1": 2.0, "1|9+": 1.2}
    assert temperature_for(temperatures, 1, 31) == 1.2
    assert temperature_for(temperatures, 1, 3) == 2.0
    assert temperature_for(temperatures, 10, 3) is None


def test__calibrate_proba__leaves_anchors_one_hot():
    proba = np.array([[1.0, 0.0], [0.9, 0.1], [0.3, 0.7]])
    mask = np.array([True, False, False])
    out = calibrate_proba(proba, mask, 2, 2, {"1": 2.0})
    np.testing.assert_array_equal(out[0], [1.0, 0.0])
    assert out[1, 0] < 0.9 and out[2, 1] < 0.7


def test__estimator__calibration_changes_confidence_never_labels():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(0, 1, (80, 2)), rng.normal(2.5, 1, (80, 2))])
    y = np.full(160, -1)
    y[[0, 80]] = [0, 1]
    raw = PFNClusterer(calibrate=False).fit(X, y)
    calibrated = PFNClusterer().fit(X, y)
    np.testing.assert_array_equal(raw.labels_, calibrated.labels_)
    free = ~raw.anchor_mask_
    assert calibrated.confidence_[free].mean() < raw.confidence_[free].mean()
    np.testing.assert_array_equal(calibrated.proba_[0], [1.0, 0.0])
