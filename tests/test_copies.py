import numpy as np
from sklearn.metrics import adjusted_rand_score

from pfn_core import PFNClusterer
from pfn_core.copies import distinct_fit_targets, to_every_row


def _survey(n=2000, seed=0):
    """Three groups answering 6 questions on a 1-5 scale: most rows have copies."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    centres = np.array([[1, 1, 2, 4, 5, 3], [4, 5, 4, 1, 2, 2], [3, 3, 5, 5, 1, 4]])
    return np.clip(np.round(centres[group] + rng.normal(0, 0.8, (n, 6))), 1, 5), group


def test__distinct_fit_targets__one_label_per_distinct_row_or_none():
    copy_of = np.array([0, 1, 0, 3, 1])  # rows 2 and 4 repeat rows 0 and 1
    distinct = distinct_fit_targets(copy_of, np.array([2, 3]), np.array(["a", "b"]))
    assert distinct.rows.tolist() == [0, 1, 3]
    assert distinct.position.tolist() == [0, 1, 0, 2, 1]
    assert distinct.targets.tolist() == ["a", None, "b"]
    proba = np.array([[1.0, 0.0], [0.2, 0.8], [0.0, 1.0]])
    np.testing.assert_array_equal(to_every_row(proba, distinct), proba[[0, 1, 0, 2, 1]])
    assert distinct_fit_targets(np.arange(4), np.array([0]), np.array(["a"])) is None
    assert distinct_fit_targets(np.zeros(4, np.int64), np.zeros(0, np.int64), []) is None
    # Two copies of one row named differently: the usual fit keeps both names.
    assert distinct_fit_targets(copy_of, np.array([0, 2]), np.array(["a", "b"])) is None


def test__a_table_of_ratings__is_clustered_on_its_distinct_rows_and_k_is_found():
    X, group = _survey()
    est = PFNClusterer().fit(X)
    assert est.n_distinct_rows_ == len(np.unique(X, axis=0)) < len(X)
    assert est.n_clusters_ == 3
    assert adjusted_rand_score(group, est.labels_) > 0.95
    every_row = PFNClusterer(merge_copies=False).fit(X)  # how it was: every copy fitted
    assert every_row.n_distinct_rows_ == len(X) and every_row.n_clusters_ > 10
    copies = (X[:, None, :] == X[None, :200, :]).all(-1)[:200]  # rows equal among the first 200
    same_row, other = np.nonzero(copies)
    np.testing.assert_array_equal(est.labels_[same_row], est.labels_[other])


def test__anchors_on_copies__stay_the_only_anchors_and_keep_their_labels():
    X, group = _survey(seed=1)
    y = np.full(len(X), -1)
    for g in range(3):
        y[np.flatnonzero(group == g)[:2]] = g
    est = PFNClusterer().fit(X, y)
    assert est.n_distinct_rows_ < len(X)
    np.testing.assert_array_equal(np.flatnonzero(est.anchor_mask_), np.flatnonzero(y >= 0))
    np.testing.assert_array_equal(est.labels_[y >= 0], y[y >= 0])
    assert adjusted_rand_score(group, est.labels_) > 0.95
    assert (est.predict(X[:100]) == est.labels_[:100]).mean() > 0.95


def test__copies_named_differently__are_fitted_as_they_are_and_keep_both_names():
    X, group = _survey(n=600, seed=2)
    row, twin = next(np.flatnonzero((X == X[i]).all(1))[:2] for i in range(len(X))
                     if (X == X[i]).all(1).sum() > 1)  # a row and its copy
    y = np.full(len(X), -1)
    y[row], y[twin] = 0, 1
    est = PFNClusterer().fit(X, y)
    assert est.n_distinct_rows_ == len(X)
    assert est.labels_[row] == 0 and est.labels_[twin] == 1


def test__too_few_distinct_rows_to_estimate_k__the_table_is_fitted_as_given():
    rng = np.random.default_rng(3)
    X = np.round(np.concatenate([rng.normal(0, 0.6, (300, 2)), rng.normal(4, 0.6, (300, 2))]))
    assert len(np.unique(X, axis=0)) < 60
    assert PFNClusterer().fit(X).n_distinct_rows_ == len(X)  # K estimated: every row
    assert PFNClusterer(n_clusters=2).fit(X).n_distinct_rows_ < 60  # K given: merged


def test__minus_zero_and_zero__are_copies_and_k_above_the_distinct_rows_fits_the_table():
    X = np.array([[0.0, 1.0], [-0.0, 1.0], [5.0, 5.0], [5.0, 5.0]] * 20)
    assert PFNClusterer(n_clusters=2).fit(X).n_distinct_rows_ == 2
    assert PFNClusterer(n_clusters=3).fit(X).n_distinct_rows_ == len(X)  # 3 > 2 distinct


def test__a_table_with_copies__builds_the_anchors_metric_for_its_distinct_rows_only(monkeypatch):
    import pfn_core.prepared_inputs as prepared_inputs

    built = []
    original = prepared_inputs.views_in_anchor_metric
    monkeypatch.setattr(prepared_inputs, "views_in_anchor_metric",
                        lambda views, *args: built.append(len(views.X)) or original(views, *args))
    X, group = _survey(600)
    y = np.full(len(X), -1)
    for g in range(3):
        y[np.flatnonzero(group == g)[:6]] = g  # 6 anchors per class: the anchors' metric
    est = PFNClusterer().fit(X, y)
    assert est.n_distinct_rows_ < len(X) and est.in_anchor_metric_
    assert built == [est.n_distinct_rows_]  # not also for the whole table first
