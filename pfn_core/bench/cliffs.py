"""Held-out families that probe known cliffs, and K estimation on fresh prior draws.

Run through ``python -m pfn_core.bench.heldout --cliffs`` and ``--estimate-k``.

Families (tables handed to every method as they are: no protocol z-scoring, since the
point of the first family is the choice of scaling):

- ``principal components``: a two-cluster Gaussian mixture in 128 dimensions (unit
  covariance, means 4.4 apart along a random direction, 800 rows) handed over as its first
  50 principal components. Z-scoring every column whitens them, so the 49 noise components
  weigh as much as the one that separates the clusters.
- ``overlapping Gaussians``: 2 to 4 (in 2-d: 2 or 3) unit-covariance clusters in 2, 8 or 32
  dimensions, every pair of means 1.6 apart (a regular simplex), so that the two-sigma
  balls of any two clusters overlap by 60% of their diameter ((4 - 1.6) / 4); 600 rows.

Draws use ``numpy.random.default_rng(6000 + index)`` (principal components) and
``default_rng(6000 + 100 * D + index)`` (overlapping Gaussians); anchors are the protocol's draw
(``draw_anchors``) with seeds 0, 1, 2, at 1 and 3 per cluster. Methods: the model with its
defaults (``scale_columns="auto"``), the model forced to z-score, and the protocol's anchored
baselines (1-NN, label spreading, seeded K-means).

K estimation (``--estimate-k``) runs on fresh prior draws (``default_rng(8000 + index)``,
2 to 8 clusters) and on tables with more clusters than those draws have
(``many_blobs_task``, 10 to 30 clusters, ``default_rng(8100 + index)`` well apart and
``8200 + index`` touching, twice as many draws as per prior family), as the dev suite's
d31, a1 and s3 have. No setting was chosen on these seeds of the many-blob families (the
K rule's thresholds looked at seeds 100-111 of the same generator, ``pfn_core.discovery``).

Legend: N=rows, D=columns, K=clusters.
"""

from __future__ import annotations

import statistics

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from pfn_core.bench.baselines import ANCHORED, LABELS
from pfn_core.bench.protocol import draw_anchors, partial_labels, score_without_anchors
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import FAMILIES

FIRST_SEED = 6000
CLIFF_LEVELS = (1, 3)
ANCHOR_SEEDS = (0, 1, 2)
OVERLAP_DISTANCE = 1.6  # two-sigma balls of unit Gaussians this far apart overlap by 60%
K_FIRST_SEED = 8000
# Beyond the 2 to 8 clusters of ``prior_draw``: (row name, centre separation range, first
# seed).
MANY_BLOBS = (("many blobs, well apart (10-30 clusters)", (3.0, 6.0), 8100),
              ("many blobs, touching (10-30 clusters)", (1.5, 2.5), 8200))


def prior_draw(draw, seed: int, n_rows: int | None = None):
    """One fresh table from prior family `draw` (a ``prior.FAMILIES`` function), drawn from
    ``default_rng(seed)``: 2 to 8 clusters, 2 to 20 columns, 300 to 2,000 rows, as every
    held-out prior benchmark draws them (`n_rows`: that many instead; the rest of the draw
    is the same). -> X (N, D), y (N,)"""
    rng = np.random.default_rng(seed)
    n_clusters = int(rng.integers(2, 9))
    n_dims = int(rng.choice([2, 2, 3, 8, 20]))
    drawn_rows = int(rng.integers(300, 2000))
    return draw(rng, drawn_rows if n_rows is None else n_rows, n_clusters, n_dims)


def many_blobs_task(rng: np.random.Generator, separation: tuple[float, float]):
    """-> X (N, D), y (N,): 10 to 30 Gaussian clusters in 2 to 8 columns, 40 to 160 rows
    each, each cluster's spread 0.7 to 1.3, centres at least `separation` (a range, drawn
    per table) standard deviations apart: well apart at (3, 6), touching at (1.5, 2.5), as
    in the dev suite's d31 and a1."""
    n_clusters, n_dims = int(rng.integers(10, 31)), int(rng.integers(2, 9))
    apart = rng.uniform(*separation)
    box = apart * n_clusters ** (1.0 / n_dims) * 1.2  # room for every centre at that spacing
    centres = []
    while len(centres) < n_clusters:  # rejection: keep a centre far enough from the rest
        candidate = rng.uniform(-box, box, n_dims)
        if all(np.linalg.norm(candidate - c) >= apart for c in centres):
            centres.append(candidate)
    sizes = rng.integers(40, 161, n_clusters)
    spreads = rng.uniform(0.7, 1.3, n_clusters)
    X = np.concatenate([rng.normal(c, s, (n, n_dims))
                        for c, s, n in zip(centres, spreads, sizes, strict=True)])
    return X, np.repeat(np.arange(n_clusters), sizes)


def principal_components_task(rng: np.random.Generator, n_rows: int = 800):
    """-> X (N, 50) the first 50 principal components of a 128-d two-cluster mixture,
    y (N,)"""
    y = rng.integers(0, 2, n_rows)
    direction = rng.normal(size=128)
    direction *= 2.2 / np.linalg.norm(direction)
    X = rng.normal(size=(n_rows, 128)) + np.outer(2 * y - 1, direction)
    return PCA(50, random_state=0).fit_transform(X), y


