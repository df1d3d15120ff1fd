"""Preprocessing shared by training and inference.

One pipeline, applied identically to synthetic training tasks and to user data:

1. ``validate_features``: any array-like or DataFrame -> float64 (N, D). Refuses empty input,
   a single row, non-numeric columns (named, with an example value) and infinities (column
   named). NaN is allowed here.
2. ``impute_and_standardize``: NaN -> column median; columns that are constant (or all NaN)
   are dropped; every remaining column is z-scored.  (N, D) -> (N, D')
   With ``scale_columns=False`` the columns are centred and all divided by one common
   factor instead, for tables whose columns already share a unit (pixels, coordinates in
   metres, principal components): z-scoring those would give a faint direction as much
   weight as a strong one (it whitens principal components).
   ``scale_columns="auto"`` (``resolve_column_scaling``) keeps one common unit when the
   columns are mutually uncorrelated (the fingerprint of principal components, or of
   coordinates measured in one unit), and z-scores every other table.
3. ``principal_axes``: PCA rotation of the standardised data, components sorted by variance,
   signs fixed so the largest loading is positive (deterministic).
4. ``model_views``: the two views the model reads:
   - ``features`` (N, input_dim): the first ``input_dim`` principal components, scaled so the
     first has unit variance, zero-padded when fewer columns exist.
   - ``geometry`` (N, G): the first ``geometry_dim`` principal components at their natural
     scale, from which attention distances are computed (distances keep up to 64 directions
     even when the token features are narrower).

Inference adds one step that training does not have: once the anchors average at least 5
per class, ``pfn_core.anchor_metric`` re-expresses the geometry in the anchors' own metric
and both views are rebuilt from it (``views_from_axes``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

GEOMETRY_DIM = 64
AUTO_MAX_CORRELATION = 0.05  # "auto": columns this uncorrelated keep one common unit
AUTO_MIN_SPREAD_RATIO = 1.5  # ... when their spreads differ (else both scalings agree)
AUTO_SAMPLE_ROWS = 20000  # correlations are measured on at most this many rows
SCALINGS = {True: "z-score", False: "common unit"}
MAX_Z = 1e6  # standardised values are bounded by this many standard deviations
# Columns whose largest magnitude lies within 1/SAFE_MAGNITUDE..SAFE_MAGNITUDE have sums and
# squares far from float64's overflow and subnormal range: their moments need no rescaling.
SAFE_MAGNITUDE = 1e100
SVD_MAX_ROWS = 100_000  # longer tables find their principal axes from the scatter matrix,
SVD_MAX_COLUMNS = 64  # and so do wider ones (an SVD of 100,000 x 384 took 6.4 s, eigh 0.5 s)


def _column_names(X) -> list[str]:
    columns = getattr(X, "columns", None)
    if columns is not None:
        return [str(c) for c in columns]
    return [f"column {i}" for i in range(np.shape(X)[1])] if np.ndim(X) == 2 else []


def validate_features(X, min_rows: int = 2) -> np.ndarray:
    """Check user features and return them as float64 (N, D). NaN passes; inf does not.
    `min_rows`: 2 to cluster, 1 to score new rows with a fitted clusterer."""
    names = _column_names(X)
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiub" and X.ndim == 2:
        raw = X  # numeric already: skip the per-value check (1,000,000 x 16 as objects: 0.5 GB)
    else:
        raw = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=object)
    if raw.size == 0:
        rows = "two rows" if min_rows > 1 else "one row"
        raise ValueError(f"X is empty: pass at least {rows} and one numeric column.")
    if raw.ndim == 1:
        raise ValueError(
            "X is 1-D: pass a 2-D table of shape (n_rows, n_columns); "
            "for a single feature use X.reshape(-1, 1)."
        )
    if raw.ndim != 2:
        raise ValueError(f"X must be 2-D (n_rows, n_columns), got {raw.ndim} dimensions.")
    if raw.shape[0] < min_rows:
        raise ValueError("X has a single row: clustering needs at least two rows.")
    names = names or [f"column {i}" for i in range(raw.shape[1])]
    if raw.dtype != object:
        out = raw.astype(np.float64)  # a copy: the caller's array is never written into
        _refuse_infinities(out, names)
        return out
    out = np.empty(raw.shape, dtype=np.float64)
    for j in range(raw.shape[1]):
        column = raw[:, j]
        try:
            out[:, j] = column.astype(np.float64)
        except (TypeError, ValueError):
            bad = [v for v in column if not _is_number(v)]
            raise ValueError(
                f"{names[j]!r} has {counted(len(bad), 'non-numeric value')}, e.g. {bad[0]!r}; "
                "pick numeric columns or clean them."
            ) from None
    _refuse_infinities(out, names)
    return out


def counted(n: int, noun: str) -> str:
    """`n` and `noun`, plural unless n is 1: "1 value", "3 values"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _refuse_infinities(out: np.ndarray, names: list[str]) -> None:
    infinite = np.isinf(out)
    if infinite.any():
        j = int(np.argmax(infinite.any(0)))
        raise ValueError(
            f"{names[j]!r} has {counted(int(infinite[:, j].sum()), 'infinite value')}; "
            "replace infinities (e.g. with NaN, which is imputed) or drop the column."
        )


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def resolve_column_scaling(X: np.ndarray, scale_columns: bool | str) -> bool:
    """The scaling to use: `scale_columns` itself when it is a bool; for "auto", False (one
    common unit) when the varying columns are mutually uncorrelated (every pairwise
    |correlation| below ``AUTO_MAX_CORRELATION``) and their spreads differ by more than
    ``AUTO_MIN_SPREAD_RATIO``, else True (z-score).

    Why: principal components (and other already-rotated tables) are uncorrelated by
    construction and carry their importance in their spread, which z-scoring would erase
    (the faint, noisy components would count as much as the first). Columns in different
    units are what z-scoring is for, and real columns in different units are almost always
    correlated through the very structure that makes clusters. When in doubt (few rows, so
    that chance correlations exceed the bound), z-scoring, the long-standing default, wins.

    X (N, D) validated float64, NaN allowed -> True to z-score each column."""
    if isinstance(scale_columns, (bool, np.bool_)):
        return bool(scale_columns)
    if scale_columns != "auto":
        raise ValueError(f"scale_columns must be True, False or 'auto', got {scale_columns!r}.")
    rows = X if len(X) <= AUTO_SAMPLE_ROWS else X[:: int(np.ceil(len(X) / AUTO_SAMPLE_ROWS))]
    standardizer = fit_standardizer(rows, scale_columns=True)
    Z = standardizer.apply(rows)
    if Z.shape[1] < 2:
        return True
    spread = standardizer.divisor  # the varying columns' standard deviations
    if spread.max() < AUTO_MIN_SPREAD_RATIO * spread.min():
        return True
    correlation = (Z.T @ Z) / len(Z)
    np.fill_diagonal(correlation, 0.0)
    return bool(np.abs(correlation).max() >= AUTO_MAX_CORRELATION)


