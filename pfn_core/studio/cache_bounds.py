"""Every cache of the studio server with its bound, in one place.

Streamlit's ``st.cache_data`` bounds a cache by entry count (``max_entries``) and age
(``ttl``) only, not by bytes. So each count below is chosen from a byte budget and the largest
entry the studio's limits (``pfn_core.limits``) allow: ``entries_within(budget, largest)``.
The pages decorate their cached functions with these counts; ``IN_MEMORY`` lists every
process-level cache with its count and the bytes of its largest entry, and ``in_memory_bytes``
adds them up for a table of a given size (the limits by default). ``pfn_core.bench.load``'s
soak compares the server's memory growth with that sum for its own table.

Legend: N rows (at most ``limits.MAX_ROWS``), C columns of the table (at most
``limits.MAX_COLUMNS``), D' feature columns after one-hot encoding (at most
``limits.MAX_FEATURES``), K clusters (at most ``limits.MAX_LABELS``).

Not counted here: each browser session's own state (its table and X, freed when the tab
closes), objects' ``functools.cached_property`` (freed with their object), and the table an
upload is parsed into before it is checked against the limits (bounded by
``limits.MAX_UPLOAD_MB``, estimated at ``CELL_BYTES`` per cell).

On disk, fits (``result_cache``) and maps (``projection``) are kept under
``FITS_DISK_BYTES`` and ``MAPS_DISK_BYTES``; past that the least recently used files are
deleted first (``disk_budget.evict_oldest``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pfn_core import limits, table_views, without_anchors
from pfn_core.preprocessing import GEOMETRY_DIM

MB = 1024 * 1024
CELL_BYTES = 16  # one cell of a parsed table: a float64, or a pointer to a short shared string
STRING_BYTES = 80 + 4 * limits.MAX_LABEL_LENGTH  # one Python str of a label (worst case UCS-4)
MODEL_BYTES = 8 * MB  # the loaded model (its weights file is under 1 MB) with its buffers
SAMPLE_BYTES = 2 * MB  # the largest bundled sample (digits, 1,797 x 65) as a DataFrame
HOVER_LINE_BYTES = 512  # one row's hover text ('column: value' lines, a few columns)
TEACHING_ENTRY_BYTES = 1 * MB  # How it works: tasks of at most 800 points (its sliders)
MODEL_INPUT_DIM = 16  # the shipped model's feature columns (weights/, ModelConfig.input_dim)
ANCHOR_ENTRY_BYTES = 104  # one anchor in a dict: its slot, its int key, a pointer to its label


def entries_within(budget_bytes: int, largest_entry_bytes: int) -> int:
    """How many of the largest entries fit in ``budget_bytes`` (at least one)."""
    return max(1, budget_bytes // max(1, largest_entry_bytes))


# ---------------------------------------------------------------- the largest entries
def fit_result_bytes(n_rows: int = limits.MAX_ROWS, n_clusters: int = limits.MAX_LABELS) -> int:
    """One ``cluster`` result: proba (N, K) float32, confidence (N,) float32, labels (N,) as
    pointers to K shared strings."""
    return n_rows * (4 * n_clusters + 4 + 8) + n_clusters * STRING_BYTES


def guess_bytes(n_rows: int = limits.MAX_ROWS, n_clusters: int = limits.MAX_LABELS) -> int:
    """One background fit of the next labelling (``speculation.Guess``): its result, as
    ``fit_result_bytes``, and the anchors it started from (a dict of at most N entries,
    ``ANCHOR_ENTRY_BYTES`` each)."""
    return fit_result_bytes(n_rows, n_clusters) + n_rows * ANCHOR_ENTRY_BYTES


def map_bytes(n_rows: int = limits.MAX_ROWS) -> int:
    """One 2-D map (N, 2) float32."""
    return n_rows * 2 * 4


def labels_bytes(n_rows: int = limits.MAX_ROWS) -> int:
    """One K-means labelling (N,) int64."""
    return n_rows * 8


def features_bytes(n_rows: int = limits.MAX_ROWS, n_features: int = limits.MAX_FEATURES) -> int:
    """One prepared X (N, D') float64."""
    return n_rows * n_features * 8


def table_bytes(n_rows: int = limits.MAX_ROWS, n_columns: int = limits.MAX_COLUMNS) -> int:
    """One parsed table (N, C), estimated at ``CELL_BYTES`` per cell."""
    return n_rows * n_columns * CELL_BYTES


def table_views_bytes(n_rows: int = limits.MAX_ROWS, n_columns: int = limits.MAX_COLUMNS,
                      n_clusters: int = limits.MAX_LABELS) -> int:
    """The model's cached views of tables of N rows and C columns (``pfn_core.table_views``:
    at most ``CACHED_TABLES`` of them within ``CACHED_BYTES``, and always the newest one):
    one table's views are its values (N, D') float64, features and geometry float32, links,
    and its clusterings without anchors, (N, K) float64 each (``without_anchors``)."""
    n_features = min(n_columns * limits.MAX_CATEGORIES, limits.MAX_FEATURES)
    clusterings = without_anchors.KEPT_CLUSTERINGS * n_rows * n_clusters * 8
    one = table_views.views_bytes(n_rows, n_features, MODEL_INPUT_DIM,
                                  min(n_features, GEOMETRY_DIM), clusterings)
    return min(table_views.CACHED_TABLES * one, max(table_views.CACHED_BYTES, one))


def method_labels_bytes(n_rows: int = limits.MAX_ROWS) -> int:
    """The Compare page's labels of six methods (6, N) as pointers to shared strings."""
    return 6 * n_rows * 8


# ---------------------------------------------------------------- budgets and counts
FIT_RESULTS_BUDGET = 256 * MB
FIT_RESULTS = entries_within(FIT_RESULTS_BUDGET, fit_result_bytes())  # 6 at the limits
GUESSES_BUDGET = 160 * MB
GUESSES = entries_within(GUESSES_BUDGET, guess_bytes())  # 3 at the limits: one selection's
# two guesses (an existing label, a new one) and the one before
MAPS = 16  # per map cache (Streamlit's and projection's own): 16 x 0.8 MB at the limits
KMEANS_LABELS = 16  # 16 x 0.8 MB at the limits
FEATURES_BUDGET = 2048 * MB
FEATURES = entries_within(FEATURES_BUDGET, features_bytes())  # 1 at the limits (1.6 GB)
TABLES_BUDGET = 4096 * MB
TABLES = entries_within(TABLES_BUDGET, table_bytes())  # 1 at the limits (3.2 GB)
HOVER_BUDGET = 128 * MB
HOVER_LINES = entries_within(HOVER_BUDGET, limits.MAX_ROWS * HOVER_LINE_BYTES)  # 2
COMPARE_BUDGET = 32 * MB
COMPARE_RESULTS = entries_within(COMPARE_BUDGET, method_labels_bytes())  # 6
FITTED_MODELS = 2  # downloads: the model and its fitted context (a few thousand rows of D')
FINGERPRINTS = 8  # 64-character digests
SAMPLES = 8  # every bundled sample once
TEACHING = 16  # per cached function of the How it works page (seven of them)
MODELS = 4  # functools cache of loaded weights files (the studio loads one)

FITS_DISK_BYTES = 2048 * MB  # <key>.npz files of slow fits
MAPS_DISK_BYTES = 512 * MB  # <key>.npy maps (0.8 MB each at the limits)


@dataclass(frozen=True)
class CacheBound:
    """One in-memory cache: where it is, how many entries it keeps, and the bytes of its
    largest entry for a table of N rows and C columns (K clusters)."""

    name: str
    entries: int
    entry_bytes: Callable[[int, int, int], int]

    def bytes(self, n_rows: int, n_columns: int, n_clusters: int) -> int:
        return self.entries * self.entry_bytes(n_rows, n_columns, n_clusters)


IN_MEMORY = (
    CacheBound("pages/studio_ui/cached.py: cluster", FIT_RESULTS,
               lambda n, c, k: fit_result_bytes(n, k)),
    CacheBound("pfn_core/studio/speculation.py: guessed fits", GUESSES,
               lambda n, c, k: guess_bytes(n, k)),
    CacheBound("pages/studio_ui/cached.py: project_map", MAPS, lambda n, c, k: map_bytes(n)),
    CacheBound("pfn_core/studio/projection.py: in-memory maps", MAPS,
               lambda n, c, k: map_bytes(n)),
    CacheBound("pages/studio_ui/cached.py: kmeans", KMEANS_LABELS,
               lambda n, c, k: labels_bytes(n)),
    CacheBound("pages/studio_ui/cached.py: prepare", FEATURES,
               lambda n, c, k: features_bytes(n, min(c * limits.MAX_CATEGORIES,
                                                     limits.MAX_FEATURES))),
    CacheBound("pages/studio_ui/cached.py: read_table", TABLES,
               lambda n, c, k: table_bytes(n, c)),
    CacheBound("pages/studio_ui/limits.py: shrunk", TABLES, lambda n, c, k: table_bytes(n, c)),
    CacheBound("pages/studio_ui/maps.py: hover_lines", HOVER_LINES,
               lambda n, c, k: n * HOVER_LINE_BYTES),
    CacheBound("pages/1_Compare_methods.py: run_methods", COMPARE_RESULTS,
               lambda n, c, k: method_labels_bytes(n)),
    CacheBound("pages/1_Compare_methods.py: pca_map", MAPS, lambda n, c, k: map_bytes(n)),
    CacheBound("pages/studio_ui/cached.py: fitted_model", FITTED_MODELS,
               lambda n, c, k: MODEL_BYTES + features_bytes(4096, limits.MAX_FEATURES)),
    CacheBound("pages/studio_ui/cached.py: fingerprint", FINGERPRINTS, lambda n, c, k: 128),
    CacheBound("pages/studio_ui/cached.py: load_sample", SAMPLES, lambda n, c, k: SAMPLE_BYTES),
    CacheBound("pages/2_How_it_works.py: its seven cached functions", 7 * TEACHING,
               lambda n, c, k: TEACHING_ENTRY_BYTES),
    CacheBound("pfn_core/estimator.py: cached_model and get_model", MODELS + 1,
               lambda n, c, k: MODEL_BYTES),
    CacheBound("pfn_core/table_views.py: the model's views of each table", 1,
               lambda n, c, k: table_views_bytes(n, c, k)),
)


def in_memory_bytes(n_rows: int = limits.MAX_ROWS, n_columns: int = limits.MAX_COLUMNS,
                    n_clusters: int = limits.MAX_LABELS) -> int:
    """The most the studio's in-memory caches hold for tables of N rows and C columns.

    >>> round(in_memory_bytes() / 2**30, 1)  # at the limits, in GiB
    10.3
    """
    return sum(cache.bytes(n_rows, n_columns, n_clusters) for cache in IN_MEMORY)
