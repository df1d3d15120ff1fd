"""Clustering by attention: the studio.

Load a table, see it as a 2-D map, lasso a few points and name them (anchors); the pre-trained
transformer re-clusters every row from those anchors, with no fitting, next to K-means.
Run with ``streamlit run app.py``. All model and clustering logic lives in ``pfn_core``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

import render_limits  # issue 16: a table over a limit is offered a sample
import render_sessions  # issue 16: labelling sessions (?session=NAME), anchors via SQLite
from pfn_core import PFNClusterer
from pfn_core.checkpoint import SHIPPED_WEIGHTS
from pfn_core.estimator import cached_model
from pfn_core.studio import (
    active,
    anchor_store,
    comparison,
    export,
    figures,
    plain_text,  # issue 16: upload text is shown as text, not markup
    projection,
    runtime,
    samples,
    session,
    tabular_io,
)
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio.plain_text import markdown_literal as plain

MAP_KEY = "model_map"
PROJECTIONS = {"UMAP": "umap", "PCA": "pca", "Two columns": "columns"}
NO_TRUTH = "(none)"
N_SUGGESTIONS = 10

st.set_page_config(page_title="Clustering by attention", page_icon="◆", layout="wide")
if thread_problem := runtime.share_cores_with_browser():  # leave cores to the browser
    st.warning(thread_problem)
ss = st.session_state
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.2rem}</style>")


# ---------------------------------------------------------------- cached library calls
@st.cache_resource(show_spinner="Loading the model…")
def get_model():
    """Load the shipped weights once per server process (the model is never mutated)."""
    return cached_model(str(SHIPPED_WEIGHTS), "cpu")


@st.cache_data(show_spinner=False, max_entries=8)
def load_sample(name: str) -> samples.SampleDataset:
    return samples.load_sample(name)


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def read_table(file_name: str, data: bytes) -> pd.DataFrame:
    return tabular_io.read_table(file_name, data)


@st.cache_data(show_spinner=False, max_entries=8)
def prepare(frame: pd.DataFrame, columns: tuple[str, ...]) -> tabular_io.PreparedFeatures:
    return tabular_io.prepare_features(frame, list(columns))


@st.cache_data(show_spinner=False, max_entries=8)
def fingerprint(frame: pd.DataFrame) -> str:
    return anchor_store.dataset_fingerprint(frame)


@st.cache_data(show_spinner=False, max_entries=16)
def project_map(X: np.ndarray, method: str, columns: tuple[int, int] | None, cache_dir: str):
    return projection.project(X, method, columns=columns, seed=0, cache_dir=cache_dir)


@st.cache_data(show_spinner=False, max_entries=64)
def cluster(X: np.ndarray, anchors: tuple[tuple[int, str], ...], n_clusters: int,
            scale_columns: bool) -> dict:
    """PFNClusterer on every row; anchors as sorted (row id, label) pairs."""
    estimator = PFNClusterer(n_clusters=None if anchors else n_clusters,
                             scale_columns=scale_columns)
    start = time.perf_counter()
    estimator.fit(X, anchor_ops.anchors_to_targets(dict(anchors), len(X)))
    return {
        "labels": estimator.labels_.astype(str).astype(object),
        "proba": estimator.proba_,
        "confidence": estimator.confidence_,
        "in_metric": estimator.in_anchor_metric_,
        "seconds": time.perf_counter() - start,
        "computed_at": time.time(),
    }


@st.cache_data(show_spinner=False, max_entries=16)
def kmeans(X: np.ndarray, n_clusters: int, scale_columns: bool, seed: int = 0) -> np.ndarray:
    return comparison.kmeans_labels(X, n_clusters, seed, scale_columns)


# ---------------------------------------------------------------- anchor actions (callbacks)
def start_dataset(fp: str, example_anchors: dict[int, str], title: str) -> None:
    """Every run: this tab's labelling session's anchors for the table (issue 16: read from
    the session store, so other tabs of the session and restarts are seen; the examples are
    placed the first time the session opens the table)."""
    render_sessions.start_table(fp, example_anchors, title)


def set_anchors(new: dict[int, str], message: str) -> None:
    """Make ``new`` the anchors: committed to the session store (issue 16: one transaction
    and one event, undoable across restarts) before the page shows them."""
    render_sessions.commit(new, message)


def on_select() -> None:
    """Store the selected rows when the map's selection changes."""
    event = ss.get(MAP_KEY) or {}
    ss["selection"] = anchor_ops.row_ids_from_selection(event.get("selection", {}))


