"""The studio's cached library calls: the model once per process, derived data per
input (its inputs are its arguments), and slow fits also on disk so a table opened again maps
at once."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import streamlit as st

from pfn_core import PFNClusterer
from pfn_core.checkpoint import SHIPPED_WEIGHTS
from pfn_core.prepared_inputs import cached_model
from pfn_core.studio import (
    anchor_store,
    cache_bounds,
    comparison,
    export,
    projection,
    result_cache,
    samples,
    session,
    speculation,
    tabular_io,
)
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio.fit_result import studio_fit


class AnchorPairs(tuple):
    """The anchors as sorted (row id, label) pairs, the form ``cluster`` and ``fitted_model``
    take, with a digest computed once. Streamlit's cache would otherwise hash every pair on
    every rerun, a click on the map included (25,000 anchors: 0.25 s each time); it hashes
    the digest instead (``hash_funcs``). Still a tuple of pairs everywhere else."""

    digest: str

    def __new__(cls, anchors: dict[int, str]) -> AnchorPairs:
        pairs = super().__new__(cls, sorted(anchors.items()))
        rows = np.fromiter((row for row, _ in pairs), dtype=np.int64, count=len(pairs))
        digest = hashlib.blake2b(rows.tobytes(), digest_size=16)
        digest.update("\x1f".join(str(label) for _, label in pairs).encode())
        pairs.digest = digest.hexdigest()
        return pairs


ANCHOR_HASH = {AnchorPairs: lambda pairs: pairs.digest}


@st.cache_resource(show_spinner=False)
def get_speculator() -> speculation.Speculator:
    """The process's background fits of the next labelling (``speculation``): one worker
    thread for every session, so guesses never run two at a time."""
    return speculation.Speculator()


def guess_next_fit(X: np.ndarray, anchors: dict[int, str], selection: list[int],
                   scale_columns: bool, n_suggestions: int, existing: str | None) -> None:
    """Start fitting the selection named as a new label (after naming it `existing`, the
    label offered first, when given) before Assign is clicked."""
    get_speculator().guess(X, anchors, selection, scale_columns, n_suggestions, existing)


@st.cache_resource(show_spinner="Loading the model…")
def get_model():
    """Load the shipped weights once per server process (the model is never mutated)."""
    return cached_model(str(SHIPPED_WEIGHTS), "cpu")


@st.cache_data(show_spinner=False, max_entries=cache_bounds.SAMPLES)
def load_sample(name: str) -> samples.SampleDataset:
    return samples.load_sample(name)


@st.cache_data(show_spinner="Reading the file…", max_entries=cache_bounds.TABLES)
def read_table(file_name: str, data: bytes) -> pd.DataFrame:
    return tabular_io.read_table(file_name, data)


@st.cache_data(show_spinner=False, max_entries=cache_bounds.FEATURES)
def prepare(frame: pd.DataFrame, columns: tuple[str, ...]) -> tabular_io.PreparedFeatures:
    return tabular_io.prepare_features(frame, list(columns))


@st.cache_data(show_spinner=False, max_entries=cache_bounds.FINGERPRINTS)
def fingerprint(frame: pd.DataFrame) -> str:
    return anchor_store.dataset_fingerprint(frame)


@st.cache_data(show_spinner=False, max_entries=cache_bounds.MAPS)
def project_map(X: np.ndarray, method: str, columns: tuple[int, int] | None, cache_dir: str):
    return projection.project(X, method, columns=columns, seed=0, cache_dir=cache_dir)


def model_k(anchors: tuple, n_clusters: int | None) -> int | None:
    """The ``n_clusters`` a fit is given: None (the model estimates K) or K without anchors;
    with anchors K comes from them, so every K names the same fit."""
    return None if anchors else n_clusters


@st.cache_data(show_spinner=False, max_entries=cache_bounds.FIT_RESULTS,
               hash_funcs=ANCHOR_HASH)
def cluster(X: np.ndarray, anchors: tuple[tuple[int, str], ...], n_clusters: int | None,
            scale_columns: bool, n_suggestions: int = 10) -> dict:
    """PFNClusterer on every row; anchors as sorted (row id, label) pairs (``AnchorPairs``
    in the studio, hashed by their digest); without anchors,
    ``n_clusters`` None lets the model estimate K ("n_clusters" is the K it used,
    "n_clusters_scores" the evidence per candidate K, or None when K was given or anchors
    set it, "k_evidence_weak" whether that evidence is as weak as on a table with no
    clusters, ``discovery.evidence_is_weak``); "n_distinct_rows": the rows the model
    clustered, copies of a row taking its result (``pfn_core.copies``); "key" names the fit
    (``result_cache.fit_key``). "suggested" holds the ``n_suggestions`` rows worth
    labelling next (``pfn_core.suggest.suggest_rows``, which needs the fitted estimator).
    However many anchors a lasso names, the model's context holds at most
    ``carry.CONTEXT_PER_CLASS`` per label, spread over them ("model_anchors" says how many);
    every anchor keeps its label.
    "own_clustering": whether the result is the model's own clustering named by the anchors
    (few anchors that agree with it, ``pfn_core.own_clustering``); "discovery_fit": whether
    it is the discovery pass read as the fit (one to three anchors per label, ``discovery_fit``).
    A fit slower than ``result_cache.SLOW_FIT_SECONDS`` is also kept on disk (e.g. a large
    table's first map). At most ``cache_bounds.FIT_RESULTS`` results are kept in memory, a
    count chosen from a byte budget (``cache_bounds.fit_result_bytes`` at the limits)."""
    k = model_k(anchors, n_clusters)
    key = result_cache.fit_key(X, anchors, k, scale_columns)
    cache_dir = session.projection_cache_dir().parent / "fits"
    kept = result_cache.load(cache_dir, key)
    if kept is not None and len(kept["suggested"]) == min(n_suggestions, len(X) - len(anchors)):
        return {**kept, "computed_at": 0.0, "key": key}  # read back: the caption says "kept"
    result = None
    if anchors:  # the selection named as a new label: fitted while the name was typed
        result = get_speculator().result_for(X, dict(anchors), scale_columns, n_suggestions)
    if result is None:
        result = studio_fit(X, anchors, k, scale_columns, n_suggestions)
    if result["seconds"] >= result_cache.SLOW_FIT_SECONDS:
        result_cache.save(cache_dir, key, result)
    return {**result, "computed_at": time.time(), "key": key}


@st.cache_data(show_spinner="Fitting the model for the download…",
               max_entries=cache_bounds.FITTED_MODELS, hash_funcs=ANCHOR_HASH)
def fitted_model(X: np.ndarray, anchors: tuple[tuple[int, str], ...], n_clusters: int | None,
                 scale_columns: bool) -> bytes:
    """The fitted clusterer of these anchors as safetensors bytes, for
    ``python -m pfn_core predict --model`` (fitted again: the cached results hold no model);
    ``n_clusters`` as for ``cluster`` (None: K estimated)."""
    estimator = PFNClusterer(n_clusters=model_k(anchors, n_clusters),
                             scale_columns=scale_columns)
    estimator.fit(X, anchor_ops.anchors_to_targets(dict(anchors), len(X)))
    return export.fitted_model_bytes(estimator)


@st.cache_data(show_spinner=False, max_entries=cache_bounds.KMEANS_LABELS)
def kmeans(X: np.ndarray, n_clusters: int, scale_columns: bool, seed: int = 0) -> np.ndarray:
    return comparison.kmeans_labels(X, n_clusters, seed, scale_columns)
