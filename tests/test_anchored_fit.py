import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import pfn_core.prepared_inputs as prepared_inputs_module
from pfn_core import PFNClusterer
from pfn_core.anchored_fit import cluster_from_anchors, full_pass, pick_anchors
from pfn_core.carry import CONTEXT_PER_CLASS
from pfn_core.prepared_inputs import prepare_inputs


@pytest.fixture
def short_pilot(monkeypatch):
    """Passes that only pick extra anchors score 150 rows, so small tables take that path."""

    monkeypatch.setattr(prepared_inputs_module, "PILOT_ROWS", 150)


def _three_blobs(seed: int, per_blob: int = 200):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, 1.0, (per_blob, 2)) for c in (0, 5, 10)])
    y = np.full(len(X), -1)
    y[[0, per_blob, 2 * per_blob]] = [0, 1, 2]
    return X, y


def test__pilot_pass__picks_extra_anchors_only_among_the_pilot_rows(short_pilot):
    X, y = _three_blobs(3)
    prepared = prepare_inputs(X, y)
    anchors = prepared.anchor_index
    rows, classes = pick_anchors(PFNClusterer(), prepared, anchors, np.arange(3), 3, 10,
                                 anchors)
    pilot = set(prepared.content_order[:150].tolist())
    assert set(rows.tolist()) <= pilot and not set(rows.tolist()) & set(anchors.tolist())
    assert np.bincount(classes, minlength=3).min() > 0


def test__pilot_pass__keeps_row_order_invariance_and_quality(short_pilot):
    X, y = _three_blobs(4)
    truth = np.repeat([0, 1, 2], 200)
    perm = np.random.default_rng(5).permutation(len(X))
    a = PFNClusterer().fit(X, y)
    b = PFNClusterer().fit(X[perm], y[perm])
    np.testing.assert_array_equal(a.labels_[perm], b.labels_)
    assert adjusted_rand_score(truth, a.labels_) > 0.9
    c = PFNClusterer(n_clusters=3).fit(X[perm])  # the no-anchor passes use it too
    assert adjusted_rand_score(truth[perm], c.labels_) > 0.9


def test__cluster_from_anchors__anchors_one_hot_and_the_context_size_recorded():
    X, y = _three_blobs(6)
    y[1:80] = 0  # 80 anchors in class 0: the context takes a sample of them
    est = PFNClusterer()
    classes, proba, fitted_pass = cluster_from_anchors(est, prepare_inputs(X, y))
    assert list(classes) == [0, 1, 2] and proba.shape == (600, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)
    anchors = np.flatnonzero(y >= 0)
    np.testing.assert_array_equal(proba[anchors].argmax(1), y[anchors])
    assert proba[anchors].max(1).min() == 1.0
    assert est.n_context_anchors_ == CONTEXT_PER_CLASS + 2
    assert (proba.argmax(1) == np.repeat([0, 1, 2], 200)).mean() > 0.95


def test__full_pass__labels_every_row_and_keeps_what_scores_new_rows():
    X, y = _three_blobs(7)
    prepared = prepare_inputs(X, y)
    proba, fitted_pass = full_pass(PFNClusterer(), prepared, prepared.anchor_index,
                                   prepared.anchor_class, 3)
    assert proba.shape == (600, 3) and fitted_pass.scoring is not None
    assert (proba.argmax(1) == np.repeat([0, 1, 2], 200)).mean() > 0.95
