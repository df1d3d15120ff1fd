"""The 2-D map the analyst lassos on: UMAP, PCA or two raw columns, cached in memory and on disk.

Projections are only for display: the model always clusters the full X.

- "pca": X is median-imputed and z-scored (``impute_and_standardize``), then the first two
  principal components. With a single usable column the second coordinate is zero.
- "umap": the same standardised X through ``umap.UMAP(n_components=2, random_state=seed)``.
  Falls back to "pca" when there are fewer than ``UMAP_MIN_ROWS`` rows (UMAP's neighbour graph
  is meaningless there) or at most two usable columns (the data already is a 2-D map).
  Above ``UMAP_SAMPLE_ABOVE`` rows UMAP is fitted on ``UMAP_SAMPLE_ROWS`` rows drawn with
  ``seed`` and every other row is placed at the distance-weighted mean of the map positions of
  its ``EXTEND_NEIGHBOURS`` nearest sample rows (in the standardised space), which is what
  UMAP's own ``transform`` starts from, without its optimisation epochs: 100,000 rows map in
  seconds after the sample's UMAP instead of minutes.
- "columns": the two chosen columns of X as they are, NaN replaced by the column median so
  every row can be drawn.

A result is keyed by ``projection_cache_key`` (sha256 of X's bytes and shape, the method, the
columns and the seed); a hit in memory or in ``cache_dir`` returns without recomputing. Memory
keeps the latest ``cache_bounds.MAPS`` maps; ``cache_dir`` is kept under
``cache_bounds.MAPS_DISK_BYTES``, the least recently used maps deleted first (``disk_budget``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

from pfn_core.preprocessing import impute_and_standardize
from pfn_core.studio import cache_bounds, disk_budget

METHODS = ("umap", "pca", "columns")
UMAP_MIN_ROWS = 10
UMAP_FEWER_EPOCHS_ABOVE = 20_000  # rows; larger maps use fewer optimisation epochs
UMAP_SAMPLE_ABOVE = 20_000  # rows; larger tables get UMAP on a sample, then the rest placed
UMAP_SAMPLE_ROWS = 10_000
EXTEND_NEIGHBOURS = 8
_MEMORY_LIMIT = cache_bounds.MAPS  # maps of (N, 2) float32: 16 x 0.8 MB at the limits
_memory: OrderedDict[str, np.ndarray] = OrderedDict()


def _as_matrix(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"X must be a 2-D table with at least one row and column, got shape {X.shape}."
        )
    return np.ascontiguousarray(X)


def projection_cache_key(X, method: str, columns: tuple[int, int] | None, seed: int) -> str:
    """sha256 hex digest identifying one projection of one X."""
    X = _as_matrix(X)
    digest = hashlib.sha256()
    digest.update(X.tobytes())
    chosen = None if columns is None else tuple(int(c) for c in columns)
    digest.update(repr((X.shape, method, chosen, int(seed))).encode())
    return digest.hexdigest()


def _pad_to_two(Y: np.ndarray) -> np.ndarray:
    """(N, d) with d <= 2 -> (N, 2), zeros in the missing coordinates."""
    out = np.zeros((Y.shape[0], 2))
    out[:, : min(2, Y.shape[1])] = Y[:, :2]
    return out


def _pca(X: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    Z = impute_and_standardize(X)  # (N, D')
    n_components = min(2, Z.shape[0], Z.shape[1])
    if Z.shape[0] < 2:
        return np.zeros((Z.shape[0], 2))
    return _pad_to_two(PCA(n_components=n_components, random_state=seed).fit_transform(Z))


def _umap_embedding(Z: np.ndarray, seed: int) -> np.ndarray:
    """Standardised (N, D') -> (N, 2) with umap-learn; imported lazily (numba is slow to load)."""
    import umap

    n_rows = Z.shape[0]
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(15, n_rows - 1),
        random_state=seed,
        n_epochs=100 if n_rows > UMAP_FEWER_EPOCHS_ABOVE else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_jobs overridden by random_state" and friends
        return reducer.fit_transform(Z)


def extend_map(Z_sample: np.ndarray, Y_sample: np.ndarray, Z_rest: np.ndarray,
               n_neighbors: int = EXTEND_NEIGHBOURS) -> np.ndarray:
    """Place rows on an existing map: Z_sample (S, D'), its map Y_sample (S, 2), new rows
    Z_rest (M, D') -> (M, 2), each the inverse-squared-distance-weighted mean of the map
    positions of its ``n_neighbors`` nearest sample rows (a row equal to a sample row lands on
    it)."""
    from sklearn.neighbors import NearestNeighbors

    k = min(n_neighbors, len(Z_sample))
    distance, index = NearestNeighbors(n_neighbors=k).fit(Z_sample).kneighbors(Z_rest)
    weight = 1.0 / np.maximum(distance, 1e-9) ** 2  # (M, k)
    weight /= weight.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkc->mc", weight, Y_sample[index])


def _umap_on_sample(Z: np.ndarray, seed: int, progress) -> np.ndarray:
    """UMAP on UMAP_SAMPLE_ROWS rows of Z (N, D'), the rest placed by ``extend_map``."""
    rng = np.random.default_rng(seed)
    sample = np.zeros(len(Z), dtype=bool)
    sample[rng.choice(len(Z), UMAP_SAMPLE_ROWS, replace=False)] = True
    progress(f"UMAP on a sample of {UMAP_SAMPLE_ROWS:,} rows")
    Y = np.empty((len(Z), 2))
    Y[sample] = _umap_embedding(Z[sample], seed)
    progress(f"placing the other {len(Z) - UMAP_SAMPLE_ROWS:,} rows beside their nearest "
             "sample rows")
    Y[~sample] = extend_map(Z[sample], Y[sample], Z[~sample])
    return Y


def _columns(X: np.ndarray, columns: tuple[int, int] | None) -> np.ndarray:
    if columns is None or len(columns) != 2:
        raise ValueError('method "columns" needs two column indices, e.g. columns=(0, 1).')
    bad = [c for c in columns if not 0 <= int(c) < X.shape[1]]
    if bad:
        raise ValueError(
            f"column indices {bad} are out of range; X has columns 0..{X.shape[1] - 1}."
        )
    Y = X[:, [int(columns[0]), int(columns[1])]].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column -> nanmedian NaN
        medians = np.nan_to_num(np.nanmedian(Y, axis=0))
    rows, cols = np.nonzero(np.isnan(Y))
    Y[rows, cols] = medians[cols]
    return Y


def _compute(X: np.ndarray, method: str, columns: tuple[int, int] | None, seed: int,
             progress=lambda step: None):
    """The uncached projection.  (N, D) -> (N, 2)"""
    if method == "columns":
        return _columns(X, columns)
    if method == "pca":
        return _pca(X, seed)
    Z = impute_and_standardize(X)
    if Z.shape[0] < UMAP_MIN_ROWS or Z.shape[1] <= 2:
        return _pca(X, seed)
    if Z.shape[0] > UMAP_SAMPLE_ABOVE:
        return _umap_on_sample(Z, seed, progress)
    progress(f"UMAP on {Z.shape[0]:,} rows")
    return _umap_embedding(Z, seed)


def _save_atomically(path: Path, Y: np.ndarray,
                     max_bytes: int | None = None) -> None:
    """Write Y to ``path``, then keep its folder under ``max_bytes`` (default
    ``cache_bounds.MAPS_DISK_BYTES``), the least recently used maps deleted first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(handle, "wb") as stream:
        np.save(stream, Y)
    os.replace(temporary, path)
    disk_budget.evict_oldest(path.parent, max_bytes or cache_bounds.MAPS_DISK_BYTES,
                             "*.npy")


def _load_cached(path: Path | None, n_rows: int) -> np.ndarray | None:
    """The stored (N, 2) map, or None when absent or unreadable (then it is recomputed)."""
    if path is None or not path.exists():
        return None
    try:
        Y = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    disk_budget.touch(path)
    return Y if Y.shape == (n_rows, 2) else None


def project(
    X,
    method: str,
    columns: tuple[int, int] | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    progress=None,
) -> np.ndarray:
    """Project X (N, D) to a 2-D map (N, 2) float32 for display; see the module docstring.
    ``progress(step)``, when given, is called with a short description before each long step
    of a computation (never on a cache hit).

    >>> project(np.eye(3), "pca").shape
    (3, 2)
    """
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}; choose one of {list(METHODS)}.")
    X = _as_matrix(X)
    key = projection_cache_key(X, method, columns, seed)
    if key in _memory:
        _memory.move_to_end(key)
        return _memory[key].copy()
    path = Path(cache_dir) / f"{key}.npy" if cache_dir is not None else None
    Y = _load_cached(path, X.shape[0])
    if Y is None:
        Y = np.asarray(_compute(X, method, columns, seed, progress or (lambda step: None)),
                       dtype=np.float32)
        if path is not None:
            _save_atomically(path, Y)
    _memory[key] = Y
    while len(_memory) > _MEMORY_LIMIT:
        _memory.popitem(last=False)
    return Y.copy()


def is_cached(X, method: str, columns: tuple[int, int] | None, seed: int,
              cache_dir: Path | None) -> bool:
    """Whether ``project`` would return without computing (in memory or on disk)."""
    key = projection_cache_key(X, method, columns, seed)
    return key in _memory or (cache_dir is not None and (Path(cache_dir) / f"{key}.npy").exists())


def clear_memory_cache() -> None:
    """Forget the in-memory projections (the files in cache_dir stay)."""
    _memory.clear()
