"""The two maps side by side: the model's clusters (selectable) and K-means (view only)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from pages.studio_ui import anchor_actions as act
from pages.studio_ui.scatter_map import scatter_map
from pages.studio_ui.settings import Settings
from pfn_core.studio import cache_bounds, figures

MODEL_MAP_KEY = "model_map"
KMEANS_MAP_KEY = "kmeans_map"


@st.cache_data(show_spinner=False, max_entries=cache_bounds.HOVER_LINES)
def hover_lines(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray | None:
    """One 'column: value' line per hover column for every row (N,), or None; as typed (the
    map component shows them as text, not markup)."""
    if not columns:
        return None
    text = pd.Series("", index=frame.index)
    for number, column in enumerate(columns):
        text = text + ("\n" if number else "") + f"{column}: " + frame[column].astype(str)
    return text.to_numpy(dtype=object)


def render(Y, map_id: str, labels, km_matched, confidence, uncertainty, colours, anchors,
           suggestions, truth_text, table, settings: Settings, k: int) -> None:
    """Y (N, 2) named map_id; labels, km_matched, confidence, uncertainty (N,); truth_text (N,)
    or None; table: the ``data_source.Table`` (its hover columns); k: K-means' K."""
    ss = st.session_state
    hover = hover_lines(table.frame, tuple(table.hover))
    # The browser keeps coordinates and hover lines under one id: new hover columns, new id.
    map_id += "-" + hashlib.blake2b(repr(table.hover).encode(), digest_size=4).hexdigest()
    left, right = st.columns(2)
    left.subheader(f"Model: {len(set(labels))} clusters from {len(anchors)} anchors")
    right.subheader(f"K-means, K = {k}", help="K-means on the standardised features; its "
                    "clusters are renamed to the best-matching model clusters so colours agree.")
    by_truth = settings.colour_by == "Ground truth"
    model_style = figures.map_style(
        truth_text if by_truth else labels, np.ones(len(Y)) if by_truth else confidence,
        colours, fade=settings.fade and not by_truth, anchors=anchors,
        examples=ss["example_rows"],
        suggested=suggestions if settings.show_suggestions else (),
        uncertainty=uncertainty if settings.colour_by == "Uncertainty" else None)
    with left:
        scatter_map(MODEL_MAP_KEY, map_id, Y, model_style, hover=hover,
                    selection=ss["selection"], on_select=act.on_select)
    with right:
        scatter_map(KMEANS_MAP_KEY, map_id, Y,
                    figures.map_style(km_matched, confidence, colours, fade=False,
                                      anchors=anchors), hover=hover)
