"""The 2-D map's coordinates: cached in memory and on disk, with progress shown while a new
table is projected. UMAP runs in a background process while a PCA map is shown, so labelling
can start at once; the page swaps the maps when UMAP is done."""

from __future__ import annotations

import numpy as np
import streamlit as st

from pages.studio_ui import cached
from pages.studio_ui.settings import Settings
from pfn_core.studio import background_map, projection, session

POLL_SECONDS = 2.0


def render(X: np.ndarray, settings: Settings) -> tuple[np.ndarray, str]:
    """The map Y (N, 2) of X (N, D) and its id (the projection's cache key). A map not cached
    yet is computed under a status box listing each step, or, for UMAP, in the background with
    the PCA map shown meanwhile."""
    cache_dir = session.projection_cache_dir()
    method, pair = settings.method, settings.pair
    if projection.is_cached(X, method, pair, 0, cache_dir):
        return cached.project_map(X, method, pair, str(cache_dir)), map_key(X, method, pair)
    if background_map.needs_background(*X.shape, method):
        key = background_map.start(X, method, pair, 0, cache_dir)
        Y, quick_id = computed(X, "pca", None)
        waiting_for(key, str(cache_dir))
        return Y, quick_id
    return computed(X, method, pair)


def map_key(X: np.ndarray, method: str, pair) -> str:
    return projection.projection_cache_key(X, method, pair, 0)


def computed(X: np.ndarray, method: str, pair) -> tuple[np.ndarray, str]:
    """Project now, in a status box that lists the steps and disappears when done."""
    cache_dir = session.projection_cache_dir()
    if projection.is_cached(X, method, pair, 0, cache_dir):
        return cached.project_map(X, method, pair, str(cache_dir)), map_key(X, method, pair)
    label = f"Mapping {len(X):,} rows ({method.upper()})"
    if method == "umap":
        label += "; the first UMAP of a fresh install also compiles code (about a minute)"
    box = st.empty()
    with box.status(f"{label}…", expanded=True):
        Y = projection.project(X, method, columns=pair, seed=0, cache_dir=cache_dir,
                               progress=lambda step: st.write(f"{step}…"))
    box.empty()
    return Y, map_key(X, method, pair)


@st.fragment(run_every=POLL_SECONDS)
def waiting_for(key: str, cache_dir: str) -> None:
    """Say how the background UMAP is doing; rerun the page when it is done."""
    status, detail, seconds = background_map.state(key, cache_dir)
    if status == "done":
        st.rerun(scope="app")
    elif status == "failed":
        st.error(f"The UMAP map could not be computed ({detail}); the PCA map stays. Choose "
                 "PCA in the sidebar, or check that umap-learn is installed.")
    else:
        st.info(f"Computing the UMAP map in the background ({detail}…, {seconds:.0f} s so "
                "far). The PCA map below already works: label points now, they keep their "
                "place when the UMAP map replaces it.", icon="⏳")
