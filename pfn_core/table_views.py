"""The model's views of one table, computed once per table and reused across fits.

In the studio an analyst re-clusters the same table again and again with different anchors.
Everything that depends only on the table (the preprocessed features and geometry, the
content order of the rows, every row's nearest base landmarks, the graph among those
landmarks) is the same each time, so it is kept in a small cache keyed by the table's bytes
(``table_views``); so is the choice ``scale_columns="auto"`` makes for it
(``column_scaling``). Anchor-dependent work (the paths from context tokens not searched before,
the forward passes; with enough anchors, the views in the anchors' metric,
``TableViews.in_metric``) is redone for every fit.

Legend: N=rows, D=input features, G=geometry columns.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from pfn_core.anchor_metric import fit_views_in_metric
from pfn_core.episode import content_keys, content_rank
from pfn_core.geodesic import KNOWN_PATH_ROWS, MAX_LANDMARKS, BaseGraph, base_graph
from pfn_core.inference import attach_rows
from pfn_core.nearest_landmarks import Attachment
from pfn_core.preprocessing import fit_model_views, resolve_column_scaling

CACHED_TABLES = 4  # a few tables, e.g. the studio's sample and an upload,
CACHED_BYTES = 2 * 1024**3  # and views of at most this many bytes (the newest table always)
DERIVED_BYTES = 64 * 1024**2  # label-free results kept per table (``TableViews.derived``)
LINK_BYTES_PER_ROW = 3 * (8 + 4)  # a row's nearest base landmarks: int64 ids, float32 hops
RELINK_LANDMARKS = 4096  # up to this many rows, a new metric gets its own landmark graph


@dataclass(eq=False)
class TableViews:
    """X (N, D_raw) validated values, features (N, input_dim), geometry (N, G); the lazily
    computed rest is cached on the instance. Shared between fits: never modify them."""

    X: np.ndarray
    features: np.ndarray
    geometry: np.ndarray
    steps: tuple = ()  # the fitted preprocessing (``preprocessing.transform_views``)
    # Label-free results computed once per table by other modules (a few small arrays, e.g.
    # ``new_clusters.candidate_subclusters``), keyed by what they depend on.
    derived: dict = field(default_factory=dict, repr=False)

    @functools.cached_property
    def content_keys(self) -> np.ndarray:
        """(N,) each row's hash (``episode.content_keys``): equal rows, equal keys."""
        return content_keys(self.X)

    @functools.cached_property
    def content_order(self) -> np.ndarray:
        """(N,) the rows in content order (``episode.content_order``)."""
        return np.argsort(self.content_keys, kind="stable")

    @functools.cached_property
    def copy_of(self) -> np.ndarray:
        """(N,) for each row, the first row in content order with exactly the same values
        (the row itself when it has no earlier copy). Copies hold the same values (-0.0 is
        0.0); rows holding NaN are never copies."""
        order = self.content_order
        keys = self.content_keys[order]
        copy_of = np.arange(len(order))
        shared = np.zeros(len(order), dtype=bool)  # positions whose key another row has
        same_key = keys[1:] == keys[:-1]
        shared[1:] |= same_key
        shared[:-1] |= same_key
        if not shared.any():  # every key differs, so every row does: the usual case
            return copy_of
        # Equal rows have equal keys, but round values (counts, ratings) also share keys
        # without being equal: group the rows that share a key by their values.
        candidates = order[shared]  # in content order
        values = self.X[candidates]
        complete = ~np.isnan(values).any(axis=1)  # a gap is nobody's copy
        candidates, values = candidates[complete], values[complete] + 0.0  # -0.0 is 0.0
        as_bytes = values.view(np.dtype((np.void, values.dtype.itemsize * values.shape[1])))
        _, first, group = np.unique(as_bytes.reshape(-1), return_index=True,
                                    return_inverse=True)
        copy_of[candidates] = candidates[first][group.reshape(-1)]
        return copy_of

    @functools.cached_property
    def content_rank(self) -> np.ndarray:
        """(N,) each row's rank in content order: ties broken without regard to row order."""
        return content_rank(self.X, self.content_order)

    @functools.cached_property
    def attachment(self) -> Attachment:
        """Every row's nearest base landmarks, shared by every pass of every fit."""
        return attach_rows(self.X, self.geometry, order=self.content_order,
                           base=self.base_graph, tree=self.base_tree)

    @property
    def base_tree(self) -> cKDTree:
        """A k-d tree over the base landmarks (``base_graph.rows``) in this geometry, for
        every search of a row's nearest landmarks on this table (kept by the graph,
        ``BaseGraph.tree_over``)."""
        return self.base_graph.tree_over(self.geometry[self.base_graph.rows])

    @functools.cached_property
    def base_graph(self) -> BaseGraph:
        """The base landmarks' nearest neighbours among themselves (``geodesic.base_graph``),
        shared by every pass of every fit."""
        return base_graph(self.geometry, self.content_order[:MAX_LANDMARKS])

    def in_metric(self, whitening: np.ndarray, input_dim: int) -> TableViews:
        """The same table seen in another metric (``anchor_metric``), whitening (G, G): new
        features and geometry. The content order and ranks (which depend on X only) are
        shared.

        On tables of at most RELINK_LANDMARKS rows, the landmark graph and every row's
        nearest landmarks are searched again in the new geometry (cheap there). Longer
        tables keep the table's links, with each link's length measured again in the new
        geometry: searching again made a fit of 10,000 rows take 0.87 s instead of 0.53 s
        (BENCHMARKS.md)."""
        step, (features, geometry) = fit_views_in_metric(self.geometry, whitening, input_dim)
        views = TableViews(self.X, features, geometry, self.steps + (step,))
        views.__dict__["content_keys"] = self.content_keys
        views.__dict__["content_order"] = self.content_order
        views.__dict__["content_rank"] = self.content_rank
        if len(self.X) > RELINK_LANDMARKS:
            views.__dict__["base_graph"] = self.base_graph.measured_in(geometry)
            views.__dict__["attachment"] = self.attachment.measured_in(geometry)
        return views


