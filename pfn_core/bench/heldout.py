"""``python -m pfn_core.bench.heldout``: clustering without anchors on tasks the inference
settings were not chosen on.

The no-anchor start (``PFNClusterer(overseed=3)``, two starts and the lower graph cut wins)
was tuned on the dev suite, MNIST included. This check runs it on other data, against the
density-peak start alone (``overseed=1``) and Ward, with K given and the protocol's
standardisation:

- fresh draws from every prior family (generators seeded 5000, 5001, ...; training seeds
  its generators by (run seed, step) pairs), 2 to 8 clusters, 2 to 20 columns;
- MNIST test-set subsets that are not the suite's task: digits 0-4, digits 5-9, odd
  digits, and the last 3,000 images (skipped with a message when ``../shared`` is absent).

    python -m pfn_core.bench.heldout --threads 2

``--cliffs`` runs instead the held-out families of ``pfn_core.bench.cliffs`` (a 128-d mixture
handed over as principal components, overlapping Gaussians) with 1 and 3 anchors per
cluster, and ``--estimate-k`` the estimate of K without anchors on fresh prior draws.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

from pfn_core.bench.cliffs import cliffs_table, estimate_k_table, prior_draw
from pfn_core.bench.datasets import apply_threads, load_dataset, resolve_shared_root
from pfn_core.bench.protocol import standardize_for_protocol
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import FAMILIES

FIRST_SEED = 5000
METHODS = ("model", "model, density peaks only", "Ward")


def prior_tasks(draws_per_family: int):
    """-> list of (name, X (N, D), y (N,)) drawn from every prior family."""
    tasks = []
    for family, draw in FAMILIES.items():
        for index in range(draws_per_family):
            X, y = prior_draw(draw, FIRST_SEED + index)
            tasks.append((f"{family}/{index}", X, y))
    return tasks


def mnist_tasks(shared_root):
    """-> list of (name, X, y): MNIST test-set subsets other than the suite's first 10,000."""
    X, y = load_dataset("mnist:10000", shared_root)
    keeps = {"mnist digits 0-4": y < 5, "mnist digits 5-9": y >= 5,
             "mnist odd digits": y % 2 == 1, "mnist last 3,000": np.arange(len(y)) >= 7000}
    return [(name, X[keep], y[keep]) for name, keep in keeps.items()]


def score_task(X, y) -> dict:
    """ARI of each method on one task, K given. -> {method: ARI}"""
    X = standardize_for_protocol(X)
    k = len(np.unique(y))
    labels = {
        "model": PFNClusterer(n_clusters=k, scale_columns=False).fit_predict(X),
        "model, density peaks only": PFNClusterer(n_clusters=k, scale_columns=False,
                                                  overseed=1).fit_predict(X),
        "Ward": AgglomerativeClustering(k).fit_predict(X),
    }
    return {name: adjusted_rand_score(y, found) for name, found in labels.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.heldout",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=6, help="draws per prior family")
    parser.add_argument("--shared", help="the shared folder (default: ../shared)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--cliffs", action="store_true",
                        help="the cliff families with anchors instead (bench.cliffs)")
    parser.add_argument("--estimate-k", action="store_true",
                        help="K estimated without anchors on prior draws instead")
    parser.add_argument("--first-draw", type=int, default=0,
                        help="with --estimate-k: skip this many draws per family (fresh "
                             "draws for a setting already looked at on the first ones)")
    args = parser.parse_args(argv)
    apply_threads(args)
    if args.cliffs or args.estimate_k:
        if args.cliffs:
            print(f"Held-out cliff families, mean ARI on non-anchor rows ({args.draws} draws "
                  "each, anchor seeds 0-2):\n")
            print("\n".join(cliffs_table(args.draws)), flush=True)
        if args.estimate_k:
            skipped = f", after the first {args.first_draw}" if args.first_draw else ""
            print(f"\nK estimated without anchors on fresh prior draws ({args.draws} per "
                  f"family{skipped}):\n")
            print("\n".join(estimate_k_table(args.draws, args.first_draw)))
        return 0
    groups: dict[str, list[dict]] = {}
    for name, X, y in prior_tasks(args.draws):
        groups.setdefault(f"prior: {name.split('/')[0]}", []).append(score_task(X, y))
    try:
        extra = mnist_tasks(resolve_shared_root(args.shared))
    except ValueError as exc:
        print(f"MNIST subsets skipped: {exc}\n")
        extra = []
    for name, X, y in extra:
        groups[name] = [score_task(X, y)]
    print(f"Mean ARI without anchors (K given); prior families: {args.draws} draws each.\n")
    print("| task | " + " | ".join(METHODS) + " |")
    print("|---|" + "---|" * len(METHODS))
    for group, scores in groups.items():
        means = [statistics.mean(s[m] for s in scores) for m in METHODS]
        print(f"| {group} | " + " | ".join(f"{v:.3f}" for v in means) + " |", flush=True)
    prior = [s for group, scores in groups.items() if group.startswith("prior") for s in scores]
    means = [statistics.mean(s[m] for s in prior) for m in METHODS]
    print("| all prior draws | " + " | ".join(f"{v:.3f}" for v in means) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
