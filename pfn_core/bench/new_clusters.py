"""``python -m pfn_core.bench.new_clusters``: clusters nobody labelled, on the dev suite.

Two checks, both with the protocol's standardisation and seeds 0, 1, 2:

- partial (``--part partial``): anchors (3 per cluster, the protocol's draw) for a random
  half of the true clusters (``numpy.random.default_rng(seed)`` picks max(1, K // 2) of
  them); the ARI of the full partition against the reference, on the rows that are not
  anchors, for the model with discovery (``PFNClusterer(discover=True)``, the default),
  the model without it, and seeded K-means given the true K (the anchored classes' means,
  the other centres by k-means++ sampling from ``default_rng(seed)``).
- full (``--part full``): every cluster anchored at the usual levels (1, 3, 10 per cluster);
  the mean ARI with discovery and without, which must differ by at most 0.005. (With one
  anchor per class a fit with discovery differs even when it finds no new cluster: its
  discovery pass is a candidate fit, ``new_clusters.DiscoveryFit``.)

Needs ``../shared`` (skipped with a message when absent), except with ``--synthetic D``:
the partial check on D Gaussian mixtures that no inference setting was chosen on
(``synthetic_mixture``, seeds 500..500+D-1: 4 to 8 clusters of different sizes and spreads
in 2, 4 or 8 columns, 600 to 3,000 rows), or with ``--shapes D``: both checks on D tables
of separated shapes (``separated_shapes``, seeds 700..700+D-1: blobs, rings, arcs and line
segments with gaps between them, as a map of well-told-apart groups looks), where whole
pieces of the neighbour graph lack anchors.

    python -m pfn_core.bench.new_clusters --threads 1
    python -m pfn_core.bench.new_clusters --synthetic 48 --per-cluster 10 --seeds 0
    python -m pfn_core.bench.new_clusters --shapes 24 --seeds 0 1
"""

from __future__ import annotations

import json
import statistics

import numpy as np
from sklearn.cluster import KMeans

from pfn_core.bench.datasets import apply_threads, load_dataset, open_suite, suite_parser
from pfn_core.bench.protocol import (
    draw_anchors,
    label_codes,
    partial_labels,
    score_without_anchors,
    standardize_for_protocol,
)
from pfn_core.estimator import PFNClusterer

PARTIAL_METHODS = ("model, discover", "model, no discovery", "seeded K-means, true K")
FULL_LEVELS = (1, 3, 10)


