"""numpy's BLAS runs on one thread inside a fit and gets its thread count back afterwards."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

import pfn_core.estimator as estimator_module
from pfn_core.blas_threads import single_blas_thread
from pfn_core.estimator import PFNClusterer


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test__single_blas_thread__holds_blas_to_one_thread_and_restores_it():
    before = _blas_threads()
    with single_blas_thread():
        assert _blas_threads() and set(_blas_threads()) == {1}
    assert _blas_threads() == before


def test__fit_and_predict__run_with_one_blas_thread(monkeypatch):
    seen = []
    prepare = estimator_module.prepare_inputs

    def recording(*args, **kwargs):
        seen.append(_blas_threads())
        return prepare(*args, **kwargs)

    monkeypatch.setattr(estimator_module, "prepare_inputs", recording)
    before = _blas_threads()
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(6, 1, (60, 2))])
    y = np.full(120, -1)
    y[0], y[60] = 0, 1
    est = PFNClusterer().fit(X, y)
    assert seen and all(set(threads) == {1} for threads in seen)
    assert _blas_threads() == before
    validate = estimator_module.validate_features
    seen_predict = []

    def recording_validate(*args, **kwargs):
        seen_predict.append(_blas_threads())
        return validate(*args, **kwargs)

    monkeypatch.setattr(estimator_module, "validate_features", recording_validate)
    est.predict(X[:5])
    assert seen_predict and set(seen_predict[0]) == {1}