def on_assign() -> None:
    label = (ss.get("new_label") or "").strip() or ss.get("existing_label")
    if not ss["selection"]:
        ss["message"] = ("error", "Select points on the map first (lasso, box or click).")
        return
    try:
        new = anchor_ops.assign_label(ss["anchors"], ss["selection"], label)
    except ValueError as error:
        ss["message"] = ("error", str(error).capitalize())
        return
    ss["new_label"] = ""
    set_anchors(new, f"Named {len(ss['selection'])} points “{label.strip()}”.")


def on_remove() -> None:
    removed = [r for r in ss["selection"] if r in ss["anchors"]]
    set_anchors(anchor_ops.remove_anchors(ss["anchors"], removed),
                f"Removed {len(removed)} anchors.")


def on_undo() -> None:
    render_sessions.undo()  # issue 16: undo reads the session's event log


def on_clear() -> None:
    set_anchors(anchor_ops.clear_anchors(), "Cleared all anchors.")


def on_remove_examples() -> None:
    set_anchors(anchor_ops.remove_anchors(ss["anchors"], ss["example_rows"]),
                "Removed the example anchors: now name points yourself.")


def on_select_suggestions() -> None:
    ss["selection"], ss["epoch"] = list(ss.get("suggestions", [])), ss["epoch"] + 1


def on_anchor_file() -> None:
    upload = ss.get("anchor_file")
    if upload is None:
        return
    try:
        new = anchor_ops.anchors_from_csv(upload.getvalue().decode("utf-8-sig"), ss["n_rows"])
    except (ValueError, UnicodeDecodeError) as error:
        ss["message"] = ("error", f"Could not load anchors: {error}")
        return
    set_anchors(new, f"Loaded {len(new)} anchors from {upload.name}.")


# ---------------------------------------------------------------- sidebar: data
with st.sidebar:
    render_sessions.session_sidebar()  # issue 16: session name, link and picker
    st.header("Data")
    source = st.radio("Source", ["Built-in sample", "Upload a file"], horizontal=True,
                      index=1 if ss.get("uploaded_table") else 0, key="source")
    if source == "Built-in sample":
        name = st.selectbox("Sample", samples.SAMPLE_NAMES, key="sample",
                            index=samples.SAMPLE_NAMES.index(session.DEFAULT_SAMPLE))
        sample = load_sample(name)
        frame, default_truth, description = sample.frame, sample.truth_column, sample.description
        default_features = sample.feature_columns
    else:
        upload = st.file_uploader("CSV, TSV, Parquet or Excel",
                                  type=["csv", "tsv", "tab", "parquet", "pq", "xlsx", "xls"])
        if upload is not None:
            ss["uploaded_table"] = (upload.name, upload.getvalue())
        if not ss.get("uploaded_table"):
            st.info("Upload a table with one row per item and numeric columns to cluster on.")
            st.stop()
        name, data = ss["uploaded_table"]
        try:
            frame = read_table(name, data)
        except ValueError as error:
            st.error(plain(str(error).capitalize()))
            st.stop()
        frame = render_limits.within_limits(frame, name)
        default_truth, description = NO_TRUTH, f"{len(frame):,} rows × {frame.shape[1]} columns"
        default_features = tabular_io.numeric_columns(frame)
    columns = [str(c) for c in frame.columns]
    with st.expander("Columns", expanded=source != "Built-in sample"):
        truth_column = st.selectbox("Ground truth / colour column (optional)",
                                    [NO_TRUTH, *columns],
                                    index=([NO_TRUTH, *columns]).index(default_truth))
        features = st.multiselect(
            "Feature columns", columns,
            default=[c for c in default_features if c != truth_column],
            key=f"features_{name}",
        )
        hover = st.multiselect("Hover columns", columns, default=[], key=f"hover_{name}")

