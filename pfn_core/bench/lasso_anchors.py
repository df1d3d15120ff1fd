"""``python -m pfn_core.bench.lasso_anchors``: anchors as a lasso makes them, not at random.

The protocol draws anchors at random from each cluster. In the studio people lasso: the
anchors of a label are one patch of the map. Here each true cluster gets one patch: a row
drawn at random from the cluster (``default_rng(seed)``) and its ``--per-cluster`` - 1
nearest rows of the same cluster (the table as the protocol standardises it), all named with
the cluster's true label (the analyst names what they see). ARI on the other rows, mean over
seeds, for the model with its defaults, the model with ``anchor_metric=False`` (distances in
the table's own metric whatever the anchors), 1-NN and label spreading given the same
anchors.

With 5 or more anchors per cluster the model measures distances in the anchors' metric
(``pfn_core.anchor_metric``): it whitens by the anchors' pooled within-class scatter, which
stands for each cluster's own spread only when its anchors are spread over it. A patch is
not, hence this benchmark. Tables: the dev suite (needs ``../shared``; skipped with a
message when absent), or with ``--heldout`` the held-out tables of ``bench.few_anchors``
(fresh prior draws and Gaussian mixtures, no ``../shared`` needed).

    python -m pfn_core.bench.lasso_anchors --threads 2
    python -m pfn_core.bench.lasso_anchors --threads 2 --heldout --draws 6
"""

from __future__ import annotations

import statistics

import numpy as np
from scipy.spatial import cKDTree

from pfn_core.bench.baselines import ANCHORED, LABELS
from pfn_core.bench.datasets import apply_threads, load_dataset, open_suite, suite_parser
from pfn_core.bench.few_anchors import few_anchor_tasks
from pfn_core.bench.protocol import (
    partial_labels,
    score_without_anchors,
    standardize_for_protocol,
)
from pfn_core.estimator import PFNClusterer

PER_CLUSTER = 10
PEERS = ("knn1", "label_spreading")
METHODS = ("model", "model, table metric", *(LABELS[name] for name in PEERS))


def lasso_anchors(X: np.ndarray, y: np.ndarray, per_cluster: int, seed: int) -> np.ndarray:
    """One patch per cluster: a random member and its nearest fellow members.
    X (N, D), y (N,) -> (A,) row ids (at most size - 1 per cluster, as the protocol's draw)"""
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = min(per_cluster, max(len(members) - 1, 1))
        centre = rng.choice(members)
        _, nearest = cKDTree(X[members]).query(X[centre], k=take)
        picked.append(members[np.atleast_1d(nearest)])
    return np.concatenate(picked).astype(np.int64)


def score_table(X: np.ndarray, y: np.ndarray, per_cluster: int, seeds,
                settings: dict) -> dict[str, float]:
    """Mean ARI over seeds of every method in ``METHODS`` on one table; `settings`: the
    model's (the protocol's ``scale_columns=False`` on the dev suite, defaults held out)."""
    scores: dict[str, list[float]] = {method: [] for method in METHODS}
    for seed in seeds:
        anchors = lasso_anchors(X, y, per_cluster, seed)
        y_partial = partial_labels(y, anchors)
        labels = {"model": PFNClusterer(**settings).fit_predict(X, y_partial),
                  "model, table metric": PFNClusterer(
                      **settings, anchor_metric=False).fit_predict(X, y_partial)}
        labels.update({LABELS[name]: ANCHORED[name](X, y_partial, len(np.unique(y)), seed)
                       for name in PEERS})
        for method, predicted in labels.items():
            scores[method].append(score_without_anchors(y, predicted, anchors))
    return {method: statistics.mean(values) for method, values in scores.items()}


def report(rows: dict[str, dict[str, float]], title: str) -> str:
    """Markdown: one line per table (or family), then the mean and the win counts."""
    lines = [f"| {title} | " + " | ".join(METHODS) + " | anchors' metric - table metric |",
             "|---|" + "---|" * (len(METHODS) + 1)]
    for name, means in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{means[m]:.3f}" for m in METHODS)
                     + f" | {means['model'] - means['model, table metric']:+.3f} |")
    overall = {m: statistics.mean(r[m] for r in rows.values()) for m in METHODS}
    gaps = [r["model"] - r["model, table metric"] for r in rows.values()]
    lines.append("| **mean** | " + " | ".join(f"{overall[m]:.3f}" for m in METHODS)
                 + f" | {overall['model'] - overall['model, table metric']:+.3f} |")
    lines += ["", f"The anchors' metric is better by more than 0.01 on "
              f"{sum(g > 0.01 for g in gaps)} and worse on {sum(g < -0.01 for g in gaps)} of "
              f"{len(gaps)}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = suite_parser("python -m pfn_core.bench.lasso_anchors", __doc__)
    parser.add_argument("--per-cluster", type=int, default=PER_CLUSTER,
                        help="anchors in each cluster's patch")
    parser.add_argument("--heldout", action="store_true",
                        help="bench.few_anchors' held-out tables instead of the dev suite")
    parser.add_argument("--draws", type=int, default=6, help="with --heldout: tables per family")
    args = parser.parse_args(argv)
    if args.per_cluster < 1:
        parser.error("--per-cluster must be at least 1")
    rows: dict[str, dict[str, float]] = {}
    if args.heldout:
        apply_threads(args)
        by_family: dict[str, list[dict]] = {}
        for family, X, y in few_anchor_tasks(args.draws):
            by_family.setdefault(family, []).append(
                score_table(X, y, args.per_cluster, args.seeds, {}))
        rows = {family: {m: statistics.mean(s[m] for s in scores) for m in METHODS}
                for family, scores in by_family.items()}
        title = f"family ({args.draws} tables each)"
    else:
        suite = open_suite(args)
        if suite is None:
            return 0
        root, names = suite
        for name in names:
            X, y = load_dataset(name, root)
            rows[name] = score_table(standardize_for_protocol(X), y, args.per_cluster,
                                     args.seeds, {"scale_columns": False})
            print(f"{name}: " + ", ".join(f"{m} {v:.3f}" for m, v in rows[name].items()),
                  flush=True)
        title = "dataset"
    print(f"\nOne lasso of {args.per_cluster} anchors per cluster, seeds {args.seeds}, mean "
          "ARI on the other rows:\n")
    print(report(rows, title))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
