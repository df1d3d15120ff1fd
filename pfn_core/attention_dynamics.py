"""Attention that clusters with no trained parameter, and two heads that learn the means
without labels: the companion theory of the teaching page, after Maulen-Soto, Marion and
Boyer, "Attention-based clustering" (NeurIPS 2025).

- ``identity_attention_step``: one softmax attention layer whose query, key and value maps
  are the identity, ``x_i <- sum_j softmax_j(beta <x_i, c_j>) c_j`` over context points c.
  Applied again and again (``iterate_identity_attention``), it pulls every point towards
  the points it resembles: the points collapse into a few groups (in-context quantisation).
  ``collapsed_groups`` reads those groups off as a clustering.
- ``train_two_heads``: a two-head attention layer whose heads are learned vectors, trained
  without labels to reconstruct points of a two-component Gaussian mixture
  (``two_gaussians``); its heads end up along the two component means. This is our minimal
  version of the paper's simplified two-head layer (heads = learned key/value vectors,
  reconstruction loss), not its exact parametrisation.

Legend: N=points, M=context points, D=columns, T=steps, H=heads, S=training steps.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([rng.normal(-3, 0.3, (20, 2)), rng.normal(3, 0.3, (20, 2))])
>>> path = iterate_identity_attention(unit_scale(X), beta=10.0, steps=20,
...                                   kernel="distance")
>>> np.bincount(collapsed_groups(path[-1])).tolist()
[20, 20]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import radius_neighbors_graph

KERNELS = ("dot", "distance")


def unit_scale(X) -> np.ndarray:
    """X (N, D) centred, then divided by its root mean square distance to the centre, so
    that beta means the same on any table.  -> (N, D) float64"""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite 2-D array with at least two rows, got shape "
                         f"{X.shape}.")
    centred = X - X.mean(0)
    radius = np.sqrt((centred**2).sum(1).mean())
    if radius == 0:
        raise ValueError("every row of X is the same point: nothing to cluster.")
    return centred / radius


def identity_attention_weights(X, beta: float, context=None, kernel: str = "dot"):
    """Attention of every point to the context, (N, M); each row is >= 0 and sums to 1.

    X (N, D) queries; context (M, D) keys, default X itself. kernel "dot": logits
    beta <x_i, c_j> (the paper's layer); "distance": beta (<x_i, c_j> - |c_j|^2 / 2), which
    is -beta |x_i - c_j|^2 / 2 up to a term the softmax cancels, i.e. the same layer once
    every key has the same norm (as after a normalisation)."""
    X = np.asarray(X, dtype=np.float64)
    C = X if context is None else np.asarray(context, dtype=np.float64)
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
    if not beta >= 0:
        raise ValueError(f"beta (the inverse temperature) must be >= 0, got {beta}.")
    if X.ndim != 2 or C.ndim != 2 or X.shape[1] != C.shape[1] or len(C) == 0:
        raise ValueError(f"X (N, D) and context (M, D) must share D, got {X.shape} and "
                         f"{C.shape}.")
    logits = beta * (X @ C.T)  # (N, M)
    if kernel == "distance":
        logits -= beta * 0.5 * (C**2).sum(1)[None, :]
    logits -= logits.max(1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(1, keepdims=True)


def identity_attention_step(X, beta: float, context=None, kernel: str = "dot") -> np.ndarray:
    """One step x_i <- sum_j softmax_j(beta <x_i, c_j>) c_j: every point moves to the
    attention-weighted mean of the context (values = keys = context, no parameter).
    X (N, D), context (M, D) (default X) -> (N, D); cost O(N M D)."""
    C = np.asarray(X if context is None else context, dtype=np.float64)
    return identity_attention_weights(X, beta, C, kernel) @ C


def iterate_identity_attention(X, beta: float, steps: int, kernel: str = "dot",
                               context_size: int | None = None,
                               rng: np.random.Generator | None = None) -> np.ndarray:
    """The points after 0, 1, ..., `steps` steps, (T+1, N, D).

    With `context_size` M < N, M rows drawn once by `rng` are the context (they move too,
    like every row): each step costs O(N M D), linear in N. Without it, every point
    attends to every point, O(N^2 D) per step."""
    X = np.asarray(X, dtype=np.float64)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}.")
    rows = None
    if context_size is not None and context_size < len(X):
        if context_size < 1:
            raise ValueError(f"context_size must be >= 1, got {context_size}.")
        rng = rng if rng is not None else np.random.default_rng(0)
        rows = np.sort(rng.choice(len(X), context_size, replace=False))
    path = [X]
    for _ in range(steps):
        current = path[-1]
        path.append(identity_attention_step(
            current, beta, None if rows is None else current[rows], kernel))
    return np.stack(path)


def collapsed_groups(points, tolerance: float = 1e-2) -> np.ndarray:
    """Points that ended within `tolerance` of each other (through chains of such points)
    form one cluster: (N, D) -> (N,) labels 0..G-1, largest group first."""
    points = np.asarray(points, dtype=np.float64)
    if tolerance <= 0:
        raise ValueError(f"tolerance must be > 0, got {tolerance}.")
    graph = radius_neighbors_graph(points, tolerance, mode="connectivity")
    _, groups = connected_components(graph, directed=False)
    by_size = np.argsort(-np.bincount(groups), kind="stable")
    return np.argsort(by_size)[groups]


def two_gaussians(n_points: int, mean, spread: float, rng: np.random.Generator):
    """A two-component Gaussian mixture with means +mean and -mean, equal weights.
    mean (D,) -> X (N, D), component (N,) in {0, 1} (component 0 around +mean)."""
    mean = np.asarray(mean, dtype=np.float64)
    component = rng.integers(0, 2, n_points)
    X = np.where(component[:, None] == 0, mean, -mean) + rng.normal(
        0, spread, (n_points, len(mean)))
    return X, component


@dataclass
class TwoHeadRun:
    """A two-head layer trained without labels: heads (H, D) at the end, path (S+1, H, D)
    of the heads during training, loss (S+1,) the reconstruction error."""

    heads: np.ndarray
    path: np.ndarray
    loss: np.ndarray


def two_head_layer(X, heads, temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Each point attends to the heads: sum_h softmax_h(temperature <x, w_h>) w_h.
    X (N, D), heads (H, D) -> (output (N, D), attention (N, H))."""
    attention = identity_attention_weights(X, temperature, heads)
    return attention @ heads, attention


def reconstruction_loss(X, heads, temperature: float) -> tuple[float, np.ndarray]:
    """The mean of |x - layer(x)|^2 over X (N, D) and its gradient in the heads (H, D),
    by the chain rule through the values and through the softmax."""
    out, attention = two_head_layer(X, heads, temperature)
    residual = X - out  # (N, D)
    loss = float((residual**2).sum(1).mean())
    d_out = -2.0 * residual / len(X)  # (N, D)
    d_attention = d_out @ heads.T  # (N, H)
    d_logits = attention * (d_attention - (d_attention * attention).sum(1, keepdims=True))
    return loss, attention.T @ d_out + temperature * d_logits.T @ X


def train_two_heads(X, temperature: float = 2.0, steps: int = 300, learning_rate: float = 0.1,
                    rng: np.random.Generator | None = None) -> TwoHeadRun:
    """Fit two heads w_1, w_2 (D,) by full-batch gradient descent on
    ``reconstruction_loss`` over X (N, D): no label is used. Heads start small and random
    (drawn by `rng`). Cost O(S N D)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2:
        raise ValueError(f"X must be 2-D with at least two rows, got shape {X.shape}.")
    if steps < 0 or not learning_rate > 0:
        raise ValueError(f"need steps >= 0 and learning_rate > 0, got {steps} and "
                         f"{learning_rate}.")
    rng = rng if rng is not None else np.random.default_rng(0)
    heads = 0.1 * rng.normal(size=(2, X.shape[1]))
    path, losses = [heads], []
    for _ in range(steps):
        loss, gradient = reconstruction_loss(X, heads, temperature)
        heads = heads - learning_rate * gradient
        losses.append(loss)
        path.append(heads)
    losses.append(reconstruction_loss(X, heads, temperature)[0])
    return TwoHeadRun(heads, np.stack(path), np.array(losses))


def head_alignment(heads, means) -> np.ndarray:
    """Cosine between each mean and the head best matched to it (one head per mean).
    heads (H, D), means (H, D) -> (H,) in [-1, 1], in the order of means."""
    heads, means = np.asarray(heads, dtype=np.float64), np.asarray(means, dtype=np.float64)
    cosine = (means / np.linalg.norm(means, axis=1, keepdims=True)) @ (
        heads / np.maximum(np.linalg.norm(heads, axis=1, keepdims=True), 1e-12)).T
    straight, crossed = np.diag(cosine), np.diag(cosine[:, ::-1])
    return straight if straight.sum() >= crossed.sum() else crossed
