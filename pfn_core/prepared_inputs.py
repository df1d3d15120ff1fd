"""From what a user passes to what every pass of the model reads: X and y validated, the
labelled rows split out, the weights loaded once per process, and the table's views
(``table_views``), possibly re-expressed in the anchors' metric.

``prepare_inputs`` is the first step of every fit (``PFNClusterer.fit``), of ``explain``
and of ``suggest``; ``pilot_rows`` names the rows a pass scores when it only picks anchors.

Legend: N=rows, D=raw columns, A=anchors, K=classes, R=pilot rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from pfn_core.anchor_metric import (
    ONE_PIECE_MIN_SHRINKAGE,
    uses_anchor_metric,
    within_class_whitening,
)
from pfn_core.checkpoint import SHIPPED_WEIGHTS, load_model
from pfn_core.graph_pieces import base_positions, graph_components, graph_pieces
from pfn_core.preprocessing import validate_features
from pfn_core.table_views import TableViews, column_scaling, content_key, table_views

PILOT_ROWS = 4096  # passes that only pick extra anchors score this many rows (content order)


def check_device(device) -> None:
    """Refuse a device this process cannot run the model on, with what to pass instead:
    "cpu", or "cuda" / "cuda:N" where torch sees a CUDA GPU."""
    if not isinstance(device, str) or not (device == "cpu" or device == "cuda"
                                           or (device.startswith("cuda:")
                                               and device[5:].isdigit())):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}.")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} but torch sees no CUDA GPU on this machine; "
                             "use device='cpu'.")
        number = int(device[5:] or 0)
        if number >= torch.cuda.device_count():
            raise ValueError(f"device={device!r} but torch sees {torch.cuda.device_count()} "
                             "CUDA GPU(s), numbered from 0.")


@functools.lru_cache(maxsize=4)
def cached_model(path: str, device: str):
    """Load a weights file once per process and reuse it (the model is never mutated)."""
    return load_model(path, device)


def split_targets(y, n_rows: int):
    """Read y into anchors.

    y: length-N array-like; -1, None or NaN mark unlabelled rows; labels may be ints or
    strings. -> (anchor_index (A,), anchor_labels (A,) as given)"""
    if y is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    values = np.asarray(y, dtype=object)
    if values.ndim != 1:
        values = values.reshape(-1) if values.ndim == 2 and 1 in values.shape else values
    if values.ndim != 1 or len(values) != n_rows:
        raise ValueError(
            f"y has length {len(values) if values.ndim else 0} but X has {n_rows} rows: pass one "
            "label per row, with -1 (or None) for unlabelled rows."
        )
    numeric = np.asarray(y) if isinstance(y, np.ndarray) else None
    if numeric is not None and numeric.dtype.kind in "iuf" and numeric.size == n_rows:
        flat = numeric.reshape(-1)  # numbers: no per-value Python call (1,000,000 rows: ~1 s)
        unlabelled = (flat == -1) | np.isnan(flat.astype(np.float64))
    else:
        unlabelled = np.array([_is_unlabelled(v) for v in values], dtype=bool)
    anchor_index = np.flatnonzero(~unlabelled)
    labels = values[anchor_index]
    kinds = {type(v).__name__ if isinstance(v, str) else "number" for v in labels}
    if len(kinds) > 1:
        raise ValueError(
            "y mixes strings and numbers among the labelled rows; use one kind of label "
            "(e.g. all strings), with -1 or None for unlabelled rows."
        )
    if kinds == {"number"}:
        labels = np.array(labels.tolist())
    return anchor_index, labels


def _is_unlabelled(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(value == -1) or bool(np.isnan(value))
    except TypeError:
        return False


@dataclass
class PreparedInputs:
    """Validated user input and the model's views of it (``table_views``).

    anchor_index (A,), anchor_labels (A,) as given, classes (K,) their sorted distinct
    values, anchor_class (A,) each anchor's position in classes; X (N, D) float64, features
    (N, input_dim), geometry (N, G), content_order, content_rank and attachment come from
    the table's views, shared by every fit of the same table (in_anchor_metric: the views
    were rebuilt in the anchors' metric for this fit)."""

    anchor_index: np.ndarray
    anchor_labels: np.ndarray
    classes: np.ndarray
    anchor_class: np.ndarray
    model: object
    views: TableViews
    in_anchor_metric: bool = False
    scaled_columns: bool = True  # whether each column was z-scored (scale_columns resolved)
    table: TableViews | None = None  # the table's own views, before any anchors' metric

    X = property(lambda self: self.views.X)
    features = property(lambda self: self.views.features)
    geometry = property(lambda self: self.views.geometry)
    content_order = property(lambda self: self.views.content_order)
    content_rank = property(lambda self: self.views.content_rank)
    attachment = property(lambda self: self.views.attachment)

    def in_table_metric(self) -> PreparedInputs:
        """The same inputs seen in the table's own metric (as without enough anchors for
        the anchors' metric): for work that should not depend on the labels."""
        if not self.in_anchor_metric or self.table is None:
            return self
        return replace(self, views=self.table, in_anchor_metric=False)


