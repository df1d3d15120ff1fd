import numpy as np
import pytest

from pfn_core import PFNClusterer
from pfn_core.explain import attention_view, metric_view, predictions_by_layer


def test__attention_view__gives_one_distribution_per_layer_and_head(two_blobs):
    X, y = two_blobs
    view = attention_view(X, y, query_row=7, context_size=32)
    layers, heads = view.sharpness.shape
    assert view.weights.shape == (layers, heads, len(view.context_rows))
    assert (view.weights >= 0).all()  # a distribution over the context, per layer and head
    np.testing.assert_allclose(view.weights.sum(-1), 1.0, atol=1e-5)
    assert list(view.context_rows[:2]) == [0, 50] and view.context_labels[0] == 0
    assert view.context_labels[-1] is None


def test__the_last_layer_read_out__is_the_estimators_prediction(two_blobs):
    X, y = two_blobs
    by_layer, classes = predictions_by_layer(X, y, context_size=32)
    final = PFNClusterer(context_size=32).fit(X, y)
    unlabelled = ~final.anchor_mask_
    np.testing.assert_array_equal(by_layer[-1][unlabelled], final.labels_[unlabelled])
    assert by_layer.shape[1] == len(X)


def test__explaining_without_anchors__says_what_to_do(two_blobs):
    X, _ = two_blobs
    with pytest.raises(ValueError, match="label at least one point"):
        attention_view(X, np.full(len(X), -1), 0)
    with pytest.raises(ValueError, match="outside"):
        attention_view(X, two_blobs[1], 1000)


def test__metric_view__only_with_enough_anchors_and_then_rounder_clusters():
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1], 150)
    X = np.column_stack([rng.normal(0, 6, 300), rng.normal(0, 0.5, 300) + 3 * truth])
    y = np.full(300, -1)
    for label in (0, 1):
        y[np.flatnonzero(truth == label)[:3]] = label
    assert metric_view(X, y) is None
    for label in (0, 1):
        y[np.flatnonzero(truth == label)[:10]] = label
    seen = metric_view(X, y)
    assert seen.shape == (300, 2)
    spread = np.stack([seen[truth == c] - seen[truth == c].mean(0) for c in (0, 1)]).std((0, 1))
    # 12:1 as drawn; 2.2:1 with the anchors' scatter given half the weight
    # (anchor_metric.ONE_PIECE_MIN_SHRINKAGE)
    assert spread.max() / spread.min() < 3
