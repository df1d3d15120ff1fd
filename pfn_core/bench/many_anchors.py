"""``python -m pfn_core.bench.many_anchors``: does labelling more rows keep helping?

Lassoing names hundreds of rows at once, so a table often has far more anchors than the
protocol's 1 to 10 per cluster. More anchors should only make the clustering better, and
at least as good as the classical methods that use every anchor. For every dataset of the
dev suite (the protocol's standardisation), a random `--fractions` share of the rows,
drawn uniformly (so large clusters get more anchors), is labelled with its true cluster,
seeds 0-2; scored on the other rows (ARI): the model (defaults, ``scale_columns=False`` as
in the protocol), 1-NN on the anchors, and label spreading (``kernel="knn"``) given the
same anchors. Needs ``../shared`` (skipped with a message when absent).

``--heldout DRAWS`` runs it on data no setting was chosen on, no ``../shared`` needed:
``DRAWS`` tables of each held-out family of ``bench.few_anchors`` (Gaussian mixtures, and
fresh draws of every prior family). ``--model-kwargs`` changes the model's settings, e.g.
``'{"anchor_votes": false}'`` for the model before every anchor voted.

    python -m pfn_core.bench.many_anchors --threads 1
    python -m pfn_core.bench.many_anchors --datasets mnist:10000 --fractions 0.01 0.1 0.3
    python -m pfn_core.bench.many_anchors --threads 1 --heldout 4
"""

from __future__ import annotations

import json
import statistics

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.semi_supervised import LabelSpreading

from pfn_core.bench.datasets import suite_parser
from pfn_core.bench.few_anchors import add_heldout_option, suite_or_heldout_tables
from pfn_core.bench.protocol import label_codes, standardize_for_protocol
from pfn_core.estimator import PFNClusterer

FRACTIONS = (0.1, 0.3)
METHODS = ("model", "1-NN", "label spreading")


def random_anchors(n_rows: int, fraction: float, seed: int) -> np.ndarray:
    """round(fraction x n_rows) distinct rows (at least 2), drawn uniformly. -> (A,)"""
    count = max(2, min(n_rows - 1, round(fraction * n_rows)))
    return np.sort(np.random.default_rng(seed).choice(n_rows, count, replace=False))


def scores(X: np.ndarray, y: np.ndarray, anchors: np.ndarray,
           model_kwargs: dict | None = None) -> dict[str, float]:
    """ARI of each method on the rows that are not anchors. X (N, D), y (N,) true clusters,
    anchors (A,) row ids, `model_kwargs`: PFNClusterer settings over the bench's
    -> {method: ARI}"""
    y_partial = np.full(len(y), -1)
    y_partial[anchors] = y[anchors]
    rest = np.ones(len(y), dtype=bool)
    rest[anchors] = False
    model = PFNClusterer(**{"scale_columns": False, **(model_kwargs or {})}).fit_predict(
        X, y_partial)
    nearest = KNeighborsClassifier(1).fit(X[anchors], y[anchors]).predict(X[rest])
    spreading = LabelSpreading(kernel="knn").fit(X, y_partial).transduction_[rest]
    return {"model": adjusted_rand_score(y[rest], label_codes(model[rest])),
            "1-NN": adjusted_rand_score(y[rest], nearest),
            "label spreading": adjusted_rand_score(y[rest], spreading)}


def build_parser():
    """The dev-suite options (``suite_parser``), ``--fractions``, ``--heldout`` and
    ``--model-kwargs``."""
    parser = suite_parser("python -m pfn_core.bench.many_anchors", __doc__)
    parser.add_argument("--fractions", nargs="+", type=float, default=list(FRACTIONS))
    add_heldout_option(parser)
    parser.add_argument("--model-kwargs", type=json.loads, default={},
                        help='PFNClusterer settings as JSON, e.g. \'{"anchor_votes": false}\'')
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    tables = suite_or_heldout_tables(args)
    if tables is None:
        return 0
    records = []
    names = []
    for name, X, y in tables:
        names.append(name)
        X = standardize_for_protocol(X)
        for fraction in args.fractions:
            for seed in args.seeds:
                got = scores(X, y, random_anchors(len(y), fraction, seed), args.model_kwargs)
                records.append({"dataset": name, "fraction": fraction, "seed": seed, **got})
        if args.results_json:
            with open(args.results_json, "w") as handle:
                json.dump(records, handle)
    print(f"Many anchors: a random share of the rows labelled, {len(names)} "
          f"{'held-out tables' if args.heldout else 'datasets'}, seeds {args.seeds}; mean ARI "
          f"on the other rows\n")
    print("| share of rows labelled | " + " | ".join(METHODS) + " | datasets where the model "
          "trails the better peer by > 0.05 |\n|---|---|---|---|---|")
    for fraction in args.fractions:
        rows = [r for r in records if r["fraction"] == fraction]
        per_dataset = {}
        for r in rows:
            per_dataset.setdefault(r["dataset"], []).append(r)
        behind = sorted(
            name for name, rs in per_dataset.items()
            if statistics.mean(r["model"] for r in rs) + 0.05
            < max(statistics.mean(r[m] for r in rs) for m in METHODS[1:]))
        means = " | ".join(f"{statistics.mean(r[m] for r in rows):.3f}" for m in METHODS)
        print(f"| {fraction:g} | {means} | {len(behind)}: {', '.join(behind) or 'none'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
