import numpy as np
from sklearn.metrics import adjusted_rand_score

from pfn_core import PFNClusterer


def _three_blobs_two_anchored():
    rng = np.random.default_rng(4)
    centres = [(0, 0), (10, 0), (5, 9)]
    X = np.concatenate([rng.normal(c, 0.8, (70, 2)) for c in centres])
    truth = np.repeat([0, 1, 2], 70)
    y = np.full(210, -1)
    y[[0, 1, 2, 70, 71, 72]] = [0, 0, 0, 1, 1, 1]  # nobody labels the third blob
    return X, y, truth


def test__discover__rows_of_an_unlabelled_cluster_form_new_1():
    X, y, truth = _three_blobs_two_anchored()
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [0, 1, "new 1"]
    assert est.n_clusters_ == 3 and est.proba_.shape == (210, 3)
    assert (est.labels_[140:] == "new 1").all()
    assert adjusted_rand_score(truth, [str(v) for v in est.labels_]) == 1.0
    assert max(est.new_clusters_evidence_.values()) >= 2.0


def test__discover_false__forces_every_row_into_an_anchored_cluster():
    X, y, _ = _three_blobs_two_anchored()
    est = PFNClusterer(discover=False).fit(X, y)
    assert list(est.classes_) == [0, 1] and est.new_clusters_evidence_ is None
    assert set(est.labels_) == {0, 1}


def test__discover__finds_nothing_new_when_every_cluster_is_anchored():
    X, y, truth = _three_blobs_two_anchored()
    y[[140, 141, 142]] = 2
    est = PFNClusterer().fit(X, y)
    plain = PFNClusterer(discover=False).fit(X, y)
    assert list(est.classes_) == [0, 1, 2]
    np.testing.assert_array_equal(est.labels_, plain.labels_)
    np.testing.assert_allclose(est.proba_, plain.proba_)


def test__discover__with_full_user_classes_the_widened_fit_adds_no_refining_pass(monkeypatch):
    rng = np.random.default_rng(5)
    centres, sizes = [(0, 0), (10, 0), (5, 9)], [150, 150, 30]
    X = np.concatenate([rng.normal(c, 0.8, (n, 2)) for c, n in zip(centres, sizes, strict=True)])
    y = np.full(len(X), -1)
    y[:40], y[150:190] = 0, 1  # lassos: 40 anchors each, more than a class's 32 tokens
    picks = []  # the small unlabelled blob gets fewer than 32 pseudo-anchors
    original = PFNClusterer._pick_anchors
    monkeypatch.setattr(PFNClusterer, "_pick_anchors",
                        lambda self, *a, **k: picks.append(a[3]) or original(self, *a, **k))
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [0, 1, "new 1"] and (est.labels_[300:] == "new 1").all()
    assert len(picks) == 1  # discovery's own pick; the widened fit went straight to its pass