def synthetic_mixture(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian mixture drawn from ``default_rng(seed)``: K in 4..8 clusters with centres
    N(0, 3.5^2), weights Dirichlet(3), each cluster's spread uniform in [0.5, 1.5], in D of
    2, 4 or 8 columns, 600 to 3,000 rows. -> X (N, D), y (N,) in 0..K-1"""
    rng = np.random.default_rng(seed)
    k, d = int(rng.integers(4, 9)), int(rng.choice([2, 4, 8]))
    n = int(rng.integers(600, 3000))
    centres = rng.normal(0, 3.5, (k, d))
    y = rng.choice(k, n, p=rng.dirichlet(np.full(k, 3.0)))
    spread = rng.uniform(0.5, 1.5, k)
    return centres[y] + rng.normal(0, 1, (n, d)) * spread[y, None], y


SHAPES = ("blob", "ring", "arc", "line")
SHAPE_SPACING = 10.0  # grid spacing of the shapes' centres; each shape spans at most 7


def separated_shapes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Separated shapes drawn from ``default_rng(seed)``: K in 3..8 shapes, each a blob
    (spread 0.4-1.0), ring (radius 1.5-3), half ring or line segment (length 3-6), the last
    three with noise 0.1-0.25 across them, of 60 to 400 rows each, centred on a jittered grid
    SHAPE_SPACING apart (so they do not touch), turned at random, then rotated into D of 2,
    3 or 8 columns. -> X (N, D), y (N,) in 0..K-1"""
    rng = np.random.default_rng(seed)
    k, d = int(rng.integers(3, 9)), int(rng.choice([2, 3, 8]))
    side = int(np.ceil(np.sqrt(k)))
    cells = rng.permutation(side * side)[:k]
    parts, labels = [], []
    for c, cell in enumerate(cells):
        n = int(rng.integers(60, 401))
        kind = SHAPES[int(rng.integers(len(SHAPES)))]
        if kind == "blob":
            points = rng.normal(0, rng.uniform(0.4, 1.0), (n, 2))
        else:
            if kind == "line":
                length = rng.uniform(3, 6)
                along = np.stack([rng.uniform(-length / 2, length / 2, n), np.zeros(n)], 1)
            else:
                radius = rng.uniform(1.5, 3.0)
                turn = rng.uniform(0, (2 if kind == "ring" else 1) * np.pi, n)
                along = radius * np.stack([np.cos(turn), np.sin(turn)], 1)
            points = along + rng.normal(0, rng.uniform(0.1, 0.25), (n, 2))
        angle = rng.uniform(0, 2 * np.pi)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        centre = SHAPE_SPACING * np.array([cell % side, cell // side]) + rng.uniform(-1, 1, 2)
        parts.append(points @ turn.T + centre)
        labels.append(np.full(n, c))
    X = np.concatenate(parts)
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    X = np.concatenate([X, np.zeros((len(X), d - 2))], 1) @ rotation.T
    return X, np.concatenate(labels)


def half_the_clusters(y: np.ndarray, seed: int, per_cluster: int = 3) -> np.ndarray:
    """Anchors for a random half of the clusters: `per_cluster` per cluster (the protocol's
    draw). y (N,) -> (A,) rows"""
    classes = np.unique(y)
    chosen = np.random.default_rng(seed).choice(classes, max(1, len(classes) // 2),
                                                replace=False)
    anchors = draw_anchors(y, per_cluster, seed)
    return anchors[np.isin(y[anchors], chosen)]


def seeded_kmeans_true_k(X, y_partial, n_clusters: int, seed: int) -> np.ndarray:
    """K-means with the anchored classes' means as centres and the rest by k-means++
    sampling (D^2 weighting) from ``default_rng(seed)``.  X (N, D) -> (N,) labels"""
    rng = np.random.default_rng(seed)
    anchored = y_partial != -1
    classes, which = np.unique(y_partial[anchored], return_inverse=True)
    centres = [X[anchored][which == c].mean(0) for c in range(len(classes))]
    while len(centres) < n_clusters:
        gap = np.min([((X - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(X[rng.choice(len(X), p=gap / gap.sum())])
    return KMeans(n_clusters, init=np.array(centres), n_init=1,
                  random_state=seed).fit_predict(X)


def partial_records(name: str, X, y, seeds, per_cluster: int = 3) -> list[dict]:
    records = []
    for seed in seeds:
        anchors = half_the_clusters(y, seed, per_cluster)
        y_partial = partial_labels(y, anchors)
        found = PFNClusterer(scale_columns=False).fit(X, y_partial)
        plain = PFNClusterer(scale_columns=False, discover=False).fit(X, y_partial)
        labels = {
            "model, discover": label_codes(found.labels_),
            "model, no discovery": label_codes(plain.labels_),
            "seeded K-means, true K": seeded_kmeans_true_k(X, y_partial, len(np.unique(y)),
                                                           seed),
        }
        for method, found_labels in labels.items():
            records.append({"dataset": name, "seed": seed, "method": method,
                            "ari": score_without_anchors(y, found_labels, anchors),
                            "new_clusters": int(found.n_clusters_
                                                - len(np.unique(y[anchors])))})
    return records


def full_records(name: str, X, y, seeds, levels=FULL_LEVELS) -> list[dict]:
    records = []
    for level in levels:
        for seed in seeds:
            anchors = draw_anchors(y, level, seed)
            y_partial = partial_labels(y, anchors)
            found = PFNClusterer(scale_columns=False).fit(X, y_partial)
            n_new = found.n_clusters_ - len(np.unique(y[anchors]))
            plain = PFNClusterer(scale_columns=False, discover=False).fit(X, y_partial)
            records.append({
                "dataset": name, "seed": seed, "level": level, "new_clusters": int(n_new),
                "ari_discover": score_without_anchors(y, found.labels_, anchors),
                "ari_plain": score_without_anchors(y, plain.labels_, anchors),
            })
    return records


def mean_over_datasets(records: list[dict], key: str, **match) -> float:
    per_dataset: dict[str, list[float]] = {}
    for r in records:
        if all(r.get(k) == v for k, v in match.items()):
            per_dataset.setdefault(r["dataset"], []).append(r[key])
    return statistics.mean(statistics.mean(v) for v in per_dataset.values())


def main(argv=None) -> int:
    parser = suite_parser("python -m pfn_core.bench.new_clusters", __doc__)
    parser.add_argument("--part", choices=("partial", "full", "both"), default="both")
    parser.add_argument("--per-cluster", type=int, default=3,
                        help="anchors per anchored cluster in the partial part (default 3; "
                             "lassos give dozens)")
    parser.add_argument("--synthetic", type=int, metavar="DRAWS",
                        help="the partial check on this many synthetic Gaussian mixtures "
                             "(held-out data, no ../shared needed) instead of the dev suite")
    parser.add_argument("--shapes", type=int, metavar="DRAWS",
                        help="both checks on this many tables of separated shapes (held-out "
                             "data, no ../shared needed) instead of the dev suite")
    args = parser.parse_args(argv)
    if args.synthetic and args.shapes:
        parser.error("choose --synthetic or --shapes, not both.")
    if args.synthetic:
        apply_threads(args)
        args.part = "partial"
        root, names = None, [f"synthetic/{500 + i}" for i in range(args.synthetic)]
    elif args.shapes:
        apply_threads(args)
        root, names = None, [f"shapes/{700 + i}" for i in range(args.shapes)]
    else:
        suite = open_suite(args)
        if suite is None:
            return 0
        root, names = suite
    partial, full = [], []
    for name in names:
        family, _, number = name.partition("/")
        if family == "synthetic":
            X, y = synthetic_mixture(int(number))
        elif family == "shapes":
            X, y = separated_shapes(int(number))
        else:
            X, y = load_dataset(name, root)
        X = standardize_for_protocol(X)
        if args.part in ("partial", "both"):
            partial.extend(partial_records(name, X, y, args.seeds, args.per_cluster))
        if args.part in ("full", "both"):
            full.extend(full_records(name, X, y, args.seeds))
        if args.results_json:
            with open(args.results_json, "w") as handle:
                json.dump({"partial": partial, "full": full}, handle)
    if partial:
        print(f"Anchors ({args.per_cluster} per cluster) for a random half of the clusters, "
              "mean ARI:\n")
        print("| method | mean ARI |\n|---|---|")
        for method in PARTIAL_METHODS:
            print(f"| {method} | {mean_over_datasets(partial, 'ari', method=method):.3f} |")
        fired = [r for r in partial if r["method"] == PARTIAL_METHODS[0]]
        print(f"\nnew clusters found in {sum(r['new_clusters'] > 0 for r in fired)} of "
              f"{len(fired)} runs\n")
    if full:
        print("Every cluster anchored, mean ARI with discovery and without:\n")
        print("| anchors per cluster | discover | no discovery | difference | runs with "
              "new clusters |\n|---|---|---|---|---|")
        for level in FULL_LEVELS:
            on = mean_over_datasets(full, "ari_discover", level=level)
            off = mean_over_datasets(full, "ari_plain", level=level)
            fired = sum(r["new_clusters"] > 0 for r in full if r["level"] == level)
            runs = sum(r["level"] == level for r in full)
            print(f"| {level} | {on:.3f} | {off:.3f} | {on - off:+.4f} | {fired} / {runs} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
