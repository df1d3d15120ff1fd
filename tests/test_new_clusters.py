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


def test__discover__a_new_cluster_never_takes_a_name_the_analyst_gave():
    X, y, truth = _three_blobs_two_anchored()
    named = np.where(y == 0, "new 1", np.where(y == 1, "b", None)).astype(object)
    est = PFNClusterer().fit(X, named)
    assert list(est.classes_) == ["b", "new 1", "new 2"]
    assert (est.labels_[140:] == "new 2").all() and (est.labels_[:70] == "new 1").all()
    assert adjusted_rand_score(truth, est.labels_.astype(str)) == 1.0


def test__discover__the_models_confusion_finds_it_without_the_piece_rule(monkeypatch):
    # The third blob is a piece of the graph of its own; with that rule off, the merge
    # heights of the model's confusion still single it out.
    from pfn_core import graph_pieces

    monkeypatch.setattr(graph_pieces, "PIECE_MIN_LANDMARKS", 10**9)
    X, y, truth = _three_blobs_two_anchored()
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [0, 1, "new 1"]
    assert adjusted_rand_score(truth, [str(v) for v in est.labels_]) == 1.0
    assert max(est.new_clusters_evidence_.values()) >= 2.0


def _interlocked_rings(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t, u = rng.uniform(0, 2 * np.pi, (2, n))
    first = np.stack([np.cos(t), np.sin(t), np.zeros(n)], 1)
    second = np.stack([1 + np.cos(u), np.zeros(n), np.sin(u)], 1)
    X = np.concatenate([first, second]) + rng.normal(0, 0.05, (2 * n, 3))
    return X, np.repeat([0, 1], n)


def test__discover__a_piece_of_the_graph_with_no_anchor_is_a_new_cluster():
    # Two interlocked rings, one anchored: the other is a piece of the neighbour graph that
    # no anchor reaches. The model's confusion alone did not single it out (all its merges
    # are hard), and every row went to the anchored ring.
    X, truth = _interlocked_rings()
    y = np.full(len(X), -1)
    y[[0, 1, 2]] = 7
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [7, "new 1"]
    assert (est.labels_[300:] == "new 1").all() and (est.labels_[:300] == 7).all()


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


def test__discover__with_full_user_classes_the_widened_fit_refines_from_a_short_pilot(
        monkeypatch):
    import pfn_core.anchored_fit as anchored_fit_module
    from pfn_core.anchored_fit import FULL_CLASSES_PILOT_ROWS

    rng = np.random.default_rng(5)
    centres, sizes = [(0, 0), (10, 0), (5, 9)], [700, 700, 100]
    X = np.concatenate([rng.normal(c, 0.8, (n, 2)) for c, n in zip(centres, sizes, strict=True)])
    y = np.full(len(X), -1)
    y[:40], y[700:740] = 0, 1  # lassos: 40 anchors each, more than a class's 32 tokens
    from pfn_core.table_views import clear_table_views

    passes = []  # (classes, rows scored) of every pass
    original = anchored_fit_module.predict_proba  # every pass goes through it

    def counted(*a, **k):
        rows = k.get("rows")
        passes.append((a[6], len(X) if rows is None else len(rows)))
        return original(*a, **k)

    monkeypatch.setattr(anchored_fit_module, "predict_proba", counted)
    clear_table_views()
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [0, 1, "new 1"] and (est.labels_[1400:] == "new 1").mean() > 0.9
    # The table's sub-clusters, discovery's pass, the refining round's short pilot (the
    # lassos are one patch of each class: its extra anchors show each class's extent),
    # then the widened fit's last pass.
    assert len(passes) == 4 and passes[2] == (3, FULL_CLASSES_PILOT_ROWS)
    assert passes[-1][0] == 3


def test__candidate_subclusters__are_found_once_per_table_in_its_own_metric(monkeypatch):
    # 10 anchors per class: the fit runs in the anchors' metric, the sub-clusters do not.
    from pfn_core import new_clusters
    from pfn_core.table_views import clear_table_views

    X, y, _ = _three_blobs_two_anchored()
    first, second = y.copy(), y.copy()
    first[[3, 4, 5, 6, 7, 8, 9, 73, 74, 75, 76, 77, 78, 79]] = [0] * 7 + [1] * 7
    second[[10, 11, 12, 13, 14, 15, 16, 80, 81, 82, 83, 84, 85, 86]] = [0] * 7 + [1] * 7
    seeded = []
    real_seeds = new_clusters.density_peak_seeds
    monkeypatch.setattr(new_clusters, "density_peak_seeds",
                        lambda *a, **k: seeded.append(1) or real_seeds(*a, **k))
    clear_table_views()
    PFNClusterer().fit(X, first)
    kept = PFNClusterer().fit(X, second)  # other anchors, same table: sub-clusters kept
    assert kept.in_anchor_metric_ and len(seeded) == 1
    clear_table_views()
    fresh = PFNClusterer().fit(X, second)
    assert len(seeded) == 2
    np.testing.assert_array_equal(kept.proba_, fresh.proba_)
    assert list(kept.classes_) == [0, 1, "new 1"]


def test__discover__finds_nothing_new_when_each_class_spans_several_anchored_blobs():
    # 200 anchors in 3 classes, each class 3 or 4 of 10 far-apart blobs (as lassos over
    # several islands name them): every blob holds anchors, so none is new. (Run in the
    # table's metric instead of the anchors', the discovery pass named 7 blobs "new".)
    from pfn_core.bench.speed import blobs, draw_targets

    X, truth = blobs(2000)
    y, reference = draw_targets(truth, "many200", 0)
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [0, 1, 2]
    assert adjusted_rand_score(reference[y < 0], est.labels_[y < 0].astype(int)) > 0.95


def test__discover__a_tiny_table_with_many_classes_nearly_all_anchored_finds_nothing_new():
    # A prior draw of 142 rows in 14 classes, 9 anchors each: 48 sub-clusters cut out of
    # the 16 unlabelled rows made all of them "new" (16 new clusters). Sub-clusters must be
    # finer than the classes (3 per class, at most one per 5 rows): here they cannot be.
    from pfn_core.bench.protocol import draw_anchors, partial_labels
    from pfn_core.calibrate import FIRST_SEED
    from pfn_core.prior import PriorConfig, sample_task

    task = sample_task(np.random.default_rng(FIRST_SEED + 6), PriorConfig())
    keep = task.y >= 0
    X, (classes, y) = task.X[keep], np.unique(task.y[keep], return_inverse=True)
    assert len(classes) == 14 and len(X) == 142
    est = PFNClusterer().fit(X, partial_labels(y, draw_anchors(y, 10, 6)))
    assert len(est.classes_) == 14


def test__discover__never_names_a_new_cluster_that_takes_no_row():
    # Fifty copies of one row, two of them labelled: the sub-clusters are all alike and
    # their merge heights are noise, which once named nine empty "new" clusters.
    X = np.repeat(np.random.default_rng(0).normal(size=(1, 3)), 50, axis=0)
    y = np.full(50, -1)
    y[[0, 1]] = [0, 1]
    est = PFNClusterer().fit(X, y)
    assert list(est.classes_) == [0, 1]


def test__anchored_owners__a_candidate_group_that_user_anchors_fall_in_is_theirs(monkeypatch):
    from types import SimpleNamespace

    from pfn_core import new_clusters as module

    # 8 anchors: rows 0-3 of class 1 (row 0 a context token), rows 4-7 of class 0.
    # Columns: 0, 1 anchored classes; 2, 3 sub-clusters; groups: 2 -> group 2, 3 -> group 3.
    anchor_index = np.arange(8)
    prepared = SimpleNamespace(
        anchor_index=anchor_index, anchor_class=np.array([1, 1, 1, 1, 0, 0, 0, 0]),
        content_rank=np.arange(8), features=np.zeros((8, 2)), geometry=np.zeros((8, 2)),
        attachment=SimpleNamespace(select=lambda rows: None), model=None)
    scored = []

    def fake_scores(model, scoring, features, geometry, attachment, n_ensemble, device):
        scored.append(len(features))
        # Rows 1-3 (class 1) fall in column 2, rows 4-5 in column 3, rows 6-7 in class 0.
        columns = np.array([2, 2, 2, 3, 3, 0, 0])
        return np.eye(4)[columns]

    monkeypatch.setattr(module, "score_rows", fake_scores)
    estimator = SimpleNamespace(n_ensemble=1, device="cpu")
    group = np.array([0, 1, 2, 3])
    owner = module.anchored_owners(estimator, prepared, None, np.array([0]), group,
                                   np.array([2, 3]))
    assert scored == [7]  # the context token (row 0) is not checked
    assert owner == {2: 1}  # 3 anchors of class 1 in group 2; only 2 in group 3: still new
    assert module.anchored_owners(estimator, prepared, None, anchor_index, group,
                                  np.array([2, 3])) == {}  # every anchor a token: no check
