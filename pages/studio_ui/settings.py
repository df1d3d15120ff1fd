"""The sidebar's Map and Model sections: how to project, scale, compare and colour."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pages.studio_ui.data_source import Table

PROJECTIONS = {"UMAP": "umap", "PCA": "pca", "Two columns": "columns"}


@dataclass(frozen=True)
class Settings:
    """method: "umap", "pca" or "columns"; pair: the two column indices for "columns";
    same_unit: the columns share one unit (no z-score); kmeans_k: K for K-means, or None for
    the model's number of clusters; colour_by, fade, show_suggestions: how the model map is
    drawn."""

    method: str
    pair: tuple[int, int] | None
    same_unit: bool
    kmeans_k: int | None
    colour_by: str
    fade: bool
    show_suggestions: bool


def projection_key(table_name: str) -> str:
    """The session-state key of the Projection choice for one table."""
    return f"projection_{table_name}"


def render(table: Table, n_suggestions: int) -> Settings:
    """Draw the Map and Model sections in the sidebar and return what they say."""
    with st.sidebar:
        st.header("Map")
        # A table of two columns is its own map (UMAP would tear its shapes apart); any
        # other starts on UMAP. Each table has its own choice.
        options = list(PROJECTIONS)
        default = "Two columns" if table.X.shape[1] == 2 else "UMAP"
        method = PROJECTIONS[st.radio("Projection", options, index=options.index(default),
                                      horizontal=True, key=projection_key(table.name))]
        pair = None
        names = table.prepared.feature_names
        if method == "columns":
            if table.X.shape[1] < 2:
                st.warning("Two columns need at least two features; showing PCA.")
                method = "pca"
            else:
                first = st.selectbox("x", names, index=0)
                second = st.selectbox("y", names, index=1)
                pair = (names.index(first), names.index(second))
        st.header("Model")
        same_unit = st.toggle(
            "Columns share one unit", value=False, key=f"same_unit_{table.name}",
            help="Off: every column is z-scored, for columns in different units (euros, "
                 "years…). On: the columns keep their relative spreads, for pixels, "
                 "coordinates in one unit or principal components, where z-scoring would blow "
                 "faint directions up to the size of strong ones. Applies to the model and to "
                 "K-means.")
        auto_k = st.toggle("K-means: same K as the model", value=True,
                           help="On: K-means gets as many clusters as the model shows (the "
                                "labels and any new clusters, or the K the model found).")
        kmeans_k = None if auto_k else int(st.number_input("K for K-means", 2, 50, 3))
        colour_options = ["Cluster", "Uncertainty"] + (
            ["Ground truth"] if table.truth is not None else [])
        colour_by = st.radio("Colour the model map by", colour_options, horizontal=True,
                             key="colour_by")
        fade = st.toggle("Fade uncertain points", value=True)
        show_suggestions = st.toggle(f"Ring the {n_suggestions} points to label next",
                                     value=True)
    return Settings(method=method, pair=pair, same_unit=same_unit, kmeans_k=kmeans_k,
                    colour_by=colour_by, fade=fade, show_suggestions=show_suggestions)
