import numpy as np
from sklearn.metrics import adjusted_rand_score

from pfn_core import PFNClusterer
from tests.test_new_clusters import _three_blobs_two_anchored


def test__few_anchors__the_discovery_pass_is_the_fit_and_scores_new_rows_the_same_way(tmp_path):
    # One anchor per blob: the pass with the candidate sub-clusters is the fit, each
    # sub-cluster's probability added to the class it merged into.
    X, y, truth = _three_blobs_two_anchored()
    y[[1, 2, 71, 72]] = -1
    y[140] = 2
    est = PFNClusterer(own_clustering=False).fit(X, y)
    column_class = est.fitted_pass_.scoring.column_class
    assert column_class is not None and len(column_class) > 3 and set(column_class) == {0, 1, 2}
    assert est.proba_.shape == (210, 3)
    np.testing.assert_allclose(est.proba_.sum(1), 1.0)
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert (est.predict(X) == est.labels_).all()
    est.save(tmp_path / "fitted.safetensors")
    loaded = PFNClusterer.load(tmp_path / "fitted.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X[::7]), est.predict_proba(X[::7]))


def test__read_as_the_fit__a_partition_that_cuts_more_links_loses_to_the_usual_fit(monkeypatch):
    # With 2 or 3 anchors per class (read as the fit here, though by default only one per
    # class is), the ring's sub-clusters went to the four 3-row corner classes (ARI 0.60
    # against 0.80); that partition cuts more links of the graph, so the usual fit stands.
    from pfn_core import discovery_fit

    monkeypatch.setattr(discovery_fit, "AS_FIT_MEAN_ANCHORS", 5)
    rng = np.random.default_rng(0)
    blob = rng.normal(0, 0.5, (300, 2))
    angle = rng.uniform(0, 2 * np.pi, 300)
    ring = np.c_[3 * np.cos(angle), 3 * np.sin(angle)] + rng.normal(0, 0.15, (300, 2))
    corners = [np.array(c) + rng.normal(0, 0.1, (3, 2))
               for c in [(4.5, 4.5), (-4.5, 4.5), (4.5, -4.5), (-4.5, -4.5)]]
    X = np.concatenate([blob, ring, *corners])
    truth = np.r_[np.zeros(300), np.ones(300), np.repeat([2, 3, 4, 5], 3)].astype(int)
    draw, y = np.random.default_rng(0), np.full(len(X), -1)
    for c in range(6):
        y[draw.choice(np.flatnonzero(truth == c), 3 if c < 2 else 2, replace=False)] = c
    est = PFNClusterer().fit(X, y)
    usual = PFNClusterer(discover=False).fit(X, y)
    assert est.fitted_pass_.scoring.column_class is None
    np.testing.assert_array_equal(est.labels_, usual.labels_)
    assert adjusted_rand_score(truth, est.labels_.astype(int)) > 0.75


def test__discovery_can_be_the_fit__only_with_few_anchors_and_finer_sub_clusters():
    from dataclasses import replace

    from pfn_core.discovery_fit import discovery_can_be_the_fit
    from pfn_core.prepared_inputs import prepare_inputs

    X, _, _ = _three_blobs_two_anchored()
    four = np.full(len(X), -1)
    four[[0, 1, 2, 3, 70, 71, 72, 73]] = [0, 0, 0, 0, 1, 1, 1, 1]
    prepared = prepare_inputs(X, four, None, "cpu", "auto", True)
    assert not discovery_can_be_the_fit(prepared)  # 4 per class: the usual fit
    one = np.full(len(X), -1)
    one[[0, 70]] = [0, 1]
    one_each = prepare_inputs(X, one, None, "cpu", "auto", True)
    assert discovery_can_be_the_fit(one_each)  # 1 per class, 42 sub-clusters for 2 classes
    # 15 classes need 45 sub-clusters; 210 rows give 42.
    assert not discovery_can_be_the_fit(replace(one_each, classes=np.arange(15),
                                                anchor_index=np.arange(15),
                                                anchor_class=np.arange(15)))


def test__read_as_the_fit__with_two_or_three_anchors_per_class_it_must_cut_half_as_many_links():
    from dataclasses import replace

    from pfn_core.discovery_fit import read_cut_share
    from pfn_core.prepared_inputs import prepare_inputs

    X, y, _ = _three_blobs_two_anchored()
    prepared = prepare_inputs(X, y, None, "cpu", "auto", True)
    two = np.arange(4)
    assert read_cut_share(replace(prepared, anchor_index=two[:2], anchor_class=two[:2],
                                  classes=two[:2])) == 1.0  # one per class
    assert read_cut_share(replace(prepared, anchor_index=two, anchor_class=two % 2,
                                  classes=two[:2])) == 0.5  # two per class
    assert read_cut_share(prepared) == 0.5  # three per class
