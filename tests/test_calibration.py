import json

import numpy as np
import pytest

from pfn_core import PFNClusterer
from pfn_core.calibration import (
    REGIMES,
    RULE,
    apply_temperature,
    calibrate_proba,
    expected_calibration_error,
    fit_rule,
    fit_temperature,
    load_rule,
    matched_truth,
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


def test__regimes__cover_every_anchor_count_and_the_shipped_rule_has_each():
    assert [regime_of(v) for v in (0, 0.75, 1, 1.9, 2, 4.5, 5, 40)] == [
        "0", "1", "1", "1", "2-4", "2-4", "5+", "5+"]
    with pytest.raises(ValueError):
        regime_of(-1)
    assert set(load_rule()) == {name for name, _, _ in REGIMES}


def test__load_rule__a_missing_file_is_no_calibration_and_a_bad_one_is_refused(tmp_path):
    assert load_rule(tmp_path / "absent.json") == {}
    bad = tmp_path / "bad.json"
    for content in ({"rule": RULE, "coefficients": {"1": [1.0, 2.0]}},
                    {"rule": RULE, "coefficients": {"7": [1.0, 2.0, 3.0]}},
                    {"temperatures": {"1": 2.0}}):  # the format before the per-table rule
        bad.write_text(json.dumps(content))
        with pytest.raises(ValueError, match="refit it"):
            load_rule(bad)


def test__temperature_for__rises_with_the_cut_falls_with_the_classes_and_is_bounded():
    rule = {"1": (np.log(2.0), 1.0, -0.5)}
    assert temperature_for(rule, 1, 1, 0.0) == pytest.approx(2.0)
    assert temperature_for(rule, 1, 3, 0.25) > temperature_for(rule, 1, 3, 0.01)
    assert temperature_for(rule, 1, 30, 0.1) < temperature_for(rule, 1, 3, 0.1)
    assert temperature_for(rule, 10, 3, 0.1) is None  # no coefficients for "5+"
    assert temperature_for({"1": (50.0, 0.0, 0.0)}, 1, 3, 0.1) == pytest.approx(np.exp(3.0))


def test__fit_rule__finds_that_tables_with_larger_cuts_were_more_overconfident():
    tasks = []
    for index, cut in enumerate(np.linspace(0.0, 0.36, 10)):
        proba, truth = _calibrated_sample(600, 3, seed=index)
        sharpened = apply_temperature(proba, 1 / np.exp(0.2 + 2.0 * np.sqrt(cut)))
        tasks.append((sharpened, truth, cut))
    a, b, c = fit_rule(tasks)
    found = [temperature_for({"1": (a, b, c)}, 1, 3, cut) for _, _, cut in tasks]
    wanted = [np.exp(0.2 + 2.0 * np.sqrt(cut)) for _, _, cut in tasks]
    np.testing.assert_allclose(found, wanted, rtol=0.2)
    with pytest.raises(ValueError, match="at least one task"):
        fit_rule([])


def test__matched_truth__names_unnamed_columns_by_the_class_most_of_their_rows_are():
    proba = np.eye(3)[[2, 2, 2, 0, 0, 1]]  # columns 2, 0, 1 hold classes 0, 1, 2
    truth = np.array([0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(matched_truth(proba, truth), [2, 2, 0, 0, 0, 1])
    two_columns = np.eye(2)[[0, 0, 1, 1]]  # three classes, two columns: one class left out
    np.testing.assert_array_equal(matched_truth(two_columns, np.array([0, 0, 1, 2])),
                                  [0, 0, 1, -1])


def test__estimator__without_anchors__scales_confidence_and_keeps_the_clusters():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(0, 1, (80, 2)), rng.normal(2.0, 1, (80, 2))])
    raw = PFNClusterer(n_clusters=2, calibrate=False).fit(X)
    calibrated = PFNClusterer(n_clusters=2).fit(X)
    np.testing.assert_array_equal(raw.labels_, calibrated.labels_)
    assert calibrated.temperature_ is not None
    np.testing.assert_allclose(calibrated.proba_,
                               apply_temperature(raw.proba_, calibrated.temperature_))


def test__calibrate_proba__leaves_anchors_one_hot():
    proba = np.array([[1.0, 0.0], [0.9, 0.1], [0.3, 0.7]])
    mask = np.array([True, False, False])
    out = calibrate_proba(proba, mask, 2.0)
    np.testing.assert_array_equal(out[0], [1.0, 0.0])
    assert out[1, 0] < 0.9 and out[2, 1] < 0.7
    assert calibrate_proba(proba, mask, None) is proba


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
    # the table's own temperature, from its anchors per class, classes and graph cut
    assert raw.temperature_ is None and calibrated.temperature_ > 1.0
    assert 0.0 <= calibrated.graph_cut_ == raw.graph_cut_ < 0.2
    np.testing.assert_allclose(calibrated.proba_[free],
                               apply_temperature(raw.proba_[free], calibrated.temperature_))
