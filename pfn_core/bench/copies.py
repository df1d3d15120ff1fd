"""``python -m pfn_core.bench.copies``: tables full of identical rows (ratings, counts).

The dev suite has almost no repeated rows (statlog 9.7%, yeast 2.1%, four tables one row
each); tables of survey answers or counts are mostly copies. This draws such tables and
compares the model that clusters each distinct row once (``PFNClusterer()``, the default,
``pfn_core.copies``) with the model fitting every copy (``merge_copies=False``) and K-means:

- ``survey``: 2 to 5 groups of respondents answering 6 to 12 questions on a 1-5 scale (each
  group's mean answer per question drawn uniformly, then rounded noise of sd 0.8), 500 to
  3,000 rows; generators ``default_rng(seed)``, seeds 0.. (``--tables``; ``--first-seed``
  shifts every seed, for fresh tables);
- ``rounded prior draws``: fresh draws from every prior family (``bench.cliffs.prior_draw``,
  seeds 7700 + first seed + 100 x family index + 0, 1, ... (``--prior-draws``)), each
  column rescaled to 0-4 and rounded to whole numbers. Where K is estimated, tables with
  fewer than 60 distinct rows are fitted as given (``copies.MIN_ROWS_TO_ESTIMATE_K``): that
  rule was chosen on this family at seed 0; ``--first-seed 50`` checks it on fresh draws.

Reported per family: the share of rows that are copies, how often K (estimated without
anchors) is exact, the ARI with K estimated, with K given, and at 1 and 3 anchors per
cluster (the protocol's anchor draw, seed 0); K-means (K given, ``n_init=10``).

    python -m pfn_core.bench.copies --threads 2

Legend: N=rows, D=columns.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from pfn_core.bench.cliffs import prior_draw
from pfn_core.bench.datasets import apply_threads
from pfn_core.bench.protocol import draw_anchors, partial_labels, score_without_anchors
from pfn_core.estimator import PFNClusterer
from pfn_core.prior import FAMILIES

PRIOR_FIRST_SEED = 7700
VARIANTS = {"model": {}, "model, every copy fitted": {"merge_copies": False}}


def survey_table(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """-> X (N, D) answers 1..5, y (N,) the group of each respondent"""
    n_groups = int(rng.integers(2, 6))
    n_questions = int(rng.integers(6, 13))
    y = rng.integers(0, n_groups, int(rng.integers(500, 3001)))
    means = rng.uniform(1, 5, (n_groups, n_questions))
    X = np.clip(np.round(means[y] + rng.normal(0, 0.8, (len(y), n_questions))), 1, 5)
    return X, y


def rounded(X: np.ndarray) -> np.ndarray:
    """Each column rescaled to 0..4 and rounded to whole numbers. (N, D) -> (N, D)"""
    low, high = X.min(0), X.max(0)
    return np.round(4 * (X - low) / np.where(high > low, high - low, 1.0))


def score_table(X: np.ndarray, y: np.ndarray) -> dict:
    """-> {measure: value} for every variant and K-means (see the module's docstring)"""
    k = len(np.unique(y))
    out = {"copies": 1 - len(np.unique(X, axis=0)) / len(X),
           "K-means": adjusted_rand_score(y, KMeans(k, n_init=10, random_state=0).fit_predict(X))}
    for name, settings in VARIANTS.items():
        found = PFNClusterer(**settings).fit(X)
        out[f"{name}: K exact"] = float(found.n_clusters_ == k)
        out[f"{name}: K estimated"] = adjusted_rand_score(y, found.labels_)
        out[f"{name}: K given"] = adjusted_rand_score(
            y, PFNClusterer(n_clusters=k, **settings).fit_predict(X))
        for level in (1, 3):
            anchors = draw_anchors(y, level, 0)
            labels = PFNClusterer(**settings).fit_predict(X, partial_labels(y, anchors))
            out[f"{name}: {level} anchor"] = score_without_anchors(y, labels, anchors)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.copies",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=16, help="survey tables (seeds 0..)")
    parser.add_argument("--prior-draws", type=int, default=2, help="draws per prior family")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="survey seeds first.., prior seeds shifted by it (default 0)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    apply_threads(args)
    first = args.first_seed
    families = {"survey": [score_table(*survey_table(np.random.default_rng(seed)))
                           for seed in range(first, first + args.tables)]}
    prior = []
    for index, draw in enumerate(FAMILIES.values()):
        for j in range(args.prior_draws):
            X, y = prior_draw(draw, PRIOR_FIRST_SEED + first + 100 * index + j)
            prior.append(score_table(rounded(X), y))
    families["rounded prior draws"] = prior
    measures = ["K exact", "K estimated", "K given", "1 anchor", "3 anchor"]
    lines = ["| family | tables | copies | method | K exact | ARI, K estimated | ARI, K given | "
             "ARI, 1 anchor per cluster | ARI, 3 anchors per cluster |",
             "|---|---|---|---|---|---|---|---|---|"]
    for family, scores in families.items():
        copies = statistics.mean(s["copies"] for s in scores)
        for name in VARIANTS:
            means = [statistics.mean(s[f"{name}: {m}"] for s in scores) for m in measures]
            lines.append(f"| {family} | {len(scores)} | {copies:.0%} | {name} | "
                         f"{means[0]:.0%} | " + " | ".join(f"{v:.3f}" for v in means[1:]) + " |")
        kmeans = statistics.mean(s["K-means"] for s in scores)
        lines.append(f"| {family} | {len(scores)} | {copies:.0%} | K-means (K given) | | | "
                     f"{kmeans:.3f} | | |")
    print("Tables full of identical rows, mean over tables:\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
