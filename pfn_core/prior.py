"""The prior: named, seedable families of synthetic clustering tasks.

Every family has one signature::

    family(rng: numpy.random.Generator, n_points: int, n_clusters: int, n_dims: int)
        -> (X, y)   # X: (N, D) float64, y: (N,) int64 in 0..K-1, -1 marks noise points

Families are plain NumPy so that the teaching page draws exactly what training sees.
``sample_task`` picks a family and its sizes at random and adds optional noise points.

Legend used across the package: N=points, D=columns, K=clusters, B=tasks in a batch,
M=context tokens, Q=query tokens, E=embedding width, H=attention heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _split_sizes(rng: np.random.Generator, n_points: int, n_clusters: int) -> np.ndarray:
    """Imbalanced cluster sizes summing to n_points, each at least 2.  Shape (K,)."""
    concentration = rng.choice([0.7, 2.0, 8.0, 50.0])
    weights = rng.dirichlet(np.full(n_clusters, concentration))
    sizes = np.maximum(2, np.floor(weights * n_points).astype(int))
    while sizes.sum() > n_points and sizes.max() > 2:
        sizes[np.argmax(sizes)] -= 1
    sizes[np.argmax(sizes)] += max(0, n_points - sizes.sum())
    return sizes


def _random_rotation(rng: np.random.Generator, n_dims: int) -> np.ndarray:
    """A uniformly random orthogonal matrix.  Shape (D, D)."""
    q, r = np.linalg.qr(rng.normal(size=(n_dims, n_dims)))
    return q * np.sign(np.diag(r))


def _embed(rng: np.random.Generator, low_dim_points: np.ndarray, n_dims: int) -> np.ndarray:
    """Place (N, d) points into (N, D) by a random rotation, adding thin noise in the extra
    directions.  When D < d the extra coordinates are dropped."""
    n, d = low_dim_points.shape
    if n_dims <= d:
        return low_dim_points[:, :n_dims]
    padded = np.zeros((n, n_dims))
    padded[:, :d] = low_dim_points
    padded[:, d:] = rng.normal(scale=rng.uniform(0.0, 0.05), size=(n, n_dims - d))
    return padded @ _random_rotation(rng, n_dims).T


def _labels_from_sizes(sizes: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)


def _separated_centers(rng: np.random.Generator, n_clusters: int, n_dims: int, separation: float):
    """Cluster centres drawn uniformly in a box whose side grows with K, so that the
    typical gap between centres is about `separation` standard deviations.  Shape (K, D)."""
    side = separation * max(1.0, n_clusters ** (1.0 / max(n_dims, 1))) * 1.5
    return rng.uniform(-side, side, size=(n_clusters, n_dims))


def gaussian_mixture(rng, n_points, n_clusters, n_dims):
    """Gaussian clusters with random full covariances, imbalance and some overlap."""
    sizes = _split_sizes(rng, n_points, n_clusters)
    separation = rng.uniform(1.5, 6.0)
    centers = _separated_centers(rng, n_clusters, n_dims, separation)
    blocks = []
    for center, size in zip(centers, sizes, strict=True):
        scales = np.exp(rng.uniform(-1.0, 0.3, size=n_dims)) * rng.uniform(0.5, 1.5)
        cov_root = _random_rotation(rng, n_dims) * scales
        blocks.append(center + rng.normal(size=(size, n_dims)) @ cov_root.T)
    return np.concatenate(blocks), _labels_from_sizes(sizes)


def uniform_shapes(rng, n_points, n_clusters, n_dims):
    """Uniformly filled boxes and balls of random aspect, touching or apart (e.g. diamonds)."""
    sizes = _split_sizes(rng, n_points, n_clusters)
    centers = _separated_centers(rng, n_clusters, n_dims, rng.uniform(1.5, 4.0))
    blocks = []
    for center, size in zip(centers, sizes, strict=True):
        widths = np.exp(rng.uniform(-1.0, 0.5, size=n_dims))
        if rng.random() < 0.5:
            unit = rng.uniform(-1, 1, size=(size, n_dims))
        else:
            direction = rng.normal(size=(size, n_dims))
            direction /= np.linalg.norm(direction, axis=1, keepdims=True)
            unit = direction * rng.random((size, 1)) ** (1.0 / n_dims)
        rotation = _random_rotation(rng, n_dims)
        blocks.append(center + (unit * widths) @ rotation.T)
    return np.concatenate(blocks), _labels_from_sizes(sizes)


def rings(rng, n_points, n_clusters, n_dims):
    """Concentric rings (2-D) or shells, optionally with a blob at the centre (like 'target')."""
    sizes = _split_sizes(rng, n_points, n_clusters)
    dim = 2 if n_dims < 3 or rng.random() < 0.7 else 3
    has_core = rng.random() < 0.5
    thickness = rng.uniform(0.03, 0.15)
    blocks = []
    for k, size in enumerate(sizes):
        radius = (k + (0.0 if has_core else 1.0)) * rng.uniform(0.9, 1.1)
        direction = rng.normal(size=(size, dim))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        if radius == 0.0:
            points = rng.normal(scale=0.25, size=(size, dim))
        else:
            jitter = rng.normal(scale=thickness * max(radius, 1), size=(size, 1))
            points = direction * (radius + jitter)
        blocks.append(points)
    return _embed(rng, np.concatenate(blocks), n_dims), _labels_from_sizes(sizes)


def _smooth_curve(rng, size: int, dim: int, offset: np.ndarray, thickness: float):
    """Points along a random smooth curve (arc, wave or spiral arm) in `dim` dims.  (size, dim)"""
    t = rng.uniform(0.0, 1.0, size)
    kind = rng.integers(3)
    if kind == 0:  # arc of a circle (moons)
        start, span = rng.uniform(0, 2 * np.pi), rng.uniform(np.pi / 2, 1.6 * np.pi)
        base = np.stack([np.cos(start + span * t), np.sin(start + span * t)], 1)
    elif kind == 1:  # sine wave / zigzag
        freq = rng.uniform(0.5, 3.0)
        base = np.stack([4 * t - 2, 0.6 * np.sin(2 * np.pi * freq * t)], 1)
    else:  # spiral arm
        turns = rng.uniform(0.5, 1.5)
        angle = 2 * np.pi * turns * t + rng.uniform(0, 2 * np.pi)
        base = np.stack([np.cos(angle), np.sin(angle)], 1) * (0.3 + 2 * t)[:, None]
    if dim > 2:
        lift = rng.normal(scale=0.3, size=(1, dim - 2)) * (t[:, None] - 0.5)
        base = np.concatenate([base, lift], 1)
    points = base[:, :dim] + offset[:dim]
    return points + rng.normal(scale=thickness, size=points.shape)


def curves(rng, n_points, n_clusters, n_dims):
    """Non-convex thin clusters: arcs (moons), waves (zigzag) and interleaved spiral arms."""
    sizes = _split_sizes(rng, n_points, n_clusters)
    dim = min(n_dims, 2 if rng.random() < 0.7 else 3)
    dim = max(dim, 2)
    thickness = rng.uniform(0.02, 0.2)
    spread = rng.uniform(0.8, 3.0) * np.sqrt(n_clusters)
    if rng.random() < 0.3:  # interleaved spiral arms around one centre
        blocks = []
        for k, size in enumerate(sizes):
            t = rng.uniform(0.05, 1.0, size)
            angle = 2 * np.pi * (1.5 * t + k / n_clusters)
            arm = np.stack([np.cos(angle), np.sin(angle)], 1) * (3 * t)[:, None]
            blocks.append(arm + rng.normal(scale=thickness, size=arm.shape))
        low = np.concatenate(blocks)
        low = np.concatenate([low, np.zeros((len(low), dim - 2))], 1)
    else:
        low = np.concatenate(
            [
                _smooth_curve(rng, size, dim, rng.uniform(-spread, spread, dim), thickness)
                for size in sizes
            ]
        )
    return _embed(rng, low, n_dims), _labels_from_sizes(sizes)


def chains(rng, n_points, n_clusters, n_dims):
    """Interlocked rings in 3-D (like 'chainlink') or elongated chains of small blobs."""
    sizes = _split_sizes(rng, n_points, n_clusters)
    blocks = []
    if n_dims >= 3 and rng.random() < 0.5:
        for k, size in enumerate(sizes):
            angle = rng.uniform(0, 2 * np.pi, size)
            ring = np.stack([np.cos(angle), np.sin(angle), np.zeros(size)], 1)
            if k % 2:
                ring = ring[:, [0, 2, 1]] + np.array([1.0, 0.0, 0.0])
            ring = ring + np.array([2.0 * (k // 2), 0.0, 0.0])
            blocks.append(ring + rng.normal(scale=rng.uniform(0.03, 0.12), size=ring.shape))
        low = np.concatenate(blocks)
    else:
        dim = min(n_dims, 3)
        for size in sizes:
            steps = rng.integers(3, 9)
            knots = np.cumsum(rng.normal(scale=1.0, size=(steps, dim)), 0)
            knots += rng.uniform(-3, 3, dim) * np.sqrt(n_clusters)
            which = rng.integers(0, steps, size)
            frac = rng.random((size, 1))
            nxt = np.minimum(which + 1, steps - 1)
            points = knots[which] * (1 - frac) + knots[nxt] * frac
            blocks.append(points + rng.normal(scale=rng.uniform(0.05, 0.3), size=points.shape))
        low = np.concatenate(blocks)
    return _embed(rng, low, n_dims), _labels_from_sizes(sizes)


def warped(rng, n_points, n_clusters, n_dims):
    """Gaussian clusters bent by a random smooth nonlinear map (banana-like, uneven density)."""
    X, y = gaussian_mixture(rng, n_points, n_clusters, n_dims)
    X = X / (X.std(0, keepdims=True) + 1e-9)
    for _ in range(rng.integers(1, 3)):
        W = rng.normal(size=(n_dims, n_dims)) * rng.uniform(0.3, 1.0)
        X = X + rng.uniform(0.3, 1.2) * np.sin(X @ W.T + rng.uniform(0, 2 * np.pi, n_dims))
    return X, y


def low_rank(rng, n_points, n_clusters, n_dims):
    """Clusters living in a few directions of many columns, the rest pure noise."""
    intrinsic = int(rng.integers(2, min(6, max(n_dims, 3)) + 1))
    family = [gaussian_mixture, uniform_shapes, warped][rng.integers(3)]
    low, y = family(rng, n_points, n_clusters, intrinsic)
    low = (low - low.mean(0)) / (low.std(0) + 1e-9)
    n_noise_dims = max(n_dims - intrinsic, 0)
    if n_noise_dims == 0:
        return low[:, :n_dims], y
    noise = rng.normal(scale=rng.uniform(0.2, 1.0), size=(len(low), n_noise_dims))
    X = np.concatenate([low, noise], 1) @ _random_rotation(rng, n_dims)
    return X, y


def mixed_shapes(rng, n_points, n_clusters, n_dims):
    """Blobs and curves side by side in one dataset (like 'compound' or 'aggregation')."""
    n_curvy = int(rng.integers(1, n_clusters)) if n_clusters > 1 else 0
    n_blobs = n_clusters - n_curvy
    first = int(n_points * n_blobs / n_clusters)
    parts, labels = [], []
    if n_blobs:
        Xb, yb = gaussian_mixture(rng, max(first, 2 * n_blobs), n_blobs, n_dims)
        parts.append(Xb / (Xb.std() + 1e-9) * 2)
        labels.append(yb)
    if n_curvy:
        Xc, yc = curves(rng, max(n_points - first, 2 * n_curvy), n_curvy, n_dims)
        parts.append(Xc / (Xc.std() + 1e-9) * 2 + rng.normal(scale=1.5, size=n_dims))
        labels.append(yc + n_blobs)
    return np.concatenate(parts), np.concatenate(labels)


FAMILIES = {
    "gaussian_mixture": gaussian_mixture,
    "uniform_shapes": uniform_shapes,
    "rings": rings,
    "curves": curves,
    "chains": chains,
    "warped": warped,
    "low_rank": low_rank,
    "mixed_shapes": mixed_shapes,
}

FAMILY_WEIGHTS = {
    "gaussian_mixture": 0.24,
    "uniform_shapes": 0.1,
    "rings": 0.1,
    "curves": 0.14,
    "chains": 0.1,
    "warped": 0.12,
    "low_rank": 0.1,
    "mixed_shapes": 0.1,
}


def add_noise_points(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, fraction: float):
    """Append uniform background points over the data's bounding box, labelled -1.

    X: (N, D), y: (N,) -> X: (N + N_noise, D), y: (N + N_noise,)"""
    n_noise = int(round(fraction * len(X)))
    if n_noise == 0:
        return X, y
    low, high = X.min(0), X.max(0)
    pad = 0.1 * (high - low)
    noise = rng.uniform(low - pad, high + pad, size=(n_noise, X.shape[1]))
    return np.concatenate([X, noise]), np.concatenate([y, np.full(n_noise, -1)])


@dataclass(frozen=True)
class PriorConfig:
    """Ranges the training prior draws task sizes from."""

    min_points: int = 120
    max_points: int = 1000
    min_clusters: int = 2
    max_clusters: int = 32
    max_dims: int = 24
    noise_probability: float = 0.25
    max_noise_fraction: float = 0.1


@dataclass
class Task:
    """One synthetic dataset: X (N, D), y (N,) with -1 for noise, and its family's name."""

    X: np.ndarray
    y: np.ndarray
    family: str


