"""The studio's main area, run as one fragment: a click on Assign reruns only this part (the
model, the maps' styles, the scores), not the sidebar, the table or the projection."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from pages.studio_ui import cached, discovery_panel, labelling, maps, results
from pages.studio_ui.data_source import Table
from pages.studio_ui.settings import Settings
from pfn_core.carry import CONTEXT_PER_CLASS
from pfn_core.studio import active, comparison, export, session
from pfn_core.studio.plain_text import markdown_literal as plain

N_SUGGESTIONS = 10


@st.fragment
def render(table: Table, settings: Settings, Y: np.ndarray, map_id: str) -> None:
    """Everything that depends on the anchors. Y (N, 2) is the map, map_id its name."""
    ss = st.session_state
    anchors, X = ss["anchors"], table.X
    title, download = st.columns([5, 1], vertical_alignment="bottom")
    title.title("Clustering by attention")
    # Parts that come and go sit in containers that are always there, so the elements below
    # keep their places and a rerun of this fragment replaces them instead of adding new ones.
    with st.container():  # without anchors: the model's K and its evidence, or K by hand
        n_clusters, k_slots = discovery_panel.choose_k(table, anchors)
    header = st.container()
    run_started = time.time()
    passes = ""
    if not anchors:
        passes = (f" into {n_clusters} clusters without anchors (the model seeds itself)"
                  if n_clusters else " without anchors (the model finds K, then seeds itself)")
    frozen = cached.AnchorPairs(anchors)  # sorted and digested once per rerun
    try:
        with st.spinner(f"Clustering {len(X):,} rows{passes}…"):
            result = cached.cluster(X, frozen, n_clusters,
                                    not settings.same_unit, N_SUGGESTIONS)
        k = settings.kmeans_k or max(2, result["n_clusters"])  # the model's K, also estimated
        with st.spinner(f"K-means on {len(X):,} rows…"):
            km = cached.kmeans(X, min(k, len(X)), not settings.same_unit)
    except ValueError as error:
        st.error(plain(str(error).capitalize()))
        st.stop()
    labels = result["labels"]
    derived = _per_fit(result, km, k)
    km_matched, uncertainty = derived["km_matched"], derived["uncertainty"]
    truth_text = (None if table.truth is None
                  else pd.Series(table.truth).astype(str).to_numpy(dtype=object))
    ss["colours"] = colours = session.extend_colours(ss.get("colours", {}), [  # sorted uniques
        *anchors.values(), *sorted(pd.unique(labels)), *sorted(pd.unique(km_matched)),
        *(sorted(pd.unique(truth_text)) if truth_text is not None else []),
    ])
    ss["suggestions"] = suggestions = [int(r) for r in result["suggested"]]

    download.download_button(  # the CSV is built only when clicked, not on every rerun
        "Download results", file_name="clusters.csv", mime="text/csv", type="primary",
        icon=":material/download:", width="stretch", on_click="ignore",
        data=lambda f=table.frame, p=labels, c=result["confidence"], m=km_matched:
            export.to_csv_bytes(export.results_frame(f, p, c, m)),
        help="CSV of every row with its model cluster, confidence and K-means cluster.",
    )
    with header:
        st.caption(session.run_caption(table.name, table.description, len(X), len(anchors),
                                       result["seconds"],
                                       kept=result["computed_at"] < run_started,
                                       in_metric=result["in_metric"],
                                       guessed=result.get("guessed", False)))
        if result["model_anchors"] < len(anchors):
            st.caption(f"The model's context held {result['model_anchors']} of the "
                       f"{len(anchors):,} anchors: at most {CONTEXT_PER_CLASS} per label, "
                       "a uniform sample of each label's anchors. Every anchor keeps its own "
                       "label, sets the anchors' metric and votes on the points near it, so "
                       "labelling more keeps helping.")
        if result.get("own_clustering"):  # results kept on disk before this have no key
            st.caption("With this few anchors the map shows the model's own clustering of the "
                       "table, named by your anchors: every anchor agrees with it and it "
                       "follows the data better than a fit from the anchors alone. About 5 "
                       "anchors per label let the anchors steer.")
        if result.get("discovery_fit"):
            st.caption("With one to three anchors per label the map comes from the pass that "
                       "also looks for clusters nobody labelled: the table's own sub-clusters, "
                       "each joined to the label it is most confused with; it follows the "
                       "links between neighbouring rows better than a fit from the anchors "
                       "alone.")
        distinct = result["n_distinct_rows"]  # fits read from disk: every row, if older
        if distinct < len(X):
            st.caption(f"{len(X) - distinct:,} rows repeat another row exactly: the model "
                       f"clustered the {distinct:,} distinct rows, and every copy takes its "
                       "row's cluster (copies would otherwise bend the distances along the "
                       "data).")
        if ss.get("notice"):
            st.info(ss["notice"], icon="💾")
        for note in table.prepared.notes:
            st.caption(f"ℹ️ {plain(note)}")
    discovery_panel.show_k(k_slots, table, result, n_clusters)
    with st.container():  # the clusters nobody labelled, each named in one action
        discovery_panel.new_clusters(anchors, labels, result["confidence"], colours)
    labelling.render(anchors, labels)
    maps.render(Y, map_id, labels, km_matched, result["confidence"], uncertainty, colours,
                anchors, suggestions, truth_text, table, settings, k)

    def fitted_model() -> bytes:  # fitted only when its download is clicked
        return cached.fitted_model(X, frozen, n_clusters, not settings.same_unit)

    results.render(table, labels, km_matched, result, uncertainty, suggestions, colours,
                   anchors, fitted_model, derived["agreement"], N_SUGGESTIONS)
    if ss["selection"]:  # most selections are named next: fit that while the name is typed
        cached.guess_next_fit(X, anchors, ss["selection"], not settings.same_unit,
                              N_SUGGESTIONS, ss.get("likely_label"))
    ss[session.SESSION_KEY] = session.StudioData(  # shared with the other pages
        name=table.name, frame=table.frame, X=X, feature_names=table.prepared.feature_names,
        truth=table.truth, anchors=dict(anchors), projection=Y,
        n_clusters=result["n_clusters"],
        scale_columns=not settings.same_unit,
    )


def _per_fit(result: dict, km: np.ndarray, k: int) -> dict:
    """What the page derives from one fit and its K-means (K = ``k``): the K-means clusters
    renamed to the model's ("km_matched", (N,)), the model's uncertainty per row
    ("uncertainty", (N,)) and the two clusterings' agreement ("agreement", ARI). Kept in
    the session for the reruns that change nothing but the selection (a click or a lasso
    on the map), which would otherwise redo them: 0.08 s per click at 100,000 rows."""
    key = (result["key"], k)
    kept = st.session_state.get("_per_fit")
    if kept is None or kept[0] != key:
        labels = result["labels"]
        km_matched = comparison.match_labels(labels, km).astype(str).astype(object)
        kept = (key, {"km_matched": km_matched,
                      "uncertainty": active.uncertainty(result["proba"]),
                      "agreement": comparison.agreement(labels, km_matched)})
        st.session_state["_per_fit"] = kept
    return kept[1]