if not features:
    st.error("No feature columns chosen: pick at least one column to cluster on in the sidebar.")
    st.stop()
try:
    prepared = prepare(frame, tuple(features))
    if len(frame) < 2:
        raise ValueError("the table has a single row: clustering needs at least two rows.")
except ValueError as error:
    st.error(plain(str(error).capitalize()))
    st.stop()
X = prepared.X
truth = None if truth_column == NO_TRUTH else frame[truth_column].to_numpy(dtype=object)
examples = samples.example_anchors(truth, np.random.default_rng(0)) if truth is not None else {}
if source != "Built-in sample" or len(examples) > 12:
    examples = {}
start_dataset(fingerprint(frame), examples, name)
ss["n_rows"] = len(frame)

# ---------------------------------------------------------------- sidebar: map and model
with st.sidebar:
    st.header("Map")
    method = PROJECTIONS[st.radio("Projection", list(PROJECTIONS), horizontal=True,
                                  key="projection")]
    pair = None
    if method == "columns":
        if X.shape[1] < 2:
            st.warning("Two columns need at least two features; showing PCA.")
            method = "pca"
        else:
            first = st.selectbox("x", prepared.feature_names, index=0)
            second = st.selectbox("y", prepared.feature_names, index=1)
            pair = (prepared.feature_names.index(first), prepared.feature_names.index(second))
    st.header("Model")
    anchors = ss["anchors"]
    n_labels = len(set(anchors.values()))
    default_k = len(set(map(str, truth))) if truth is not None else 3
    n_clusters = int(st.number_input("Clusters when there are no anchors", 2, 50,
                                     min(max(default_k, 2), 50), disabled=bool(anchors)))
    same_unit = st.toggle(
        "Columns share one unit", value=False, key=f"same_unit_{name}",
        help="Off: every column is z-scored, for columns in different units (euros, years…). "
             "On: the columns keep their relative spreads, for pixels, coordinates in one unit "
             "or principal components, where z-scoring would blow faint directions up to the "
             "size of strong ones. Applies to the model and to K-means.")
    auto_k = st.toggle("K-means: K = number of labels", value=True)
    k = max(2, n_labels) if anchors else n_clusters
    if not auto_k:
        k = int(st.number_input("K for K-means", 2, 50, k))
    colour_options = ["Cluster", "Uncertainty"] + (["Ground truth"] if truth is not None else [])
    colour_by = st.radio("Colour the model map by", colour_options, horizontal=True,
                         key="colour_by")
    fade = st.toggle("Fade uncertain points", value=True)
    show_suggestions = st.toggle(f"Ring the {N_SUGGESTIONS} points to label next", value=True)
    st.header("Anchors file")
    st.download_button("Download anchors (CSV)", anchor_ops.anchors_to_csv(anchors),
                       file_name="anchors.csv", mime="text/csv", width="stretch")
    st.file_uploader("Load anchors (CSV: row_id,label)", type=["csv"], key="anchor_file",
                     on_change=on_anchor_file)

# ---------------------------------------------------------------- model and K-means
try:
    get_model()
except Exception as error:  # a missing or mismatched weights file is a setup problem
    st.error(f"Could not load the model weights ({SHIPPED_WEIGHTS.name}): {error}. "
             "Reinstall the project or point PFNClusterer at a matching weights file.")
    st.stop()
run_started = time.time()
try:
    with st.spinner(f"Clustering {len(X):,} rows…"):
        result = cluster(X, tuple(sorted(anchors.items())), n_clusters, not same_unit)
        km = kmeans(X, min(k, len(X)), not same_unit)
