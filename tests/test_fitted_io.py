import warnings

import numpy as np
import pandas as pd
import pytest

from pfn_core import PFNClusterer
from pfn_core.calibration import REGIME_TEMPERATURES


def _blobs(n, seed=0, d=3):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = np.random.default_rng(7).normal(0, 6, (3, d))
    return centres[truth] + rng.normal(0, 1, (n, d)), truth


def _anchors(truth, per_class):
    y = np.full(len(truth), -1)
    for c in range(3):
        y[np.flatnonzero(truth == c)[:per_class]] = c
    return y


@pytest.mark.parametrize("per_class", [2, 6])  # 6: the fit runs in the anchors' metric
def test__predict__on_the_fitted_rows_agrees_with_the_fit(per_class):
    X, truth = _blobs(600)
    est = PFNClusterer().fit(X, _anchors(truth, per_class))
    assert est.in_anchor_metric_ == (per_class >= 5)
    assert (est.predict(X) == est.labels_).mean() > 0.99


def test__predict__labels_new_rows_each_independently_of_the_others():
    X, truth = _blobs(600)
    est = PFNClusterer().fit(X, _anchors(truth, 3))
    X_new, truth_new = _blobs(300, seed=5)
    proba = est.predict_proba(X_new)
    assert (est.classes_[proba.argmax(1)] == truth_new).mean() > 0.98
    one_by_one = np.concatenate([est.predict_proba(X_new[i:i + 1]) for i in range(0, 300, 37)])
    np.testing.assert_allclose(one_by_one, proba[::37], atol=1e-6)
    np.testing.assert_allclose(est.predict_proba(X_new[::-1])[::-1], proba, atol=1e-6)


def test__save_and_load__give_the_same_predictions_without_pickle(tmp_path):
    X, truth = _blobs(600)
    y = np.where(_anchors(truth, 6) >= 0, np.array(["a", "b", "c"])[truth], None)
    est = PFNClusterer().fit(pd.DataFrame(X, columns=["x", "y", "z"]), y)
    path = tmp_path / "fitted.safetensors"
    est.save(path)
    assert path.read_bytes()[:8] != b"\x80\x04\x95"  # not a pickle
    loaded = PFNClusterer.load(path)
    X_new = pd.DataFrame(_blobs(200, seed=3)[0], columns=["x", "y", "z"])
    np.testing.assert_array_equal(loaded.predict_proba(X_new), est.predict_proba(X_new))
    assert loaded.classes_.tolist() == ["a", "b", "c"]
    assert loaded.predict(X_new[["z", "y", "x"]]).tolist() == est.predict(X_new).tolist()


def test__a_fit_without_anchors__can_be_saved_and_predicts_its_own_rows(tmp_path):
    X, _ = _blobs(500)
    est = PFNClusterer(n_clusters=3).fit(X)
    est.save(tmp_path / "f.safetensors")
    loaded = PFNClusterer.load(tmp_path / "f.safetensors")
    assert (loaded.predict(X) == est.labels_).mean() > 0.99


def test__bad_use__is_answered_with_a_value_error(tmp_path):
    X, truth = _blobs(300)
    with pytest.raises(ValueError, match="not fitted"):
        PFNClusterer().predict(X)
    est = PFNClusterer().fit(X, _anchors(truth, 2))
    with pytest.raises(ValueError, match="3 columns|fitted on 3"):
        est.predict(X[:, :2])
    with pytest.raises(ValueError, match="lacks the fitted columns"):
        PFNClusterer().fit(pd.DataFrame(X, columns=list("abc")), _anchors(truth, 2)).predict(
            pd.DataFrame(X, columns=list("abd")))
    with pytest.raises(ValueError, match="is a folder: give the file to write"):
        est.save(tmp_path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="not a fitted-clusterer file"):
        PFNClusterer.load(bad)
    with pytest.raises(ValueError, match="not found"):
        PFNClusterer.load(tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="at least one row"):
        est.predict(X[:0])


def test__a_new_row_far_beyond_the_table__is_scored_not_overflowed():
    X, truth = _blobs(300)
    est = PFNClusterer().fit(X, _anchors(truth, 2))
    far = np.array([[1e300, 0.0, 0.0], [-1e300, 1e300, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = est.predict_proba(far)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(1), 1.0)


def test__predict_by_carry__agrees_with_the_model_and_survives_save_and_load(tmp_path):
    X, truth = _blobs(3000)
    est = PFNClusterer().fit(X, _anchors(truth, 3))
    X_new, truth_new = _blobs(2000, seed=9)
    carried = est.predict(X_new, method="carry")
    assert (carried == truth_new).mean() > 0.98
    assert (carried == est.predict(X_new)).mean() > 0.98
    np.testing.assert_allclose(est.predict_proba(X_new, method="carry").sum(1), 1.0, atol=1e-6)
    est.save(tmp_path / "f.safetensors")
    loaded = PFNClusterer.load(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X_new, method="carry"),
                                  est.predict_proba(X_new, method="carry"))
    with pytest.raises(ValueError, match="method must be"):
        est.predict(X_new, method="nearest")


def _rewrite_version(path, version, calibration=None):
    """Rewrite a saved file's header as an older format wrote it: no votes, and the fit's
    regime (anchors, classes) instead of its temperature."""
    import json

    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(path), framework="np") as handle:
        header = json.loads(handle.metadata()["pfn_core"])
    header["version"] = version
    header.pop("votes", None)
    header.pop("temperature", None)
    header["calibration"] = calibration
    save_file(load_file(str(path)), str(path), metadata={"pfn_core": json.dumps(header)})


def test__a_file_of_an_older_format__still_loads_and_a_newer_one_is_refused(tmp_path):
    X, truth = _blobs(300)
    est = PFNClusterer().fit(X, _anchors(truth, 2))
    path = tmp_path / "old.safetensors"
    est.save(path)
    assert PFNClusterer.load(path).fitted_pass_.temperature == est.temperature_
    n_classes = len(est.classes_)
    # format 1, before the anchors' votes and the per-table temperature: 2 anchors per class
    _rewrite_version(path, 1, [2 * n_classes, n_classes])
    loaded = PFNClusterer.load(path)
    assert loaded.fitted_pass_.votes is None
    count = "2-3" if n_classes < 4 else "4-8"
    assert loaded.fitted_pass_.temperature == REGIME_TEMPERATURES["2-4"][count]
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    _rewrite_version(path, 2, None)  # fitted without calibration
    assert PFNClusterer.load(path).fitted_pass_.temperature is None
    _rewrite_version(path, 99)
    with pytest.raises(ValueError, match="format version 99"):
        PFNClusterer.load(path)
