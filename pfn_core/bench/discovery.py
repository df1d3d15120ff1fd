"""``python -m pfn_core.bench.discovery``: how many clusters, with no anchors and no K.

On every dataset of the dev suite (the protocol's standardisation, noise dropped), each
method picks its own K and clusters the table:

- model: ``PFNClusterer(n_clusters=None)``, K from its own confusion (``pfn_core.discovery``);
- HDBSCAN: its own K (noise scored as one more cluster, as in the protocol's baselines);
- GMM (BIC): ``GaussianMixture(K)`` for K in 2..32, the lowest BIC kept;
- K-means (silhouette): ``KMeans(K, n_init=10)`` for K in 2..32, the highest silhouette
  (computed on at most 2,000 rows, ``random_state=seed``) kept.

Reported per method: how often K is exact and within one of the reference K, and the mean
ARI (every row scored: there are no anchors). The model and HDBSCAN are deterministic; GMM
and K-means use ``random_state=seed`` (seed 0 unless ``--seeds`` says otherwise, and the
mean over seeds is reported). Needs ``../shared`` (skipped with a message when absent).

    python -m pfn_core.bench.discovery --threads 1
    python -m pfn_core.bench.discovery --datasets fcps/hepta other/iris --methods model
"""

from __future__ import annotations

import json
import statistics
import time
import warnings

import numpy as np
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture

from pfn_core.bench.datasets import load_dataset, open_suite, suite_parser
from pfn_core.bench.protocol import standardize_for_protocol
from pfn_core.discovery import MAX_CLUSTERS
from pfn_core.estimator import PFNClusterer

METHODS = ("model", "hdbscan", "gmm_bic", "kmeans_silhouette")
LABELS = {"model": "model (own K)", "hdbscan": "HDBSCAN (own K)", "gmm_bic": "GMM, K by BIC",
          "kmeans_silhouette": "K-means, K by silhouette"}
SILHOUETTE_ROWS = 2000


def candidate_ks(n_rows: int, max_clusters: int = MAX_CLUSTERS) -> range:
    """The K tried by the baselines that scan K: 2..max_clusters, at most n_rows - 1."""
    return range(2, max(2, min(max_clusters, n_rows - 1)) + 1)


def gmm_bic(X: np.ndarray, seed: int) -> np.ndarray:
    """Labels (N,) of the Gaussian mixture with the lowest BIC over ``candidate_ks``."""
    best, best_bic = None, np.inf
    for k in candidate_ks(len(X)):
        model = GaussianMixture(k, random_state=seed).fit(X)
        bic = model.bic(X)
        if bic < best_bic:
            best, best_bic = model.predict(X), bic
    return best


def kmeans_silhouette(X: np.ndarray, seed: int) -> np.ndarray:
    """Labels (N,) of the K-means with the highest silhouette over ``candidate_ks``."""
    best, best_score = None, -np.inf
    sample = min(SILHOUETTE_ROWS, len(X))
    for k in candidate_ks(len(X)):
        labels = KMeans(k, n_init=10, random_state=seed).fit_predict(X)
        if len(np.unique(labels)) < 2:
            continue
        score = silhouette_score(X, labels, sample_size=sample, random_state=seed)
        if score > best_score:
            best, best_score = labels, score
    return best


def run_method(method: str, X: np.ndarray, seed: int) -> tuple[np.ndarray, dict | None]:
    """-> (labels (N,), the model's evidence per K or None)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "model":
            est = PFNClusterer(scale_columns=False).fit(X)
            return est.labels_, est.n_clusters_scores_
        if method == "hdbscan":
            return HDBSCAN(copy=True).fit_predict(X), None
        if method == "gmm_bic":
            return gmm_bic(X, seed), None
        if method == "kmeans_silhouette":
            return kmeans_silhouette(X, seed), None
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}.")


def score_dataset(name: str, X, y, methods, seeds) -> list[dict]:
    """One record per (method, seed) on one dataset: K found, ARI, seconds."""
    X = standardize_for_protocol(X)
    true_k = len(np.unique(y))
    records = []
    for method in methods:
        for seed in (seeds if method in ("gmm_bic", "kmeans_silhouette") else seeds[:1]):
            started = time.perf_counter()
            labels, evidence = run_method(method, X, seed)
            records.append({
                "dataset": name, "method": method, "seed": int(seed), "true_k": true_k,
                "k": int(len(np.unique(labels))), "ari": float(adjusted_rand_score(y, labels)),
                "seconds": time.perf_counter() - started, "n_rows": int(len(X)),
                "evidence": evidence,
            })
    return records


def summarise(records: list[dict], methods) -> list[str]:
    """Markdown table: per method, exact K, within one, mean ARI, over datasets (seeds
    averaged first)."""
    lines = ["| method | K exact | K within one | mean ARI |", "|---|---|---|---|"]
    for method in methods:
        per_dataset: dict[str, list[dict]] = {}
        for r in records:
            if r["method"] == method:
                per_dataset.setdefault(r["dataset"], []).append(r)
        if not per_dataset:
            continue
        exact = statistics.mean(
            statistics.mean(r["k"] == r["true_k"] for r in rs) for rs in per_dataset.values())
        within = statistics.mean(
            statistics.mean(abs(r["k"] - r["true_k"]) <= 1 for r in rs)
            for rs in per_dataset.values())
        ari = statistics.mean(statistics.mean(r["ari"] for r in rs)
                              for rs in per_dataset.values())
        n = len(per_dataset)
        lines.append(f"| {LABELS[method]} | {exact * n:.0f} / {n} | {within * n:.0f} / {n} | "
                     f"{ari:.3f} |")
    return lines


def per_dataset_table(records: list[dict], methods) -> list[str]:
    """Markdown table: per dataset, the reference K and each method's K (ARI)."""
    lines = ["| dataset | K | " + " | ".join(LABELS[m] for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    names = list(dict.fromkeys(r["dataset"] for r in records))
    for name in names:
        cells = []
        true_k = next(r["true_k"] for r in records if r["dataset"] == name)
        for method in methods:
            rs = [r for r in records if r["dataset"] == name and r["method"] == method]
            if not rs:
                cells.append("")
                continue
            ks = "/".join(str(r["k"]) for r in rs)
            cells.append(f"{ks} ({statistics.mean(r['ari'] for r in rs):.2f})")
        lines.append(f"| {name} | {true_k} | " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    parser = suite_parser("python -m pfn_core.bench.discovery", __doc__, seeds=(0,))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    args = parser.parse_args(argv)
    suite = open_suite(args)
    if suite is None:
        return 0
    root, names = suite
    records: list[dict] = []
    for name in names:
        X, y = load_dataset(name, root)
        records.extend(score_dataset(name, X, y, args.methods, args.seeds))
        if args.results_json:
            with open(args.results_json, "w") as handle:
                json.dump({"records": records}, handle)
    print("How many clusters (no anchors, no K), dev suite:\n")
    print("\n".join(summarise(records, args.methods)))
    print()
    print("\n".join(per_dataset_table(records, args.methods)))
    model_times = [r["seconds"] for r in records if r["method"] == "model"]
    if model_times:
        print(f"\nmodel: median {statistics.median(model_times):.2f} s per table, "
              f"max {max(model_times):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
