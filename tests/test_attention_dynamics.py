"""Identity attention and the two-head layer, against direct numpy and torch computations."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from pfn_core.attention_dynamics import (
    collapsed_groups,
    head_alignment,
    identity_attention_step,
    identity_attention_weights,
    iterate_identity_attention,
    reconstruction_loss,
    train_two_heads,
    two_gaussians,
    unit_scale,
)


def direct_softmax_attention(X, C, logits):
    """softmax over each row of logits (N, M), written out, times C (M, D)."""
    weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return weights @ C


def test__identity_attention_step__matches_softmax_beta_x_xt_times_x_in_numpy():
    X = np.random.default_rng(1).normal(size=(30, 3))
    beta = 1.7
    expected = direct_softmax_attention(X, X, beta * X @ X.T)
    np.testing.assert_allclose(identity_attention_step(X, beta), expected, rtol=1e-12)


def test__distance_kernel__is_softmax_of_minus_half_squared_distances():
    rng = np.random.default_rng(2)
    X, C = rng.normal(size=(12, 4)), rng.normal(size=(7, 4))
    squared = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    expected = direct_softmax_attention(X, C, -0.5 * 3.0 * squared)
    got = identity_attention_step(X, 3.0, context=C, kernel="distance")
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test__attention_weights__are_non_negative_and_sum_to_one_even_for_huge_beta():
    X = np.random.default_rng(3).normal(size=(20, 2)) * 50
    weights = identity_attention_weights(X, 1e4, X[:5])
    assert weights.shape == (20, 5) and np.isfinite(weights).all()
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(1), 1.0)


def test__a_bounded_context__costs_m_keys_per_point_and_moves_the_context_too():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    path = iterate_identity_attention(X, 2.0, steps=2, context_size=16,
                                      rng=np.random.default_rng(0))
    rows = np.sort(np.random.default_rng(0).choice(200, 16, replace=False))
    first = identity_attention_step(X, 2.0, context=X[rows])
    np.testing.assert_allclose(path[1], first)
    np.testing.assert_allclose(path[2], identity_attention_step(first, 2.0, first[rows]))
    assert path.shape == (3, 200, 2) and np.array_equal(path[0], X)


def test__repeated_distance_attention__collapses_two_blobs_into_their_two_clusters():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(-2, 0.4, (60, 2)), rng.normal(2, 0.4, (40, 2))])
    truth = np.repeat([0, 1], [60, 40])
    path = iterate_identity_attention(unit_scale(X), beta=8.0, steps=40, kernel="distance")
    groups = collapsed_groups(path[-1])
    assert adjusted_rand_score(truth, groups) == 1.0
    assert np.bincount(groups).tolist() == [60, 40]  # largest group first


def test__no_steps__leaves_every_point_alone_and_each_is_its_own_group():
    X = np.random.default_rng(6).normal(size=(10, 2))
    path = iterate_identity_attention(X, 5.0, steps=0)
    assert np.array_equal(path[0], X) and len(path) == 1
    assert len(np.unique(collapsed_groups(X, tolerance=1e-9))) == 10


@pytest.mark.parametrize("bad", [
    lambda X: identity_attention_step(X, -1.0),
    lambda X: identity_attention_step(X, 1.0, kernel="cosine"),
    lambda X: identity_attention_step(X, 1.0, context=np.ones((3, 5))),
    lambda X: iterate_identity_attention(X, 1.0, steps=-1),
    lambda X: unit_scale(np.ones((4, 2))),
    lambda X: collapsed_groups(X, tolerance=0),
])
def test__bad_input__raises_value_error(bad):
    with pytest.raises(ValueError):
        bad(np.random.default_rng(0).normal(size=(8, 2)))


def test__reconstruction_gradient__matches_torch_autograd():
    rng = np.random.default_rng(7)
    X, heads = rng.normal(size=(50, 3)), rng.normal(size=(2, 3))
    loss, gradient = reconstruction_loss(X, heads, temperature=1.5)
    X_t = torch.tensor(X)
    heads_t = torch.tensor(heads, requires_grad=True)
    out = torch.softmax(1.5 * X_t @ heads_t.T, dim=1) @ heads_t
    expected = ((X_t - out) ** 2).sum(1).mean()
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(gradient, heads_t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dimension", [2, 10])
def test__two_heads_trained_without_labels__align_with_the_two_component_means(dimension):
    rng = np.random.default_rng(8)
    mean = np.zeros(dimension)
    mean[0] = 2.0
    X, _ = two_gaussians(1000, mean, 1.0, rng)
    run = train_two_heads(X, temperature=2.0, steps=300, rng=np.random.default_rng(0))
    assert run.path.shape == (301, 2, dimension) and run.loss[0] - run.loss[-1] > 2.0
    assert (head_alignment(run.heads, np.stack([mean, -mean])) > 0.97).all()
    np.testing.assert_allclose(np.sort(run.heads[:, 0]), [-2.0, 2.0], atol=0.3)
