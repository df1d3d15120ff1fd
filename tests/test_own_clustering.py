import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import pfn_core.without_anchors as without_anchors_module
from pfn_core import PFNClusterer
from pfn_core.own_clustering import applies, cluster_of_class
from pfn_core.table_views import clear_table_views


@pytest.fixture
def edge_anchor():
    """Two unit Gaussians 4 apart (300 rows each); class "a" is named by the row on the far
    outer edge of its cluster, class "b" by the row nearest its cluster's centre: an
    anchored fit's boundary is dragged into cluster a. X (600, 2), y (600,) objects,
    truth (600,)"""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal((-2, 0), 1, (300, 2)), rng.normal((2, 0), 1, (300, 2))])
    y = np.full(600, None, dtype=object)
    y[int(np.argmin(X[:300, 0]))] = "a"
    y[300 + int(np.argmin(((X[300:] - (2, 0)) ** 2).sum(1)))] = "b"
    return X, y, np.repeat([0, 1], 300)


def count_clusterings_without_anchors(monkeypatch) -> list:
    """The K of every clustering without anchors the estimator runs from now on."""
    runs = []
    original = without_anchors_module.cluster_without_anchors

    def counted(estimator, prepared, n_clusters, with_agreement=False):
        runs.append(n_clusters)
        return original(estimator, prepared, n_clusters, with_agreement)

    monkeypatch.setattr(without_anchors_module, "cluster_without_anchors", counted)
    return runs


def test__cluster_of_class__matches_clusters_to_classes_only_when_every_anchor_agrees():
    labels = np.array([2, 2, 0, 0, 1, 1])
    matched = cluster_of_class(labels, np.array([0, 2, 4]), np.array([1, 0, 2]), 3)
    np.testing.assert_array_equal(matched, [0, 2, 1])
    # Two classes' anchors in one cluster: no matching agrees with both.
    assert cluster_of_class(labels, np.array([0, 1]), np.array([0, 1]), 3) is None


def test__applies__only_with_two_classes_and_too_few_anchors_for_a_metric():
    assert applies(2, 2) and applies(9, 2)
    assert not applies(10, 2)  # 5 per class: the anchors' metric takes over
    assert not applies(3, 1)


def test__one_anchor_on_a_clusters_edge__the_models_own_clustering_is_kept(edge_anchor):
    X, y, truth = edge_anchor
    kept = PFNClusterer().fit(X, y)
    anchored = PFNClusterer(own_clustering=False, discover=False).fit(X, y)  # the usual fit
    assert kept.used_own_clustering_ and not anchored.used_own_clustering_
    assert adjusted_rand_score(truth, kept.labels_) > 0.85
    assert adjusted_rand_score(truth, kept.labels_) > adjusted_rand_score(truth,
                                                                          anchored.labels_) + 0.1
    # The anchors keep their labels, one-hot, and the classes are the user's.
    np.testing.assert_array_equal(kept.classes_, ["a", "b"])
    np.testing.assert_array_equal(kept.labels_[kept.anchor_mask_], y[kept.anchor_mask_])
    np.testing.assert_allclose(kept.proba_[kept.anchor_mask_].max(1), 1.0)
    # New rows are scored as the kept partition's own rows were, in the user's classes.
    assert (kept.predict(X) == kept.labels_).mean() > 0.95


def test__anchors_that_split_one_obvious_cluster__keep_the_anchored_fit(two_blobs):
    X, _ = two_blobs
    y = np.full(100, -1)
    y[0], y[1] = 0, 1  # both anchors in the first blob: no clustering into 2 agrees
    est = PFNClusterer().fit(X, y)
    assert not est.used_own_clustering_
    assert est.labels_[0] == 0 and est.labels_[1] == 1


def test__clusterings_without_anchors__are_computed_once_per_table_and_k(monkeypatch,
                                                                       edge_anchor):
    X, y, _ = edge_anchor
    runs = count_clusterings_without_anchors(monkeypatch)
    clear_table_views()  # earlier tests may have clustered this table already
    first = PFNClusterer(n_clusters=2).fit(X)
    first.proba_[:] = 0.0  # the caller's copy: the kept clustering must not change
    again = PFNClusterer(n_clusters=2).fit(X)
    with_anchors = PFNClusterer().fit(X, y)  # two classes, few anchors: the same clustering
    assert runs == [2] and with_anchors.used_own_clustering_
    np.testing.assert_allclose(again.proba_.sum(1), 1.0)
    PFNClusterer(n_clusters=3).fit(X)
    assert runs == [2, 3]


def test__kept_own_clustering__survives_save_and_load(tmp_path, edge_anchor):
    X, y, _ = edge_anchor
    est = PFNClusterer().fit(X, y)
    assert est.used_own_clustering_
    est.save(tmp_path / "fitted.safetensors")
    loaded = PFNClusterer.load(tmp_path / "fitted.safetensors")
    np.testing.assert_array_equal(loaded.predict(X[::7]), est.predict(X[::7]))
    np.testing.assert_allclose(loaded.predict_proba(X[::7]), est.predict_proba(X[::7]),
                               atol=1e-6)


def test__clusterings_without_anchors__keep_within_their_byte_budget(monkeypatch, edge_anchor):
    X, _, _ = edge_anchor
    runs = count_clusterings_without_anchors(monkeypatch)
    monkeypatch.setattr(without_anchors_module, "DERIVED_BYTES", 1)  # room for the newest only
    clear_table_views()
    for k in (2, 3, 3, 2):
        PFNClusterer(n_clusters=k).fit(X)
    assert runs == [2, 3, 2]
