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

import numpy as np

GEOMETRY_DIM = 64
AUTO_MAX_CORRELATION = 0.05  # "auto": columns this uncorrelated keep one common unit
AUTO_MIN_SPREAD_RATIO = 1.5  # ... when their spreads differ (else both scalings agree)
AUTO_SAMPLE_ROWS = 20000  # correlations are measured on at most this many rows
SCALINGS = {True: "z-score", False: "common unit"}


def _column_names(X) -> list[str]:
    columns = getattr(X, "columns", None)
    if columns is not None:
        return [str(c) for c in columns]
    return [f"column {i}" for i in range(np.shape(X)[1])] if np.ndim(X) == 2 else []


def validate_features(X) -> np.ndarray:
    """Check user features and return them as float64 (N, D). NaN passes; inf does not."""
    names = _column_names(X)
    raw = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=object)
    if raw.size == 0:
        raise ValueError("X is empty: pass at least two rows and one numeric column.")
    if raw.ndim == 1:
        raise ValueError(
            "X is 1-D: pass a 2-D table of shape (n_rows, n_columns); "
            "for a single feature use X.reshape(-1, 1)."
        )
    if raw.ndim != 2:
        raise ValueError(f"X must be 2-D (n_rows, n_columns), got {raw.ndim} dimensions.")
    if raw.shape[0] < 2:
        raise ValueError("X has a single row: clustering needs at least two rows.")
    names = names or [f"column {i}" for i in range(raw.shape[1])]
    out = np.empty(raw.shape, dtype=np.float64)
    for j in range(raw.shape[1]):
        column = raw[:, j]
        try:
            out[:, j] = column.astype(np.float64)
        except (TypeError, ValueError):
            bad = [v for v in column if not _is_number(v)]
            raise ValueError(
                f"{names[j]!r} has {len(bad)} non-numeric values, e.g. {bad[0]!r}; "
                "pick numeric columns or clean them."
            ) from None
    infinite = np.isinf(out)
    if infinite.any():
        j = int(np.argmax(infinite.any(0)))
        raise ValueError(
            f"{names[j]!r} has {int(infinite[:, j].sum())} infinite values; "
            "replace them (e.g. with NaN, which is imputed) or drop the column."
        )
    return out


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
    Z = impute_and_standardize(rows, scale_columns=True)
    if Z.shape[1] < 2:
        return True
    spread = impute_and_standardize(rows, scale_columns=False).std(0)
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
    X = np.array(X, dtype=np.float64, copy=True)
    with np.errstate(all="ignore"):
        medians = np.nanmedian(X, axis=0) if np.isnan(X).any() else None
    if medians is not None:
        medians = np.where(np.isnan(medians), 0.0, medians)
        rows, cols = np.nonzero(np.isnan(X))
        X[rows, cols] = medians[cols]
    std = X.std(axis=0)
    keep = std > 1e-12 * np.maximum(1.0, np.abs(X).max(axis=0))
    if not keep.any():
        return np.zeros((X.shape[0], 1))
    X, std = X[:, keep], std[keep]
    divisor = std if scale_columns else np.sqrt(np.mean(std**2))
    return (X - X.mean(axis=0)) / divisor


def principal_axes(Z: np.ndarray, n_components: int) -> np.ndarray:
    """Project centred Z onto its top principal axes with deterministic signs.

    Z: (N, D) -> (N, min(n_components, D, N))"""
    centred = Z - Z.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    vt = vt[:n_components]
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    signs[signs == 0] = 1.0
    return centred @ (vt * signs[:, None]).T


def model_views(X: np.ndarray, input_dim: int, geometry_dim: int = GEOMETRY_DIM,
                scale_columns: bool = True):
    """Preprocess raw numeric X into (features (N, input_dim), geometry (N, G)), float32.
    `scale_columns`: see ``impute_and_standardize``."""
    Z = impute_and_standardize(X, scale_columns)
    return views_from_axes(principal_axes(Z, max(input_dim, geometry_dim)), input_dim,
                           geometry_dim)


def views_from_axes(rotated: np.ndarray, input_dim: int, geometry_dim: int = GEOMETRY_DIM):
    """Principal components (N, C) at their natural scale, sorted by variance ->
    (features (N, input_dim), geometry (N, min(C, geometry_dim))), float32."""
    geometry = rotated[:, :geometry_dim]
    first_std = rotated[:, 0].std() if rotated.shape[1] else 1.0
    scaled = rotated[:, :input_dim] / max(first_std, 1e-12)
    features = np.zeros((rotated.shape[0], input_dim))
    features[:, : scaled.shape[1]] = scaled
    return features.astype(np.float32), geometry.astype(np.float32)
