import numpy as np
from sklearn.metrics import adjusted_rand_score

from pfn_core import PFNClusterer
from pfn_core.anchor_metric import (
    MIN_MEAN_ANCHORS,
    uses_anchor_metric,
    views_in_metric,
    within_class_whitening,
)
from pfn_core.preprocessing import model_views


def _thin_split_in_wide_noise(seed: int = 3, per_class: int = 15):
    """Two classes split along a thin column, hidden among three wide noise columns.
    -> X (300, 4), truth (300,), y (300,) with `per_class` anchors per class, -1 elsewhere."""
    rng = np.random.default_rng(seed)
    truth = np.repeat([0, 1], 150)
    X = np.column_stack([rng.normal(0, 0.5, 300) + 3.0 * truth]
                        + [rng.normal(0, 3, 300) for _ in range(3)])
    y = np.full(300, -1)
    for label in (0, 1):
        y[np.flatnonzero(truth == label)[:per_class]] = label
    return X, truth, y


def test__uses_anchor_metric__needs_five_anchors_per_class_on_average():
    assert uses_anchor_metric(10, 2)
    assert uses_anchor_metric(12, 2)  # uneven classes count by their mean
    assert not uses_anchor_metric(9, 2)
    assert not uses_anchor_metric(0, 0)
    assert MIN_MEAN_ANCHORS == 5


def test__within_class_whitening__makes_the_within_class_spread_round():
    rng = np.random.default_rng(0)
    geometry = np.concatenate([rng.normal(0, [5.0, 0.5], (400, 2)),
                               rng.normal([0, 4], [5.0, 0.5], (400, 2))])
    anchors = np.arange(800)
    anchor_class = np.repeat([0, 1], 400)
    whitening = within_class_whitening(geometry, anchors, anchor_class, np.arange(800))
    assert whitening.shape == (2, 2)
    assert np.allclose(whitening, whitening.T)
    centred = geometry - np.repeat([geometry[:400].mean(0), geometry[400:].mean(0)], 400, 0)
    spread = (centred @ whitening).std(axis=0)
    assert spread.max() / spread.min() < 1.2  # was 10:1 before


def test__within_class_whitening__ignores_anchor_order_and_class_numbering():
    rng = np.random.default_rng(1)
    geometry = rng.normal(size=(60, 5))
    anchors = np.arange(0, 60, 2)
    anchor_class = np.arange(30) % 3
    rank = rng.permutation(60)[anchors]
    first = within_class_whitening(geometry, anchors, anchor_class, rank)
    shuffle = rng.permutation(30)
    renamed = (2 - anchor_class)[shuffle]
    second = within_class_whitening(geometry, anchors[shuffle], renamed, rank[shuffle])
    assert np.array_equal(first, second)


def test__within_class_whitening__shrinks_when_anchors_are_few_for_the_columns():
    rng = np.random.default_rng(2)
    geometry = rng.normal(size=(200, 40))
    anchors = np.arange(12)
    whitening = within_class_whitening(geometry, anchors, np.arange(12) % 2, anchors)
    assert np.all(np.isfinite(whitening))
    eigenvalues = np.linalg.eigvalsh(whitening)
    assert eigenvalues.max() / eigenvalues.min() < 10  # 10 dof in 40 columns: mostly shrunk


def test__views_in_metric__with_the_identity_gives_the_plain_views():
    X = np.random.default_rng(3).normal(size=(120, 6)) * [5, 4, 3, 2, 1, 0.5]
    features, geometry = model_views(X, input_dim=16)
    again_features, again_geometry = views_in_metric(geometry, np.eye(geometry.shape[1]), 16)
    assert again_features.shape == features.shape and again_geometry.shape == geometry.shape
    assert np.allclose(again_features, features, atol=1e-5)
    assert np.allclose(again_geometry, geometry, atol=1e-4)


def test__estimator__uses_the_metric_only_with_enough_anchors():
    X, _, y = _thin_split_in_wide_noise(per_class=15)
    assert PFNClusterer().fit(X, y).in_anchor_metric_
    assert not PFNClusterer(anchor_metric=False).fit(X, y).in_anchor_metric_
    _, _, few = _thin_split_in_wide_noise(per_class=3)
    assert not PFNClusterer().fit(X, few).in_anchor_metric_


def test__estimator__finds_a_thin_split_among_wide_noise_columns_in_the_anchors_metric():
    X, truth, y = _thin_split_in_wide_noise()
    with_metric = PFNClusterer(scale_columns=False).fit_predict(X, y)
    without = PFNClusterer(scale_columns=False, anchor_metric=False).fit_predict(X, y)
    # 0.86 with the anchors' scatter given half the weight (ONE_PIECE_MIN_SHRINKAGE), 0.48
    # without the metric
    assert adjusted_rand_score(truth, with_metric) > 0.8
    assert adjusted_rand_score(truth, with_metric) > adjusted_rand_score(truth, without) + 0.2


def test__estimator__in_the_metric_keeps_row_order_invariance():
    X, _, y = _thin_split_in_wide_noise(per_class=8)
    reference = PFNClusterer().fit(X, y)
    order = np.random.default_rng(4).permutation(len(X))
    shuffled = PFNClusterer().fit(X[order], y[order])
    assert reference.in_anchor_metric_ and shuffled.in_anchor_metric_
    assert np.allclose(shuffled.proba_, reference.proba_[order], atol=1e-6)


def test__estimator__in_the_metric_renaming_labels_only_renames_the_output():
    X, _, y = _thin_split_in_wide_noise(per_class=8)
    first = PFNClusterer().fit(X, np.where(y == -1, None, np.where(y == 0, "a", "b")))
    second = PFNClusterer().fit(X, np.where(y == -1, None, np.where(y == 0, "z", "y")))
    assert first.in_anchor_metric_ and second.in_anchor_metric_
    assert np.allclose(first.proba_, second.proba_[:, ::-1], atol=1e-6)
    renamed = {"a": "z", "b": "y"}
    assert [renamed[v] for v in first.labels_] == list(second.labels_)


def test__classes_span_pieces__only_where_a_class_is_several_islands():
    from pfn_core.prepared_inputs import classes_span_pieces, prepare_inputs

    rng = np.random.default_rng(6)
    X = np.concatenate([rng.normal(c, 0.5, (60, 2)) for c in ((0, 0), (20, 0), (0, 20))])
    y = np.full(180, -1)
    y[:10], y[60:70], y[120:130] = 0, 1, 2  # one class per island
    assert not classes_span_pieces(prepare_inputs(X, y, anchor_metric=False))
    y[120:130] = 0  # class 0 now spans two islands
    assert classes_span_pieces(prepare_inputs(X, y, anchor_metric=False))


def test__the_anchors_scatter_gets_half_the_weight_unless_a_class_is_several_islands():
    from pfn_core.anchor_metric import ONE_PIECE_MIN_SHRINKAGE

    rng = np.random.default_rng(0)
    geometry = rng.normal(0, [5.0, 0.5], (400, 2))
    anchors, classes = np.arange(400), np.zeros(400, dtype=int)
    full = within_class_whitening(geometry, anchors, classes, anchors)
    half = within_class_whitening(geometry, anchors, classes, anchors, ONE_PIECE_MIN_SHRINKAGE)
    ratio = [np.ptp(np.linalg.eigvalsh(w)) / np.linalg.eigvalsh(w).min() for w in (full, half)]
    assert ONE_PIECE_MIN_SHRINKAGE == 0.5 and ratio[1] < ratio[0]