except ValueError as error:
    st.error(plain(str(error).capitalize()))
    st.stop()
labels = result["labels"]
km_matched = comparison.match_labels(labels, km).astype(str).astype(object)
truth_text = None if truth is None else pd.Series(truth).astype(str).to_numpy(dtype=object)
ss["colours"] = session.extend_colours(ss.get("colours", {}), [
    *anchors.values(), *np.unique(labels), *np.unique(km_matched),
    *(np.unique(truth_text) if truth_text is not None else []),
])
colours = ss["colours"]
uncertainty = active.uncertainty(result["proba"])
suggestions = active.suggest_next(result["proba"], N_SUGGESTIONS, exclude=anchors)
ss["suggestions"] = suggestions

# ---------------------------------------------------------------- header and labelling bar
title, download = st.columns([5, 1], vertical_alignment="bottom")
title.title("Clustering by attention")
download.download_button(  # the CSV is built only when clicked, not on every rerun
    "Download results", file_name="clusters.csv", mime="text/csv", type="primary",
    icon=":material/download:", width="stretch", on_click="ignore",
    data=lambda f=frame, p=labels, c=result["confidence"], m=km_matched: export.to_csv_bytes(
        export.results_frame(f, p, c, m)),
    help="CSV of every row with its model cluster, confidence and K-means cluster.",
)
st.caption(session.run_caption(name, description, len(X), len(anchors), result["seconds"],
                               kept=result["computed_at"] < run_started,
                               in_metric=result["in_metric"]))
if ss.get("notice"):
    st.info(ss["notice"], icon="💾")
for note in prepared.notes:
    st.caption(f"ℹ️ {plain(note)}")

with st.container(border=True):
    selection = ss["selection"]
    label_names = list(dict.fromkeys(sorted(set(anchors.values())) or sorted(set(labels))))
    top = st.columns([2.2, 2, 2, 1.2, 1.2, 1, 1], vertical_alignment="bottom")
    top[0].markdown(
        f"**{len(selection)} points selected**" if selection
        else "**Lasso, box or click points** on the model map to select them"
    )
    top[1].selectbox("Existing label", label_names, key="existing_label")
    top[2].text_input("…or a new label", key="new_label", placeholder="e.g. churners")
    top[3].button("Assign", type="primary", on_click=on_assign, disabled=not selection,
                  width="stretch", key="assign")
    top[4].button("Unlabel", on_click=on_remove, width="stretch",
                  disabled=not any(r in anchors for r in selection),
                  help="Remove the selected points from the anchors")
    top[5].button("Undo", on_click=on_undo, disabled=not ss["can_undo"],
                  width="stretch")
    top[6].button("Clear", on_click=on_clear, disabled=not anchors, width="stretch",
                  help="Remove all anchors")
    if ss["example_rows"]:
        line = st.columns([5, 2], vertical_alignment="center")
        count = len(ss["example_rows"])
        line[0].caption(f"★ {count} example {'anchor was' if count == 1 else 'anchors were'} "
                        "placed from the ground truth to show the idea.")
        line[1].button("Remove example anchors", on_click=on_remove_examples, width="stretch")
    message = ss.get("message")
    if message:
        (st.success if message[0] == "success" else st.error)(plain(message[1]))

# ---------------------------------------------------------------- the two maps
cache_dir = session.projection_cache_dir()
ready = method != "umap" or len(X) < projection.UMAP_MIN_ROWS or X.shape[1] <= 2 or (
    cache_dir / f"{projection.projection_cache_key(X, method, pair, 0)}.npy").exists()
customdata = np.column_stack([np.arange(len(X)), np.round(result["confidence"], 3)])
hover_text = plain_text.hover_lines(frame, hover) if hover else None
left, right = st.columns(2)
left.subheader(f"Model: {len(set(labels))} clusters from {len(anchors)} anchors")
right.subheader(f"K-means, K = {k}", help="K-means on the standardised features; "
                "its clusters are renamed to the best-matching model clusters so colours agree.")
