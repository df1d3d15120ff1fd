"""``python -m pfn_core.bench.weak_evidence``: how strong is the evidence for K on tables that
have no clusters at all, and on tables that do?

With no anchors and no K, the model always names a K of at least 2 (``pfn_core.discovery``):
the candidate with the most evidence. On a table with no cluster structure that K is noise,
so the studio warns when the evidence is as weak as it is on such tables
(``discovery.WEAK_EVIDENCE``). This measures the strongest evidence (the highest bar of the
studio's chart) on:

- ``structureless``: one cloud per table, no clusters: a Gaussian, a uniform box, a skewed
  (log-normal) cloud and a heavy-tailed (Student t, 3 degrees of freedom) cloud with
  correlated columns, 100 to 5,000 rows, 2 to 30 columns. Draws from
  ``default_rng(seed)``, seeds 0-19 (``--first-seed``): with the prior draws below, the
  draws the threshold was chosen on; 100-119 report it on fresh ones.
- ``prior draws``: fresh tables from every prior family (``bench.cliffs.prior_draw``, seeds
  9500 + first seed + 1000 x family index + 0, 1, 2), 2 to 8 clusters;
- the dev suite (when ``../shared`` is present; skipped with a message otherwise).

Reported per group: the evidence's minimum, median and maximum, and how many tables are
flagged weak (best evidence below ``WEAK_EVIDENCE`` and the neighbour graph in one piece).

    python -m pfn_core.bench.weak_evidence --threads 2
    python -m pfn_core.bench.weak_evidence --first-seed 100 --threads 2

Legend: N=rows, D=columns.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from pfn_core.bench.cliffs import prior_draw
from pfn_core.bench.datasets import (
    DEV_SUITE,
    apply_threads,
    load_dataset,
    read_suite,
    resolve_shared_root,
)
from pfn_core.bench.protocol import standardize_for_protocol
from pfn_core.discovery import WEAK_EVIDENCE
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import FAMILIES

CLOUDS = ("gaussian", "uniform", "skewed", "heavy-tailed")
PRIOR_FIRST_SEED = 9500


def structureless_table(rng: np.random.Generator, cloud: str) -> np.ndarray:
    """One cloud with no clusters: `cloud` one of ``CLOUDS``, its columns mixed by a random
    matrix (so they correlate), 100 to 5,000 rows, 2 to 30 columns. -> X (N, D)"""
    n_rows = int(rng.integers(100, 5001))
    n_dims = int(rng.choice([2, 3, 5, 10, 30]))
    if cloud == "gaussian":
        Z = rng.normal(size=(n_rows, n_dims))
    elif cloud == "uniform":
        Z = rng.uniform(-1, 1, size=(n_rows, n_dims))
    elif cloud == "skewed":
        Z = rng.lognormal(0.0, 0.6, size=(n_rows, n_dims))
    elif cloud == "heavy-tailed":
        Z = rng.standard_t(3, size=(n_rows, n_dims))
    else:
        raise ValueError(f"cloud must be one of {CLOUDS}, got {cloud!r}.")
    return Z @ rng.normal(size=(n_dims, n_dims))


def strongest_evidence(X: np.ndarray) -> tuple[float, bool, int]:
    """Fit without anchors and K -> (the highest evidence, whether it is flagged weak, K)."""
    est = PFNClusterer().fit(X)
    scores = est.n_clusters_scores_ or {}
    return (max(scores.values()) if scores else float("nan"), bool(est.k_evidence_is_weak_),
            int(est.n_clusters_))


def group_line(name: str, results: list[tuple[float, bool, int]]) -> str:
    evidence = [e for e, _, _ in results if e == e]
    flagged = sum(weak for _, weak, _ in results)
    return (f"| {name} | {len(results)} | {min(evidence):.2f} | {statistics.median(evidence):.2f}"
            f" | {max(evidence):.2f} | {flagged} / {len(results)} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.weak_evidence",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--first-seed", type=int, default=0,
                        help="structureless draws use seeds first..first+19 (default 0)")
    parser.add_argument("--prior-draws", type=int, default=3, help="draws per prior family")
    parser.add_argument("--shared", help="the shared folder (default: ../shared)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    apply_threads(args)
    lines = [f"Strongest evidence for K without anchors (flagged weak below {WEAK_EVIDENCE} "
             "when the neighbour graph is one piece):", "",
             "| tables | count | min | median | max | flagged weak |", "|---|---|---|---|---|---|"]
    per_cloud = {cloud: [] for cloud in CLOUDS}
    for seed in range(args.first_seed, args.first_seed + 20):
        rng = np.random.default_rng(seed)
        cloud = CLOUDS[seed % len(CLOUDS)]
        per_cloud[cloud].append(strongest_evidence(structureless_table(rng, cloud)))
    for cloud, results in per_cloud.items():
        lines.append(group_line(f"no clusters: {cloud} (seeds {args.first_seed}..)", results))
    lines.append(group_line("no clusters: all",
                            [r for results in per_cloud.values() for r in results]))
    prior = []
    for index, draw in enumerate(FAMILIES.values()):
        for j in range(args.prior_draws):
            X, _ = prior_draw(draw, PRIOR_FIRST_SEED + args.first_seed + 1000 * index + j)
            prior.append(strongest_evidence(X))
    lines.append(group_line(f"prior draws, 2 to 8 clusters ({len(prior)})", prior))
    root = resolve_shared_root(args.shared)
    if (root / DEV_SUITE).exists():
        suite = [strongest_evidence(standardize_for_protocol(load_dataset(name, root)[0]))
                 for name in read_suite(root / DEV_SUITE)]
        lines.append(group_line("dev suite", suite))
    else:
        lines.append(f"(dev suite skipped: {root / DEV_SUITE} is absent; it lives in ../shared)")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