def views_bytes(n_rows: int, n_columns: int, input_dim: int, geometry_dim: int,
                derived: int = DERIVED_BYTES) -> int:
    """The most one table's views hold once every fit has run: the values (N, D) float64,
    features (N, input_dim) and geometry (N, G) float32, every row's links to the base
    landmarks, the paths its base graph keeps (``BaseGraph.known_paths``: float32 to every
    base landmark from up to KNOWN_PATH_ROWS rows), the k-d tree over the base landmarks
    (``base_tree``: their geometry as float64 and an index per landmark) and `derived`
    bytes of label-free results (at most ``DERIVED_BYTES``)."""
    n_base = min(n_rows, MAX_LANDMARKS)
    return (n_rows * (8 * n_columns + 4 * (input_dim + geometry_dim) + LINK_BYTES_PER_ROW)
            + 4 * n_base * min(n_base, KNOWN_PATH_ROWS) + 8 * n_base * (geometry_dim + 1)
            + min(derived, DERIVED_BYTES))


def _bytes_of(views: TableViews) -> int:
    n_rows, n_columns = views.X.shape
    return views_bytes(n_rows, n_columns, views.features.shape[1], views.geometry.shape[1])


_cache: OrderedDict[tuple, TableViews] = OrderedDict()
_cache_lock = threading.Lock()  # the studio serves several sessions from several threads
_scalings: OrderedDict[tuple, bool] = OrderedDict()  # "auto" resolved, per table
CACHED_SCALINGS = 64


def content_key(X: np.ndarray) -> tuple:
    """Names validated X (N, D_raw) by its values: a hash of its bytes, and its shape."""
    return hashlib.blake2b(np.ascontiguousarray(X).tobytes(), digest_size=16).digest(), X.shape


def column_scaling(X: np.ndarray, scale_columns: bool | str, content: tuple) -> bool:
    """``preprocessing.resolve_column_scaling``, remembered per table (`content`:
    ``content_key(X)``) for "auto": its correlations took 0.16 s of every fit of a 10,000 x
    384 table, more than the forward passes' context."""
    if scale_columns != "auto":
        return resolve_column_scaling(X, scale_columns)
    with _cache_lock:
        known = _scalings.get(content)
    if known is None:
        known = resolve_column_scaling(X, scale_columns)
        with _cache_lock:
            _scalings[content] = known
            while len(_scalings) > CACHED_SCALINGS:
                _scalings.popitem(last=False)
    return known


def table_views(X: np.ndarray, input_dim: int, scale_columns: bool,
                content: tuple | None = None) -> TableViews:
    """The views of validated X (N, D_raw) float64, from the cache when the same values were
    seen with the same settings (the key is `content`, ``content_key(X)``, computed when not
    given, and the settings). The cache keeps the last ``CACHED_TABLES`` tables whose views
    (``views_bytes``) fit in ``CACHED_BYTES`` together, and always the newest."""
    key = (*(content or content_key(X)), input_dim, scale_columns)
    with _cache_lock:
        views = _cache.get(key)
        if views is not None:
            _cache.move_to_end(key)
            return views
    steps, (features, geometry) = fit_model_views(X, input_dim, scale_columns=scale_columns)
    views = TableViews(X.copy(), features, geometry, steps)
    with _cache_lock:
        _cache[key] = views
        while len(_cache) > 1 and (len(_cache) > CACHED_TABLES or sum(
                _bytes_of(kept) for kept in _cache.values()) > CACHED_BYTES):
            _cache.popitem(last=False)
    return views


def clear_table_views() -> None:
    """Forget every cached table (e.g. to time a first fit)."""
    with _cache_lock:
        _cache.clear()
        _scalings.clear()
