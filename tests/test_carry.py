import numpy as np
import pytest

from pfn_core import PFNClusterer
from pfn_core.carry import carry_to_rows, representative_anchors, scored_rows
from pfn_core.geodesic import BaseGraph
from pfn_core.nearest_landmarks import Attachment


def _blobs(n, seed=0, k=3, d=2):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])[:k, :d]
    return centres[truth] + rng.normal(0, 1, (n, d)), truth


def test__representative_anchors__caps_each_class_and_keeps_small_classes_whole():
    X, truth = _blobs(2000)
    index = np.concatenate([np.flatnonzero(truth == 0)[:300], np.flatnonzero(truth == 1)[:4]])
    classes = truth[index]
    rows, kept_class = representative_anchors(index, classes, np.arange(len(index)), 32)
    assert np.bincount(kept_class).tolist() == [32, 4]
    assert set(rows) <= set(index)
    assert set(np.flatnonzero(truth == 1)[:4]) <= set(rows)


def test__representative_anchors__do_not_depend_on_the_order_of_the_anchor_list():
    X, truth = _blobs(1000)
    index = np.flatnonzero(truth == 0)[:200]
    rank = np.argsort(np.argsort(X[index, 0]))  # any row-order-free rank
    a, _ = representative_anchors(index, np.zeros(200, int), rank, 16)
    flip = np.arange(200)[::-1]
    b, _ = representative_anchors(index[flip], np.zeros(200, int), rank[flip], 16)
    assert sorted(a) == sorted(b)


def test__representative_anchors__are_a_uniform_sample_not_the_outliers():
    # 300 anchors of one class, the last 30 of them outliers, in a content order that has
    # nothing to do with position: the 32 tokens are the 32 lowest ranks, so about a tenth
    # of them are outliers (farthest-point sampling, used before, took all 30 first).
    rank = np.random.default_rng(3).permutation(300)
    rows, _ = representative_anchors(np.arange(300), np.zeros(300, int), rank, 32)
    assert sorted(rows) == sorted(np.argsort(rank)[:32])
    assert (rows >= 270).sum() <= 8


def test__scored_rows__all_rows_up_to_the_limit_else_the_first_in_content_order():
    order = np.random.default_rng(0).permutation(50)
    assert scored_rows(50, order, model_rows=50) is None
    assert scored_rows(50, order, model_rows=10).tolist() == sorted(order[:10])


def test__carry_to_rows__keeps_scored_rows_and_weights_links_by_inverse_distance():
    # rows 0, 1 scored; row 2 between them (1/3 of the way from row 0); base graph 0 <-> 1.
    scored = np.array([[1.0, 0.0], [0.0, 1.0]])
    attachment = Attachment(np.array([[0, 1], [1, 0], [0, 1]]),
                            np.array([[0, 3], [0, 3], [1, 2]], dtype=np.float32))
    base = BaseGraph(np.array([0, 1]), np.array([[1], [0]]), np.array([[3], [3]], np.float32))
    proba = carry_to_rows(scored, np.array([0, 1]), attachment, base, 3)
    np.testing.assert_allclose(proba[:2], scored)
    np.testing.assert_allclose(proba[2], [2 / 3, 1 / 3])


def test__carry_to_rows__fills_unscored_base_landmarks_from_their_scored_neighbours():
    # base landmarks 0, 1, 2; only 0 is scored; 1 links to 0, 2 links to 1 only.
    base = BaseGraph(np.array([0, 1, 2]), np.array([[1], [0], [1]]),
                     np.array([[1], [1], [1]], np.float32))
    attachment = Attachment(np.array([[0], [1], [2], [2]]),
                            np.array([[0], [0], [0], [0.5]], np.float32))
    proba = carry_to_rows(np.array([[0.25, 0.75]]), np.array([0]), attachment, base, 4)
    np.testing.assert_allclose(proba, np.tile([0.25, 0.75], (4, 1)))


