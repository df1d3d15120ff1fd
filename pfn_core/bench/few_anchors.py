"""``python -m pfn_core.bench.few_anchors``: one or three anchors per cluster on held-out data,
with and without the model's own clustering (``pfn_core.own_clustering``).

The rule that keeps the model's own clustering when the anchors agree with it was chosen on
the dev suite; this checks it on data it was not chosen on, no ``../shared`` needed:

- ``Gaussian mixtures``: ``bench.new_clusters.synthetic_mixture`` draws (seeds 500..,
  4 to 8 clusters of different sizes and spreads in 2, 4 or 8 columns);
- one family per prior family (``pfn_core.prior.FAMILIES``), fresh draws from
  ``default_rng(9000 + index)``: 2 to 8 clusters, 2 to 20 columns, 300 to 2,000 rows.

Every cluster gets the protocol's anchor draw (``draw_anchors``, seeds 0, 1, 2) at 1 and 3
per cluster; ARI on the rows that are not anchors, mean over seeds then draws. Methods: the
model with its defaults, the model with ``own_clustering=False``, and the protocol's
anchored baselines (1-NN, label spreading, seeded K-means). "kept" is the share of the
model's fits that kept its own clustering.

    python -m pfn_core.bench.few_anchors --draws 6 --threads 1

``--rows N`` draws the prior families' tables N rows long (same seeds; the Gaussian
mixtures are left out): the check for settings that only matter on long tables, such as
how many rows the transformer scores (``carry.MODEL_ROWS``).
"""

from __future__ import annotations

import argparse
import json
import statistics

import numpy as np

from pfn_core.bench.baselines import ANCHORED, LABELS
from pfn_core.bench.cliffs import ANCHOR_SEEDS, prior_draw
from pfn_core.bench.cliffs import CLIFF_LEVELS as LEVELS
from pfn_core.bench.datasets import apply_threads, load_dataset, open_suite
from pfn_core.bench.new_clusters import synthetic_mixture
from pfn_core.bench.protocol import draw_anchors, partial_labels, score_without_anchors
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import FAMILIES

MIXTURE_FIRST_SEED = 500  # as bench.new_clusters --synthetic
PRIOR_FIRST_SEED = 9000


def few_anchor_tasks(draws: int, n_rows: int | None = None):
    """-> list of (family, X (N, D), y (N,)): `draws` tables of each family; with `n_rows`,
    only the prior families, each table that long (``cliffs.prior_draw``)."""
    tasks = []
    if n_rows is None:
        tasks = [("Gaussian mixtures", *synthetic_mixture(MIXTURE_FIRST_SEED + index))
                 for index in range(draws)]
    for family, draw in FAMILIES.items():
        for index in range(draws):
            X, y = prior_draw(draw, PRIOR_FIRST_SEED + index, n_rows)
            tasks.append((f"prior: {family}", X, y))
    return tasks


def add_heldout_option(parser: argparse.ArgumentParser) -> None:
    """``--heldout DRAWS`` on a dev-suite benchmark's parser: its loop on these held-out
    tables instead (``suite_or_heldout_tables``); DRAWS below 1 is refused by the parser."""
    parser.add_argument("--heldout", type=_draws, metavar="DRAWS",
                        help="held-out tables instead of the dev suite: this many per family")