def impute_and_standardize(X: np.ndarray, scale_columns: bool = True) -> np.ndarray:
    """NaN -> column median, drop constant columns, z-score.  (N, D) -> (N, D').

    scale_columns=False: centre the columns and divide them all by their root-mean-square
    standard deviation, so that their relative spreads are kept.
    When every column is constant the result has a single zero column (all points equal)."""
    return fit_standardizer(X, scale_columns).apply(X)


@dataclass(frozen=True)
class Standardizer:
    """Step 2, fitted: medians (D,) fill NaN, keep (D,) the non-constant columns, then
    (x - mean) / divisor with mean (D',) and divisor (D',) (a common factor repeated when the
    columns share one unit). keep all False: every column was constant."""

    medians: np.ndarray
    keep: np.ndarray
    mean: np.ndarray
    divisor: np.ndarray

    def apply(self, X: np.ndarray) -> np.ndarray:
        """(N, D) -> (N, D') float64, as the table it was fitted on was transformed."""
        if not self.keep.any():
            return np.zeros((np.shape(X)[0], 1))
        # One copy of the kept columns, transformed in place (a 100,000 x 384 table: 300 MB
        # each extra copy).
        X = np.asarray(X)
        X = np.array(X if self.keep.all() else X[:, self.keep], dtype=np.float64, copy=True)
        if np.isnan(X).any():
            rows, cols = np.nonzero(np.isnan(X))
            X[rows, cols] = self.medians[self.keep][cols]
        X -= self.mean
        X /= self.divisor
        # A fitted table's own values lie within sqrt(N) standard deviations of the mean, so
        # the bound only reaches new rows far outside it (e.g. 1e300 where the table held
        # ones): they stay the farthest of rows instead of overflowing float32 to inf.
        return np.clip(X, -MAX_Z, MAX_Z, out=X)