def test__a_long_table__scores_base_landmarks_and_carries_the_rest(monkeypatch):
    import pfn_core.anchored_fit as anchored_fit_module

    X, truth = _blobs(1500)
    y = np.full(1500, -1)
    for c in range(3):
        y[np.flatnonzero(truth == c)[:3]] = c
    full = PFNClusterer().fit(X, y)
    monkeypatch.setattr(anchored_fit_module, "scored_rows",
                        lambda n, order: np.sort(order[:500]))
    carried = PFNClusterer().fit(X, y)
    assert (carried.labels_ == truth).mean() > 0.99
    assert (carried.labels_ == full.labels_).mean() > 0.99
    np.testing.assert_allclose(carried.proba_.sum(1), 1.0, atol=1e-6)


def test__anchors_the_transformer_did_not_score__lend_their_labels_to_the_carry(monkeypatch):
    import pfn_core.anchored_fit as anchored_fit_module

    X, truth = _blobs(1500)
    order = np.argsort(np.random.default_rng(1).random(1500))  # stands in for content order
    monkeypatch.setattr(anchored_fit_module, "scored_rows", lambda n, _: np.sort(order[:500]))
    unscored = order[500:]
    anchors = unscored[:40]  # anchors the transformer does not score
    twins = unscored[40:80]  # each a hair's breadth from one anchor (exact copies would
    X[twins] = X[anchors] + 1e-9  # be fitted once, ``pfn_core.copies``, not carried)
    y = np.full(1500, -1)
    y[anchors] = (truth[anchors] + 1) % 3  # labels the rows around them would not get
    est = PFNClusterer(calibrate=False, own_clustering=False, discover=False).fit(X, y)
    assert est.n_distinct_rows_ == 1500
    # A twin lies next to its anchor, so it takes the anchor's label outright.
    np.testing.assert_array_equal(est.labels_[twins], y[anchors])
    assert est.proba_[twins].max(1).min() > 0.999


@pytest.mark.parametrize("n_anchors", [600])
def test__many_anchors__cluster_as_well_as_the_nearest_anchor(n_anchors):
    X, truth = _blobs(3000, seed=1)
    rng = np.random.default_rng(0)
    y = np.full(3000, -1)
    rows = rng.choice(3000, n_anchors, replace=False)
    y[rows] = truth[rows]
    labels = PFNClusterer().fit_predict(X, y)
    assert (labels[y < 0] == truth[y < 0]).mean() > 0.99
    assert (labels[rows] == truth[rows]).all()


def test__new_rows__join_the_landmark_graph_as_the_fits_own_rows_did():
    """predict's carry links a row as the fit linked its own rows (the approximate search,
    ``ATTACH_TREE_EPS``): here 47 of the 808 rows outside the base landmarks have other
    nearest landmarks in an exact search, so scoring with one would differ."""
    from pfn_core.carry import _weighted_mean
    from pfn_core.estimator import PFNClusterer
    from pfn_core.prepared_inputs import prepare_inputs

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 1.0, (3000, 4)) for c in (0.0, 4.0, 8.0)])  # > 8,192
    y = np.full(len(X), -1)
    y[[0, 3000, 6000]] = [0, 1, 2]  # one anchor per class: the table's own metric
    est = PFNClusterer().fit(X, y)
    fitted = est.fitted_pass_
    paths = fitted.scoring.context.paths
    rows = np.setdiff1d(np.arange(len(X)), paths.base_rows)  # rows the fit attached
    links = prepare_inputs(X, y).attachment.select(rows)
    position = np.full(len(X), -1)
    position[paths.base_rows] = np.arange(len(paths.base_rows))
    expected = _weighted_mean(fitted.landmark_proba, position[links.rows],
                              links.hop.astype(np.float64))
    np.testing.assert_allclose(est.predict_proba(X[rows], method="carry"), expected,
                               rtol=0, atol=1e-12)
