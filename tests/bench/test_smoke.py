"""Benchmark smoke runs: tiny in-memory sets, the real model if trained, real data if present."""

import math

import numpy as np
import pytest

from pfn_core.bench import run_benchmark, write_report
from pfn_core.bench.datasets import DEFAULT_SHARED, resolve_shared_root
from pfn_core.checkpoint import SHIPPED_WEIGHTS

BASELINES = ["kmeans", "ward", "knn1", "seeded_kmeans"]
needs_weights = pytest.mark.skipif(
    not SHIPPED_WEIGHTS.exists(), reason=f"no trained weights at {SHIPPED_WEIGHTS}")


@pytest.fixture
def tiny_sets():
    """Two small labelled sets: three blobs in 2-D and two blobs in 5-D."""
    rng = np.random.default_rng(0)
    blobs3 = np.concatenate([rng.normal(c, 0.5, (20, 2)) for c in (0, 5, 10)])
    blobs2 = np.concatenate([rng.normal(c, 0.5, (25, 5)) for c in (0, 4)])
    return {"three_blobs": (blobs3, np.repeat([1, 2, 3], 20)),
            "two_blobs_5d": (blobs2, np.repeat([0, 7], 25))}  # labels need not be 1..K


class CountingFactory:
    """A stand-in estimator factory: nearest anchor, or K-means-like split without anchors."""

    def __init__(self, fail=False):
        self.calls, self.fail = 0, fail

    def __call__(self):
        self.calls += 1
        return StandIn(self.fail)


class StandIn:
    def __init__(self, fail):
        self.fail, self.n_clusters = fail, None

    def get_params(self):
        return {"n_clusters": self.n_clusters}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def fit_predict(self, X, y):
        if self.fail:
            raise ValueError("stand-in failure")
        if (y == -1).all():
            return (X[:, 0] > np.median(X[:, 0])).astype(int)
        anchors = np.flatnonzero(y != -1)
        nearest = ((X[:, None, :] - X[None, anchors, :]) ** 2).sum(-1).argmin(1)
        return y[anchors][nearest]


def test__run_benchmark__scores_every_applicable_method(tiny_sets):
    factory = CountingFactory()
    records = run_benchmark(tiny_sets, levels=[0, 1], seeds=[0, 1],
                            methods=BASELINES + ["model"], estimator_factory=factory)
    # per dataset and seed: level 0 runs kmeans, ward, model; level 1 knn1, seeded_kmeans, model
    assert len(records) == 2 * 2 * 6
    assert factory.calls == 1
    assert all(r["error"] is None and 0.9 <= r["ari"] <= 1.0 for r in records
               if r["method"] != "model" or r["level"] == 1)
    assert {r["n_anchors"] for r in records if r["level"] == 0} == {0}


def test__run_benchmark__records_failures_and_keeps_going(tiny_sets):
    records = run_benchmark(tiny_sets, levels=[1], seeds=[0], methods=["knn1", "model"],
                            estimator_factory=CountingFactory(fail=True))
    failed = [r for r in records if r["method"] == "model"]
    assert all(math.isnan(r["ari"]) and "stand-in failure" in r["error"] for r in failed)
    assert all(r["ari"] > 0.9 for r in records if r["method"] == "knn1")


def test__run_benchmark__refuses_unknown_methods_and_missing_factory(tiny_sets):
    with pytest.raises(ValueError, match="unknown methods"):
        run_benchmark(tiny_sets, levels=[1], seeds=[0], methods=["magic"])
    with pytest.raises(ValueError, match="estimator_factory"):
        run_benchmark(tiny_sets, levels=[1], seeds=[0], methods=["model"])


def test__write_report__has_every_section_and_keeps_the_notes(tiny_sets, tmp_path):
    records = run_benchmark(tiny_sets, levels=[0, 1], seeds=[0], methods=BASELINES + ["model"],
                            estimator_factory=CountingFactory())
    path = tmp_path / "BENCHMARKS.md"
    text = write_report(records, path, "python -m pfn_core.bench --levels 0 1")
    for heading in ("Command: `python -m pfn_core.bench --levels 0 1`", "## Summary",
                    "## Where the model is weak", "### a = 1", "## Seconds per method"):
        assert heading in text
    edited = text.replace("_Handwritten notes go here", "Trained for 3 hours. _Handwritten")
    path.write_text(edited)
    rewritten = write_report(records, path, "python -m pfn_core.bench")
    assert "Trained for 3 hours." in rewritten and rewritten.count("<!-- notes -->") == 1


@needs_weights
def test__run_benchmark__runs_the_shipped_model(tiny_sets):
    from pfn_core import PFNClusterer

    records = run_benchmark(tiny_sets, levels=[0, 1], seeds=[0], methods=["model", "knn1"],
                            estimator_factory=PFNClusterer)
    model = [r for r in records if r["method"] == "model"]
    assert len(model) == 4 and all(r["error"] is None for r in model)
    assert all(-1.0 <= r["ari"] <= 1.0 for r in model)


@pytest.mark.skipif(not (resolve_shared_root() / "data").is_dir(),
                    reason=f"no shared data folder (looked in $PFN_SHARED or {DEFAULT_SHARED})")
def test__run_benchmark__on_two_small_real_datasets():
    methods = ["knn1", "label_spreading", "seeded_kmeans"]
    factory = None
    if SHIPPED_WEIGHTS.exists():
        from pfn_core import PFNClusterer

        methods, factory = methods + ["model"], PFNClusterer
    records = run_benchmark(["other/iris", "fcps/hepta"], levels=[1], seeds=[0],
                            methods=methods, estimator_factory=factory)
    assert len(records) == 2 * len(methods)
    assert all(r["error"] is None for r in records)
    hepta = {r["method"]: r["ari"] for r in records if r["dataset"] == "fcps/hepta"}
    assert hepta["seeded_kmeans"] > 0.9  # seven well-separated blobs
    assert {r["n_rows"] for r in records} == {150, 212}