def prepare_inputs(X, y, weights=None, device: str = "cpu", scale_columns: bool | str = True,
                   anchor_metric: bool = True) -> PreparedInputs:
    """Validate X and y (ValueError on bad input), load the weights once per process and
    get the model's views of X (`scale_columns`: z-score each column, see
    ``preprocessing``), computed once per table; with `anchor_metric` and at least
    ``MIN_MEAN_ANCHORS`` anchors per class on average, the views are re-expressed in the
    anchors' metric (``anchor_metric``). Shared by the estimator and ``explain``."""
    X_valid = validate_features(X)
    anchor_index, anchor_labels = split_targets(y, X_valid.shape[0])
    model = cached_model(str(Path(weights or SHIPPED_WEIGHTS)), device)
    content = content_key(X_valid)
    scale_columns = column_scaling(X_valid, scale_columns, content)
    views = table_views(X_valid, model.config.input_dim, scale_columns, content)
    classes, anchor_class = np.unique(anchor_labels, return_inverse=True)
    prepared = PreparedInputs(anchor_index, anchor_labels, classes, anchor_class, model, views,
                              False, scale_columns, views)
    return with_anchor_metric(prepared) if anchor_metric else prepared


def with_anchor_metric(prepared: PreparedInputs) -> PreparedInputs:
    """`prepared` (in the table's metric) re-expressed in the anchors' metric when they
    average at least ``MIN_MEAN_ANCHORS`` per class (``anchor_metric``), else as it is.
    ``prepare_inputs(anchor_metric=True)`` ends with it; a fit that may refit the table's
    distinct rows instead (``pfn_core.copies``) calls it once it knows it will not."""
    if prepared.in_anchor_metric or not uses_anchor_metric(len(prepared.anchor_index),
                                                           len(prepared.classes)):
        return prepared
    # Half weight at most for the anchors' scatter, unless a class is several islands
    # (``anchor_metric.ONE_PIECE_MIN_SHRINKAGE``).
    floor = 0.0 if classes_span_pieces(prepared) else ONE_PIECE_MIN_SHRINKAGE
    views = views_in_anchor_metric(prepared.views, prepared.anchor_index,
                                   prepared.anchor_class, prepared.model.config.input_dim,
                                   floor)
    return replace(prepared, views=views, in_anchor_metric=True)


def classes_span_pieces(prepared: PreparedInputs) -> bool:
    """Whether some class's anchors lie in more than one piece of the table's neighbour
    graph (``graph_pieces``; an anchor is in the piece of its nearest base landmark). The
    pieces are unions of the graph's components, so the components answer first, and the
    pieces are looked at only where a class spans several components."""
    table = prepared.in_table_metric()
    # The table's attachment is not built for a fit in the anchors' metric: its tree on the
    # base landmarks finds the anchors' nearest ones instead.
    nearest = table.views.base_tree.query(table.geometry[prepared.anchor_index])[1]
    at = base_positions(table, prepared.anchor_index, table.views.base_graph.rows[nearest])

    def spans(part: np.ndarray) -> bool:
        pairs = np.unique(np.stack([prepared.anchor_class, part[at]]), axis=1)
        return pairs.shape[1] > len(np.unique(prepared.anchor_class))

    return spans(graph_components(table)) and spans(graph_pieces(table))


def views_in_anchor_metric(views: TableViews, index: np.ndarray, index_class: np.ndarray,
                           input_dim: int, min_shrinkage: float = 0.0) -> TableViews:
    """The table's views rebuilt in the metric of anchors `index` (A,) of classes
    `index_class` (A,) (``anchor_metric.within_class_whitening``)."""
    whitening = within_class_whitening(views.geometry, index, index_class,
                                       views.content_rank[index], min_shrinkage)
    return views.in_metric(whitening, input_dim)


def pilot_rows(prepared: PreparedInputs, count: int | None = None) -> np.ndarray:
    """The rows a pass that only picks anchors scores: all of them, or on tables longer than
    `count` (default PILOT_ROWS) the first `count` in content order. -> (R,) sorted row ids"""
    count = PILOT_ROWS if count is None else count
    n_rows = len(prepared.X)
    if n_rows <= count:
        return np.arange(n_rows)
    return np.sort(prepared.content_order[:count])


