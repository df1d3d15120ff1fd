"""Classical baselines next to the PFN, label matching so colours line up, and scores.

Labels are never assumed to be 0..K-1: they may be strings, ints or a mix (e.g. HDBSCAN's
"noise"); everything is factorised first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn import metrics
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.semi_supervised import LabelSpreading

from pfn_core.preprocessing import impute_and_standardize

NOISE = "noise"
MAX_ROWS_WARD = 10_000  # Ward linkage needs O(N^2) memory; skipped above this
KMEANS_SAMPLE_ABOVE = 20_000  # rows; larger tables fit K-means on a sample, then assign all
KMEANS_SAMPLE_ROWS = 10_000


def _codes(labels) -> np.ndarray:
    """Any labels (N,) -> int codes (N,), equal labels equal codes."""
    return pd.factorize(pd.Series(np.asarray(labels, dtype=object)), use_na_sentinel=False)[0]


def _same_length(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"label arrays must be 1-D of equal length, got {a.shape} and {b.shape}.")
    return a, b


def match_labels(reference, other, prefix: str = "k-means") -> np.ndarray:
    """Rename ``other``'s clusters to ``reference``'s label values so the colours line up.

    reference (N,), other (N,) -> (N,). The Hungarian method on the contingency table pairs
    each cluster of ``other`` with at most one reference label, maximising overlapping rows.
    Clusters left over (``other`` has more clusters) become strings f"{prefix} {original}",
    e.g. "k-means 7". The result has ``reference``'s dtype when every cluster was matched,
    object dtype otherwise.
    """
    reference_dtype = np.asarray(reference).dtype
    reference, other = _same_length(reference, other)
    ref_codes, other_codes = _codes(reference), _codes(other)
    ref_first = np.unique(ref_codes, return_index=True)[1]  # (R,) first row of each label
    other_first = np.unique(other_codes, return_index=True)[1]  # (C,)
    table = np.zeros((len(ref_first), len(other_first)))  # (R, C) contingency counts
    np.add.at(table, (ref_codes, other_codes), 1)
    rows, cols = linear_sum_assignment(-table)
    names = {c: f"{prefix} {other[first]}" for c, first in enumerate(other_first)}
    names.update({c: reference[ref_first[r]] for r, c in zip(rows, cols, strict=True)})
    lookup = np.empty(len(other_first), dtype=object)  # (C,) new name of each cluster
    lookup[:] = [names[c] for c in range(len(other_first))]
    result = lookup[other_codes]
    if len(cols) < len(other_first) or reference_dtype.kind == "O":
        return result
    return result.astype(reference_dtype)


def _standardized(X, scale_columns: bool = True) -> np.ndarray:
    return impute_and_standardize(np.asarray(X, dtype=np.float64), scale_columns)


def _check_n_clusters(n_clusters: int, n_rows: int) -> None:
    if not 1 <= n_clusters <= n_rows:
        raise ValueError(
            f"n_clusters must be between 1 and the number of rows ({n_rows}), got {n_clusters}."
        )


def kmeans_labels(X, n_clusters: int, seed: int = 0, scale_columns: bool = True) -> np.ndarray:
    """K-means on median-imputed, z-scored X (or, with scale_columns=False, centred X in one
    common unit, as ``PFNClusterer(scale_columns=False)`` sees it).
    X (N, D) -> labels (N,) int64 in 0..K-1. Above ``KMEANS_SAMPLE_ABOVE`` rows the centroids
    are fitted on ``KMEANS_SAMPLE_ROWS`` rows drawn with ``seed`` and every row goes to its
    nearest centroid (the studio redraws K-means on each new label; 10 starts on 100,000 rows
    took seconds)."""
    Z = _standardized(X, scale_columns)
    if Z.shape[0] <= KMEANS_SAMPLE_ABOVE:
        return _kmeans(Z, n_clusters, seed)
    sample = np.random.default_rng(seed).choice(Z.shape[0], KMEANS_SAMPLE_ROWS, replace=False)
    _check_n_clusters(n_clusters, KMEANS_SAMPLE_ROWS)
    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit(Z[sample])
    return model.predict(Z).astype(np.int64)


def _kmeans(Z: np.ndarray, n_clusters: int, seed: int) -> np.ndarray:
    """K-means on already prepared Z (N, D') -> labels (N,) int64."""
    _check_n_clusters(n_clusters, Z.shape[0])
    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed)
    return model.fit_predict(Z).astype(np.int64)


def agreement(a, b) -> float:
    """Adjusted Rand index between two labelings (1 = identical up to renaming)."""
    a, b = _same_length(a, b)
    return float(metrics.adjusted_rand_score(_codes(a), _codes(b)))


def scores_against_truth(truth, predicted) -> dict[str, float]:
    """ARI, NMI and V-measure of ``predicted`` against ``truth``; rows with no truth are skipped."""
    truth, predicted = _same_length(truth, predicted)
    known = pd.notna(pd.Series(truth)).to_numpy()
    t, p = _codes(truth[known]), _codes(predicted[known])
    return {
        "ARI": float(metrics.adjusted_rand_score(t, p)),
        "NMI": float(metrics.normalized_mutual_info_score(t, p)),
        "V-measure": float(metrics.v_measure_score(t, p)),
    }