def _draws(text: str) -> int:
    """``--heldout``'s value: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def suite_or_heldout_tables(args):
    """-> iterable of (name, X (N, D), y (N,)): the dev suite, or with ``--heldout DRAWS``
    `DRAWS` tables of each held-out family (``few_anchor_tasks``), named "family #i"; None
    when the dev suite is asked for and absent (``open_suite`` has said so)."""
    if args.heldout:
        apply_threads(args)
        counts: dict[str, int] = {}
        tables = []
        for family, X, y in few_anchor_tasks(args.heldout):
            counts[family] = counts.get(family, 0) + 1
            tables.append((f"{family} #{counts[family]}", X, y))
        return tables
    suite = open_suite(args)
    if suite is None:
        return None
    root, names = suite
    return ((name, *load_dataset(name, root)) for name in names)


def score_task(X, y, levels=LEVELS, seeds=ANCHOR_SEEDS, settings: dict | None = None) -> dict:
    """-> {(level, method): mean ARI over seeds}, and {(level, "kept"): share of the default
    model's fits that kept its own clustering}; `settings`: PFNClusterer settings over its
    defaults, for both model columns"""
    scores: dict = {}
    settings = settings or {}
    for level in levels:
        for seed in seeds:
            anchors = draw_anchors(y, level, seed)
            y_partial = partial_labels(y, anchors)

            model = PFNClusterer(**settings).fit(X, y_partial)
            labels = {"model": model.labels_,
                      "model, own clustering off":
                          PFNClusterer(**{**settings, "own_clustering": False}).fit_predict(
                              X, y_partial)}
            labels.update({LABELS[name]: run(X, y_partial, len(np.unique(y)), seed)
                           for name, run in ANCHORED.items()})
            for method, predicted in labels.items():
                scores.setdefault((level, method), []).append(
                    score_without_anchors(y, predicted, anchors))
            scores.setdefault((level, "kept"), []).append(float(model.used_own_clustering_))
    return {key: statistics.mean(values) for key, values in scores.items()}


def few_anchors_table(draws: int, levels=LEVELS, settings: dict | None = None,
                      n_rows: int | None = None) -> list[str]:
    """Markdown rows: per family and level (anchors per cluster), each method's mean ARI,
    the share kept and the model's gap to the best baseline."""
    by_family: dict = {}
    for family, X, y in few_anchor_tasks(draws, n_rows):
        by_family.setdefault(family, []).append(score_task(X, y, levels, settings=settings))
    methods = ["model", "model, own clustering off"] + [LABELS[name] for name in ANCHORED]
    baselines = methods[2:]
    lines = ["| family | anchors per cluster | " + " | ".join(methods)
             + " | kept | model - own clustering off | model - best baseline |",
             "|---|---|" + "---|" * (len(methods) + 3)]
    totals: dict = {}
    for family, scores in by_family.items():
        for level in levels:
            means = {m: statistics.mean(s[(level, m)] for s in scores)
                     for m in methods + ["kept"]}
            for method in methods:
                totals.setdefault((level, method), []).append(means[method])
            lines.append(
                f"| {family} | {level} | " + " | ".join(f"{means[m]:.3f}" for m in methods)
                + f" | {means['kept']:.0%} | {means['model'] - means[methods[1]]:+.3f} | "
                + f"{means['model'] - max(means[m] for m in baselines):+.3f} |")
    for level in levels:
        means = {m: statistics.mean(totals[(level, m)]) for m in methods}
        lines.append(f"| **mean over families** | {level} | "
                     + " | ".join(f"{means[m]:.3f}" for m in methods)
                     + f" | | {means['model'] - means[methods[1]]:+.3f} | "
                     + f"{means['model'] - max(means[m] for m in baselines):+.3f} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.few_anchors",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=6, help="tables per family")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS),
                        help="anchors per cluster (default: 1 3)")
    parser.add_argument("--model-kwargs", type=json.loads, default={}, metavar="JSON",
                        help="PFNClusterer settings over its defaults, e.g. "
                             "'{\"anchor_metric\": false}'")
    parser.add_argument("--rows", type=int, help="prior families only, every table this long "
                        "(default: 300 to 2,000 rows, and the Gaussian mixtures too)")
    args = parser.parse_args(argv)
    if args.rows is not None and args.rows < 100:
        parser.error("--rows must be at least 100")
    if args.draws < 1:
        parser.error("--draws must be at least 1")
    if min(args.levels) < 1:
        parser.error("--levels must be at least 1 anchor per cluster")
    apply_threads(args)
    levels = ", ".join(map(str, args.levels))
    size = f", {args.rows:,} rows each" if args.rows else ""
    print(f"{levels} anchors per cluster on held-out tables ({args.draws} per family{size}, "
          "anchor seeds 0-2), mean ARI on non-anchor rows:\n")
    if args.model_kwargs:
        print(f"Model settings over the defaults: {args.model_kwargs}\n")
    print("\n".join(few_anchors_table(args.draws, args.levels, args.model_kwargs, args.rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