def overlapping_gaussians_task(rng: np.random.Generator, n_clusters: int, n_dims: int,
                               n_rows: int = 600):
    """-> X (N, D), y (N,): unit Gaussians whose means are pairwise OVERLAP_DISTANCE apart
    (a regular simplex, randomly rotated; D >= K - 1 so that it fits)."""
    if n_dims < n_clusters - 1:
        raise ValueError(f"{n_clusters} equidistant means need at least {n_clusters - 1} "
                         f"dimensions, got {n_dims}.")
    simplex = np.eye(n_clusters) - 1.0 / n_clusters  # rows pairwise sqrt(2) apart
    basis, _ = np.linalg.qr(rng.normal(size=(n_dims, n_dims)))
    centred = simplex @ np.linalg.svd(simplex)[2][: min(n_clusters - 1, n_dims)].T
    means = np.zeros((n_clusters, n_dims))
    means[:, : centred.shape[1]] = centred * OVERLAP_DISTANCE / np.sqrt(2.0)
    means = means @ basis.T
    y = rng.integers(0, n_clusters, n_rows)
    return means[y] + rng.normal(size=(n_rows, n_dims)), y


def cliff_tasks(draws: int = 3):
    """-> list of (family, name, X, y): `draws` principal-component tasks and, for each of
    2/8/32 dimensions, `draws` overlapping-Gaussian tasks."""
    tasks = []
    for index in range(draws):
        X, y = principal_components_task(np.random.default_rng(FIRST_SEED + index))
        tasks.append(("principal components", f"pcs/{index}", X, y))
    for n_dims in (2, 8, 32):
        for index in range(draws):
            rng = np.random.default_rng(FIRST_SEED + 100 * n_dims + index)
            n_clusters = int(rng.integers(2, min(5, n_dims + 2)))  # K - 1 <= D
            X, y = overlapping_gaussians_task(rng, n_clusters, n_dims)
            tasks.append((f"overlapping Gaussians, {n_dims}-d", f"overlap{n_dims}/{index}",
                          X, y))
    return tasks


def cliff_methods():
    """name -> run(X, y_partial, n_clusters, seed) -> labels"""
    methods = {
        "model": lambda X, y, k, s: PFNClusterer().fit_predict(X, y),
        "model, z-scored": lambda X, y, k, s: PFNClusterer(scale_columns=True).fit_predict(X, y),
    }
    methods.update({LABELS[name]: run for name, run in ANCHORED.items()})
    return methods


def score_cliff_task(X, y, levels=CLIFF_LEVELS, seeds=ANCHOR_SEEDS) -> dict:
    """-> {(level, method): mean ARI over seeds on the non-anchor rows}"""
    methods = cliff_methods()
    scores: dict = {}
    for level in levels:
        for seed in seeds:
            anchors = draw_anchors(y, level, seed)
            y_partial = partial_labels(y, anchors)
            for name, run in methods.items():
                labels = run(X, y_partial, len(np.unique(y)), seed)
                scores.setdefault((level, name), []).append(
                    score_without_anchors(y, labels, anchors))
    return {key: statistics.mean(values) for key, values in scores.items()}


def cliffs_table(draws: int = 3) -> list[str]:
    """Markdown rows: per family and level, each method's mean ARI and the model's gap to
    the best baseline."""
    methods = list(cliff_methods())
    by_family: dict = {}
    for family, _, X, y in cliff_tasks(draws):
        by_family.setdefault(family, []).append(score_cliff_task(X, y))
    lines = ["| family | anchors per cluster | " + " | ".join(methods)
             + " | model - best baseline |", "|---|---|" + "---|" * (len(methods) + 1)]
    baselines = [m for m in methods if not m.startswith("model")]
    for family, scores in by_family.items():
        for level in CLIFF_LEVELS:
            means = {m: statistics.mean(s[(level, m)] for s in scores) for m in methods}
            gap = means["model"] - max(means[m] for m in baselines)
            lines.append(f"| {family} | {level} | "
                         + " | ".join(f"{means[m]:.3f}" for m in methods) + f" | {gap:+.3f} |")
    return lines


def estimate_k_table(draws_per_family: int = 4, first_draw: int = 0) -> list[str]:
    """K estimation (no anchors, no K) on fresh prior draws (``default_rng(8000 + i)`` for i
    from `first_draw`, 2 to 8 clusters, 2 to 20 columns, 300 to 2,000 rows) and on twice as
    many draws of each ``MANY_BLOBS`` family, protocol-free (the model's own default
    scaling): exact, within one, mean ARI per family."""
    lines = ["| family | K exact | K within one | mean ARI (own K) |", "|---|---|---|---|"]
    total = []
    for family, draw in FAMILIES.items():
        found = []
        for index in range(first_draw, first_draw + draws_per_family):
            found.append(_k_found(*prior_draw(draw, K_FIRST_SEED + index)))
        total.extend(found)
        lines.append(_k_row(family, found))
    lines.append(_k_row("all prior draws", total))
    for name, separation, first_seed in MANY_BLOBS:
        found = []
        for index in range(2 * first_draw, 2 * (first_draw + draws_per_family)):
            found.append(_k_found(*many_blobs_task(np.random.default_rng(first_seed + index),
                                                   separation)))
        lines.append(_k_row(name, found))
    return lines


def _k_found(X, y) -> tuple[bool, bool, float]:
    """The model's own K on one table: (exact, within one, ARI with that K)."""
    est = PFNClusterer().fit(X)
    k = len(np.unique(y))
    return (est.n_clusters_ == k, abs(est.n_clusters_ - k) <= 1,
            adjusted_rand_score(y, est.labels_))


def _k_row(name: str, found: list) -> str:
    exact = sum(f[0] for f in found)
    within = sum(f[1] for f in found)
    ari = statistics.mean(f[2] for f in found)
    return f"| {name} | {exact} / {len(found)} | {within} / {len(found)} | {ari:.3f} |"