def expected_share_right(confidence, anchor_rows) -> float | None:
    """The model's own estimate of the share of unlabelled rows it clusters right: the mean
    confidence of the rows that are not anchors, which is that share in expectation when
    the confidence is calibrated (``pfn_core.calibration``). None without anchors (the
    clusters have no names yet to be right about) or when every row is an anchor.

    confidence (N,), anchor_rows: row ids of the anchors -> float in [0, 1] or None"""
    confidence = np.asarray(confidence, dtype=np.float64)
    is_free = np.ones(len(confidence), dtype=bool)
    is_free[np.asarray(list(anchor_rows), dtype=np.int64)] = False
    if len(is_free) == is_free.sum() or not is_free.any():
        return None
    return float(confidence[is_free].mean())


def cluster_sizes(labels) -> pd.DataFrame:
    """One row per label with its number of rows, largest first: columns label, count."""
    counts = pd.Series(np.asarray(labels, dtype=object)).value_counts(sort=True, dropna=False)
    return pd.DataFrame({"label": counts.index.to_list(), "count": counts.to_numpy()})


def _hdbscan(Z: np.ndarray) -> np.ndarray:
    min_cluster_size = max(5, round(0.02 * Z.shape[0]))
    model = HDBSCAN(min_cluster_size=min(min_cluster_size, max(2, Z.shape[0])), copy=True)
    labels = model.fit_predict(Z)  # (N,) int, -1 = noise
    return np.array([NOISE if v == -1 else int(v) for v in labels], dtype=object)


def _is_unlabelled(value) -> bool:
    """-1 (any numeric type), None or NaN mark a row without an anchor."""
    if value is None or isinstance(value, (str, bool, np.bool_)):
        return value is None
    return bool(pd.isna(value) or value == -1)


def _label_spreading(Z: np.ndarray, anchors_y: np.ndarray) -> np.ndarray | None:
    labelled = np.array([not _is_unlabelled(v) for v in anchors_y], dtype=bool)
    names, codes = np.unique(anchors_y[labelled].astype(str), return_inverse=True)
    if len(names) < 2:
        return None
    y = np.full(len(anchors_y), -1)
    y[labelled] = codes
    model = LabelSpreading(kernel="knn", n_neighbors=min(10, len(y) - 1), max_iter=100)
    model.fit(Z, y)
    return names[model.transduction_].astype(object)


def classical_methods(X, anchors_y, n_clusters: int, seed: int = 0,
                      scale_columns: bool = True) -> dict[str, np.ndarray]:
    """Run the classical baselines on median-imputed, z-scored X (N, D) (or centred X in one
    common unit with scale_columns=False); each gives (N,) labels.

    "K-means", "Gaussian mixture", "Agglomerative (Ward)" (skipped above MAX_ROWS_WARD rows),
    "HDBSCAN" (noise points get the label "noise") and "Label spreading" (uses the anchors in
    ``anchors_y`` (N,), -1 = unlabelled; skipped unless anchors carry at least two labels).
    """
    Z = _standardized(X, scale_columns)
    anchors_y = np.asarray(anchors_y, dtype=object)
    if anchors_y.shape != (Z.shape[0],):
        raise ValueError(
            f"anchors_y must have one entry per row ({Z.shape[0]}), got {anchors_y.shape}."
        )
    _check_n_clusters(n_clusters, Z.shape[0])
    results = {"K-means": _kmeans(Z, n_clusters, seed)}  # Z is prepared already
    mixture = GaussianMixture(n_components=n_clusters, reg_covar=1e-3, random_state=seed)
    results["Gaussian mixture"] = mixture.fit_predict(Z).astype(np.int64)
    if Z.shape[0] <= MAX_ROWS_WARD:
        ward = AgglomerativeClustering(n_clusters=n_clusters, linkage="ward")
        results["Agglomerative (Ward)"] = ward.fit_predict(Z).astype(np.int64)
    results["HDBSCAN"] = _hdbscan(Z)
    spread = _label_spreading(Z, anchors_y)
    if spread is not None:
        results["Label spreading"] = spread
    return results


def method_table(results: dict[str, np.ndarray], truth=None, reference=None) -> pd.DataFrame:
    """One row per method: method, n_clusters (without "noise"), "agreement (ARI)" with
    ``reference`` (when given) and ARI / NMI / V-measure against ``truth`` (when given)."""
    rows = []
    for name, labels in results.items():
        distinct = {str(v) for v in np.asarray(labels, dtype=object)} - {NOISE}
        row = {"method": name, "n_clusters": len(distinct)}
        if reference is not None:
            row["agreement (ARI)"] = agreement(reference, labels)
        if truth is not None:
            row.update(scores_against_truth(truth, labels))
        rows.append(row)
    return pd.DataFrame(rows)
