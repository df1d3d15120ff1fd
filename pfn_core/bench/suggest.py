"""``python -m pfn_core.bench.suggest``: do the suggested rows help more than random ones?

On every dataset of the dev suite (the protocol's standardisation), for each seed: start
from 1 anchor per cluster (the protocol's draw), then add 20 labels in 4 rounds of 5, either
the rows ``suggest.suggest_rows`` proposes after each fit, or 5 rows drawn at random
(``numpy.random.default_rng(1000 + seed)``) from the rows that are not anchors; the reference
labels stand in for the user. The ARI is measured on every row except the starting anchors
(the same rows for both strategies; the 20 added rows count with their true label in both).
The estimator is the studio's, ``PFNClusterer`` with its defaults (discovery on: with one
anchor per cluster its discovery pass is a candidate fit, ``new_clusters.DiscoveryFit``),
and the gain is the final ARI minus the starting one. Reported: per dataset, each
strategy's gain, and over datasets how often the suggestions beat random and the ratio of
mean gains. Needs ``../shared`` (skipped with a message when absent).

``--heldout DRAWS`` runs the same loop on data the suggestion settings were not chosen on,
no ``../shared`` needed: ``DRAWS`` tables of each held-out family of
``bench.few_anchors`` (Gaussian mixtures, and fresh draws of every prior family).

    python -m pfn_core.bench.suggest --threads 1
    python -m pfn_core.bench.suggest --threads 1 --heldout 2
"""

from __future__ import annotations

import json
import statistics

import numpy as np

from pfn_core.bench.datasets import suite_parser
from pfn_core.bench.few_anchors import add_heldout_option, suite_or_heldout_tables
from pfn_core.bench.protocol import (
    draw_anchors,
    partial_labels,
    score_without_anchors,
    standardize_for_protocol,
)
from pfn_core.estimator import PFNClusterer
from pfn_core.suggest import suggest_rows

ROUNDS = 4
PER_ROUND = 5
STRATEGIES = ("suggested", "random")


def labelling_run(X, y, seed: int, strategy: str) -> tuple[float, float]:
    """ARI before and after 4 rounds of 5 labels chosen by `strategy`.
    X (N, D) standardised, y (N,) -> (start ARI, final ARI) on the non-starting-anchor rows"""
    start = draw_anchors(y, 1, seed)
    anchors = start.copy()
    rng = np.random.default_rng(1000 + seed)
    est = PFNClusterer(scale_columns=False)  # the studio's estimator
    first = None
    for round_index in range(ROUNDS + 1):
        est.fit(X, partial_labels(y, anchors))
        if first is None:
            first = score_without_anchors(y, est.labels_, start)
        if round_index == ROUNDS:
            break
        if strategy == "suggested":
            new = suggest_rows(est, X, PER_ROUND)
        else:
            free = np.setdiff1d(np.arange(len(y)), anchors)
            new = rng.choice(free, min(PER_ROUND, len(free)), replace=False)
        anchors = np.concatenate([anchors, new])
    return first, score_without_anchors(y, est.labels_, start)


def build_parser():
    """The dev-suite options (``suite_parser``) and ``--heldout``."""
    parser = suite_parser("python -m pfn_core.bench.suggest", __doc__)
    add_heldout_option(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    tables = suite_or_heldout_tables(args)
    if tables is None:
        return 0
    gains: dict[str, dict[str, float]] = {}
    print("| dataset | start ARI | gain, suggested | gain, random |\n|---|---|---|---|")
    for name, X, y in tables:
        X = standardize_for_protocol(X)
        runs = {s: [labelling_run(X, y, seed, s) for seed in args.seeds] for s in STRATEGIES}
        gains[name] = {s: statistics.mean(b - a for a, b in runs[s]) for s in STRATEGIES}
        gains[name]["start"] = statistics.mean(a for a, _ in runs["suggested"])
        print(f"| {name} | {gains[name]['start']:.3f} | {gains[name]['suggested']:+.3f} | "
              f"{gains[name]['random']:+.3f} |", flush=True)
        if args.results_json:
            with open(args.results_json, "w") as handle:
                json.dump(gains, handle)
    wins = sum(g["suggested"] > g["random"] for g in gains.values())
    mean_suggested = statistics.mean(g["suggested"] for g in gains.values())
    mean_random = statistics.mean(g["random"] for g in gains.values())
    ratio = mean_suggested / mean_random if mean_random > 0 else float("inf")
    print(f"\nsuggestions beat random on {wins} / {len(gains)} datasets "
          f"({wins / len(gains):.0%}); mean gain {mean_suggested:+.3f} against "
          f"{mean_random:+.3f} ({ratio:.2f}x); seeds {args.seeds}")
    print(room_line(gains))
    return 0


SOLVED = 0.999  # a start this good leaves nothing to gain (both strategies tie at zero)


def room_line(gains: dict[str, dict[str, float]]) -> str:
    """How often the suggestions win where something was left to gain: datasets whose mean
    start ARI is below ``SOLVED`` (on the others both gains are about zero and neither
    strategy can win). gains: {dataset: {"start", "suggested", "random"}}"""
    open_ = [g for g in gains.values() if g["start"] < SOLVED]
    wins = sum(g["suggested"] > g["random"] for g in open_)
    share = f" ({wins / len(open_):.0%})" if open_ else ""
    return (f"where the start left something to gain (start ARI < {SOLVED}): suggestions beat "
            f"random on {wins} / {len(open_)}{share}; {len(gains) - len(open_)} datasets "
            "started solved")


if __name__ == "__main__":
    raise SystemExit(main())