def sample_task(rng: np.random.Generator, config: PriorConfig = PriorConfig(), family=None) -> Task:
    """Draw one task: a family (by FAMILY_WEIGHTS unless named), K, N, D, and optional noise."""
    if family is None:
        names = list(FAMILY_WEIGHTS)
        probs = np.array([FAMILY_WEIGHTS[n] for n in names])
        family = names[rng.choice(len(names), p=probs / probs.sum())]
    log_k = rng.uniform(np.log(config.min_clusters), np.log(config.max_clusters + 1))
    n_clusters = int(np.exp(log_k))
    n_clusters = min(max(n_clusters, config.min_clusters), config.max_clusters)
    n_points = int(np.exp(rng.uniform(np.log(config.min_points), np.log(config.max_points))))
    n_points = max(n_points, 4 * n_clusters)
    n_dims = int(np.exp(rng.uniform(np.log(2), np.log(config.max_dims + 1))))
    if family == "low_rank":
        n_dims = max(n_dims, int(rng.integers(min(8, config.max_dims), config.max_dims + 1)))
    X, y = FAMILIES[family](rng, n_points, n_clusters, n_dims)
    if rng.random() < config.noise_probability:
        X, y = add_noise_points(rng, X, y, rng.uniform(0.0, config.max_noise_fraction))
    return Task(X=np.asarray(X, dtype=np.float64), y=np.asarray(y, dtype=np.int64), family=family)