def fit_standardizer(X: np.ndarray, scale_columns: bool = True) -> Standardizer:
    """Learn step 2 from X (N, D) (see ``impute_and_standardize``)."""
    X = np.array(X, dtype=np.float64, copy=True)
    medians = np.zeros(X.shape[1])
    if np.isnan(X).any():
        with warnings.catch_warnings():  # an all-NaN column: its median is NaN, then 0
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nanmedian(X, axis=0)
        medians = np.where(np.isnan(medians), 0.0, medians)
        rows, cols = np.nonzero(np.isnan(X))
        X[rows, cols] = medians[cols]
    mean, std = _column_moments(X)
    keep = std > 1e-12 * np.abs(X).max(axis=0)  # constant at the column's own magnitude
    if not keep.any():
        return Standardizer(medians, keep, np.zeros(0), np.ones(0))
    std = std[keep]
    unit = 2.0 ** np.round(np.log2(std.max()))  # the common factor, free of overflow
    divisor = std if scale_columns else np.full(len(std), unit * np.sqrt(np.mean((std / unit)**2)))
    return Standardizer(medians, keep, mean[keep], divisor)


def _column_moments(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and standard deviation, (N, D) -> ((D,), (D,)), exact at any
    magnitude: each column is first divided by a power of two near its largest value, which
    changes no bit of the result where numpy's own sums neither overflow nor underflow, and
    keeps values of 1e300 (whose squares overflow) or 1e-300 (whose squares vanish) usable."""
    largest = np.maximum(X.max(axis=0), -X.min(axis=0))
    if np.all((largest < SAFE_MAGNITUDE) & ((largest > 1 / SAFE_MAGNITUDE) | (largest == 0))):
        return X.mean(axis=0), X.std(axis=0)  # the same bits, without a scaled copy
    scale = 2.0 ** np.round(np.log2(np.where(largest > 0, largest, 1.0)))
    scaled = X / scale
    return scaled.mean(axis=0) * scale, scaled.std(axis=0) * scale


@dataclass(frozen=True)
class Rotation:
    """Steps 3-4, fitted: (z - center) @ rotation.T gives the principal components, center
    (C_in,), rotation (C, C_in); features divide the first `input_dim` of them by
    first_std and pad with zeros; the geometry keeps the first `geometry_dim`."""

    center: np.ndarray
    rotation: np.ndarray
    first_std: float
    input_dim: int
    geometry_dim: int

    def apply(self, Z: np.ndarray):
        """(N, C_in) -> (features (N, input_dim), geometry (N, G)) float32."""
        rotated = (Z - self.center) @ self.rotation.T
        return _views(rotated, self.input_dim, self.geometry_dim, self.first_std)


def principal_axes(Z: np.ndarray, n_components: int) -> np.ndarray:
    """Project centred Z onto its top principal axes with deterministic signs.

    Z: (N, D) -> (N, min(n_components, D, N))"""
    center, rotation = _principal_rotation(Z, n_components)
    return (Z - center) @ rotation.T


def _principal_rotation(Z: np.ndarray, n_components: int):
    """-> (center (D,), rotation (C, D)) of ``principal_axes``."""
    center = Z.mean(axis=0)
    centred = Z - center
    if len(Z) <= SVD_MAX_ROWS and Z.shape[1] <= SVD_MAX_COLUMNS:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
    else:
        # The right singular vectors are the eigenvectors of the (D, D) scatter matrix: the
        # same axes (to 1e-14 on a 1,000,000 x 16 table) for 50 times less work (1.1 s ->
        # 0.02 s there; 10 times less at 100,000 x 384). Only the sign rule below can tell
        # them apart, where two components of an axis tie in size (e.g. two z-scored
        # columns), so shorter and narrower tables keep the SVD (every benchmark table has
        # at most 50 columns once the protocol's PCA has run).
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
        vt = eigenvectors[:, np.argsort(-eigenvalues, kind="stable")].T
    vt = vt[:min(n_components, len(Z))]
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    signs[signs == 0] = 1.0
    return center, vt * signs[:, None]


def fit_rotation(Z: np.ndarray, input_dim: int, geometry_dim: int = GEOMETRY_DIM,
                 n_components: int | None = None) -> tuple[Rotation, tuple]:
    """Learn steps 3-4 from Z (N, C_in) and apply them.
    -> (Rotation, (features (N, input_dim), geometry (N, G)))"""
    n_components = max(input_dim, geometry_dim) if n_components is None else n_components
    center, rotation = _principal_rotation(Z, n_components)
    rotated = (Z - center) @ rotation.T
    first_std = float(rotated[:, 0].std()) if rotated.shape[1] else 1.0
    step = Rotation(center, rotation, first_std, input_dim, geometry_dim)
    return step, _views(rotated, input_dim, geometry_dim, first_std)


def model_views(X: np.ndarray, input_dim: int, geometry_dim: int = GEOMETRY_DIM,
                scale_columns: bool = True):
    """Preprocess raw numeric X into (features (N, input_dim), geometry (N, G)), float32.
    `scale_columns`: see ``impute_and_standardize``."""
    return fit_model_views(X, input_dim, geometry_dim, scale_columns)[1]


def fit_model_views(X: np.ndarray, input_dim: int, geometry_dim: int = GEOMETRY_DIM,
                    scale_columns: bool = True):
    """``model_views`` and the fitted steps that give the same views of new rows.
    -> ((Standardizer, Rotation), (features (N, input_dim), geometry (N, G)))"""
    standardizer = fit_standardizer(X, scale_columns)
    rotation, views = fit_rotation(standardizer.apply(X), input_dim, geometry_dim)
    return (standardizer, rotation), views


def transform_views(steps: tuple, X: np.ndarray):
    """New rows through fitted steps (``fit_model_views``' Standardizer and Rotation, then any
    ``anchor_metric.MetricStep``): validated X (N, D) -> (features (N, input_dim),
    geometry (N, G)), the views the fitted table's own rows got."""
    standardizer, rotation, *metric = steps
    views = rotation.apply(standardizer.apply(X))
    for step in metric:
        views = step.apply(views[1])
    return views


def views_from_axes(rotated: np.ndarray, input_dim: int, geometry_dim: int = GEOMETRY_DIM):
    """Principal components (N, C) at their natural scale, sorted by variance ->
    (features (N, input_dim), geometry (N, min(C, geometry_dim))), float32."""
    first_std = rotated[:, 0].std() if rotated.shape[1] else 1.0
    return _views(rotated, input_dim, geometry_dim, first_std)


def _views(rotated: np.ndarray, input_dim: int, geometry_dim: int, first_std: float):
    geometry = rotated[:, :geometry_dim].astype(np.float32)
    scaled = rotated[:, :input_dim] / max(first_std, 1e-12)  # float64, then rounded once
    features = np.zeros((rotated.shape[0], input_dim), dtype=np.float32)
    features[:, : scaled.shape[1]] = scaled
    return features, geometry