if not ready:
    preview = left.empty()
    quick = project_map(X, "pca", None, str(cache_dir))
    quick_figure = figures.map_figure(quick, labels, result["confidence"], colours, customdata,
                                      hover_text)
    preview.plotly_chart(quick_figure, key="preview")
    with st.spinner("Computing the UMAP map (PCA shown meanwhile; the first UMAP of a fresh "
                    "install compiles code and can take a minute)…"):
        Y = project_map(X, method, pair, str(cache_dir))
    preview.empty()
else:
    Y = project_map(X, method, pair, str(cache_dir))
with left:
    st.plotly_chart(
        figures.map_figure(Y, truth_text if colour_by == "Ground truth" else labels,
                           np.ones(len(X)) if colour_by == "Ground truth" else result["confidence"],
                           colours, customdata, hover_text, fade=fade,
                           anchors=anchors, examples=ss["example_rows"],
                           suggested=suggestions if show_suggestions else (),
                           uncertainty=uncertainty if colour_by == "Uncertainty" else None,
                           selectable=True, meta=ss["epoch"]),
        key=MAP_KEY, on_select=on_select, selection_mode=("lasso", "points", "box"),
        config={"displaylogo": False},
    )
with right:
    kmeans_figure = figures.map_figure(Y, km_matched, np.ones(len(X)), colours, customdata,
                                       hover_text, fade=False, anchors=anchors)
    st.plotly_chart(kmeans_figure, key="kmeans_map",
                    config={"displaylogo": False})

# ---------------------------------------------------------------- scores, sizes, next rows
stats, sizes, nxt = st.columns([1.2, 1, 1.4])
with stats:
    st.subheader("Scores")
    first, second = st.columns(2)
    first.metric("Model vs K-means (ARI)", f"{comparison.agreement(labels, km_matched):.2f}",
                 help="Adjusted Rand index between the two clusterings: 1 = identical.")
    second.metric("Re-cluster time", f"{result['seconds']:.2f} s",
                  help=f"PFNClusterer on all {len(X):,} rows: forward passes only, no fitting.")
    if truth is not None:
        scores = pd.DataFrame({
            "model": comparison.scores_against_truth(truth, labels),
            "K-means": comparison.scores_against_truth(truth, km_matched),
        }).T
        st.caption(f"Against the ground truth “{plain(truth_column)}”")
        st.dataframe(scores.style.format("{:.3f}").highlight_max(axis=0, color="#d4edda"))
    else:
        st.caption("Choose a ground-truth column in the sidebar to score both against it.")
with sizes:
    st.subheader("Cluster sizes")
    with st.container(key="cluster_counts"):
        st.dataframe(figures.sizes_table(labels, km_matched, colours), hide_index=True, height=230)
        st.caption("Model: " + " · ".join(
            f"{plain(row.label)} {row.count}"
            for row in comparison.cluster_sizes(labels).itertuples()))
with nxt:
    st.subheader("Which to label next")
    st.caption("The rows the model is least sure about (top-2 probabilities closest).")
    table = pd.DataFrame({
        "row": suggestions, "predicted": labels[suggestions],
        "uncertainty": np.round(uncertainty[suggestions], 3),
    })
    for column in hover:
        table[column] = frame[column].to_numpy()[suggestions]
    st.dataframe(table, hide_index=True, height=200)
    st.button("Select these rows", on_click=on_select_suggestions,
              help="Selects them; then name them with Assign above.")

# ---------------------------------------------------------------- share with the other pages
ss[session.SESSION_KEY] = session.StudioData(
    name=name, frame=frame, X=X, feature_names=prepared.feature_names, truth=truth,
    anchors=dict(anchors), projection=Y, n_clusters=n_clusters, scale_columns=not same_unit,
)
