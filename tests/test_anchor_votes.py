import numpy as np

from pfn_core import PFNClusterer
from pfn_core.anchor_votes import AnchorVotes, class_counts
from pfn_core.carry import CONTEXT_PER_CLASS


def _touching(n=900, seed=0):
    """Two overlapping Gaussian clusters in 2 columns: the model hesitates in the middle."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    return np.c_[truth * 2.2, np.zeros(n)] + rng.normal(0, 1, (n, 2)), truth


def _labelled(truth, share, seed=1):
    rng = np.random.default_rng(seed)
    y = np.full(len(truth), -1)
    rows = rng.choice(len(truth), int(share * len(truth)), replace=False)
    y[rows] = truth[rows]
    return y


def test__class_counts__sums_each_rows_votes_per_class():
    counts = class_counts(np.array([[0, 1, 1], [2, 2, 0]]),
                          np.array([[1.0, 0.5, 0.25], [0.5, 0.5, 2.0]]), 3)
    np.testing.assert_allclose(counts, [[1.0, 0.75, 0.0], [2.0, 0.0, 1.0]])


def test__fuse__moves_rows_among_anchors_and_leaves_far_rows_to_the_model():
    anchors = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]], dtype=np.float32)
    votes = AnchorVotes(anchors, np.array([1, 1, 1]), weight=0.9, bandwidth=0.5)
    proba = np.array([[0.6, 0.4], [0.6, 0.4]])
    fused = votes.fuse(proba, np.array([[0.05, 0.05], [40.0, 40.0]], dtype=np.float32))
    assert fused[0, 1] > 0.7  # three close votes outweigh a hesitant model
    np.testing.assert_allclose(fused[1], proba[1], atol=1e-9)  # no anchor near: the model's
    np.testing.assert_allclose(fused.sum(1), 1.0)


def test__fuse__gives_each_row_the_same_result_alone_or_with_others():
    rng = np.random.default_rng(0)
    votes = AnchorVotes(rng.normal(size=(50, 3)).astype(np.float32), rng.integers(0, 3, 50),
                        weight=0.5, bandwidth=1.0)
    proba = rng.dirichlet(np.ones(3), 40)
    geometry = rng.normal(size=(40, 3)).astype(np.float32)
    together = votes.fuse(proba, geometry)
    alone = np.concatenate([votes.fuse(proba[i:i + 1], geometry[i:i + 1]) for i in range(40)])
    np.testing.assert_allclose(alone, together)


def test__a_fit_whose_anchors_all_fit_in_the_context__is_unchanged_by_votes():
    X, truth = _touching()
    y = _labelled(truth, 0.05)  # about 22 anchors per class: all of them tokens
    assert np.bincount(y[y >= 0]).max() <= CONTEXT_PER_CLASS
    with_votes = PFNClusterer().fit(X, y)
    assert with_votes.fitted_pass_.votes is None
    silent = PFNClusterer(anchor_votes=False).fit(X, y)
    np.testing.assert_array_equal(with_votes.proba_, silent.proba_)


def test__with_more_anchors_than_the_context_holds__every_anchor_votes():
    X, truth = _touching()
    y = _labelled(truth, 0.3)  # about 135 per class, 32 of them tokens
    est = PFNClusterer().fit(X, y)
    votes = est.fitted_pass_.votes
    n_anchors = (y >= 0).sum()
    assert votes is not None and len(votes.geometry) == n_anchors
    assert np.isclose(votes.weight, 1 - 2 * CONTEXT_PER_CLASS / n_anchors)
    silent = PFNClusterer(anchor_votes=False).fit(X, y)
    assert not np.array_equal(est.proba_, silent.proba_)
    anchors = y >= 0
    assert (est.labels_[anchors] == y[anchors]).all()  # anchors keep their label
    np.testing.assert_allclose(est.proba_.sum(1), 1.0)
    # New rows hear the same votes as the fitted rows did (an anchor, as a new row, is
    # not held to its label: in overlapping clusters some sit on the other side).
    assert (est.predict(X[~anchors]) == est.labels_[~anchors]).mean() > 0.99


def test__the_votes__are_saved_and_loaded_with_the_fitted_clusterer(tmp_path):
    X, truth = _touching()
    est = PFNClusterer().fit(X, _labelled(truth, 0.3))
    est.save(tmp_path / "fitted.safetensors")
    loaded = PFNClusterer.load(tmp_path / "fitted.safetensors")
    assert loaded.fitted_pass_.votes.weight == est.fitted_pass_.votes.weight
    X_new = _touching(200, seed=4)[0]
    np.testing.assert_array_equal(loaded.predict_proba(X_new), est.predict_proba(X_new))
    np.testing.assert_array_equal(loaded.predict_proba(X_new, method="carry"),
                                  est.predict_proba(X_new, method="carry"))


def test__on_a_table_longer_than_the_landmarks__rows_are_carried_from_voted_landmarks():
    X, truth = _touching(9000)  # more rows than geodesic.MAX_LANDMARKS
    y = _labelled(truth, 0.3)
    est = PFNClusterer().fit(X, y)
    assert est.fitted_pass_.votes is not None
    rest = y < 0
    silent = PFNClusterer(anchor_votes=False).fit(X, y)
    # Overlapping clusters: the labelled neighbours correct some of the model's calls.
    assert (est.labels_[rest] == truth[rest]).mean() >= (silent.labels_[rest] == truth[rest]).mean()
    # Predicting by carry reads the same landmarks' voted probabilities.
    carried = est.predict(X[rest], method="carry")
    assert (carried == est.labels_[rest]).mean() > 0.99
