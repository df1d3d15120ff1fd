"""Below the maps: scores, cluster sizes, the rows to label next, and the anchors file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from pages.studio_ui import anchor_actions as act
from pfn_core.limits import MAX_LABEL_LENGTH
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio import comparison, figures
from pfn_core.studio.plain_text import markdown_literal as plain
from pfn_core.suggest import suggestion_kinds

# How far the estimate of rows right was from the truth, fit by fit, on the dev suite
# (``python -m pfn_core.bench.calibration``, with ``--anchors lasso`` for the second
# sentence; BENCHMARKS.md "Honest confidence").
ESTIMATE_CHECK = ("with labels spread over each group, half the time within 0.05 / 0.03 / "
                  "0.02 of the true share at 1 / 3 / 10 labels per group, off by more than "
                  "0.25 / 0.15 / 0.10 on one table in ten: the more labels, the closer. "
                  "With each label one lassoed patch of its group it runs high: by 0.03 / "
                  "0.10 / 0.13 on average with patches of 3 / 10 / 40 rows; labels spread "
                  "over each group (the suggested rows, or more lassos elsewhere in it) "
                  "bring it closer.")


def render(table, labels, km_matched, result, uncertainty, suggestions, colours,
           anchors, fitted_model, agreement: float, n_suggestions: int) -> None:
    """table: the ``data_source.Table``; labels, km_matched, uncertainty (N,); result: the
    cached fit (its "seconds"); suggestions: row ids to label next (``pfn_core.suggest``,
    best first, as ``suggest_rows(..., n_suggestions)`` returned them); uncertainty: the
    model's hesitation per row; fitted_model: a callable
    giving the fitted clusterer's file (called when its download is clicked); agreement:
    the ARI between the model's clusters and K-means'."""
    stats, sizes, nxt = st.columns([1.2, 1, 1.4])
    with stats:
        st.subheader("Scores")
        first, second = st.columns(2)
        first.metric("Model vs K-means (ARI)",
                     f"{agreement:.2f}",
                     help="Adjusted Rand index between the two clusterings: 1 = identical.")
        second.metric("Re-cluster time", f"{result['seconds']:.2f} s",
                      help=f"PFNClusterer on all {len(labels):,} rows: forward passes only, "
                           "no fitting.")
        expected = comparison.expected_share_right(result["confidence"], anchors)
        if expected is not None:
            st.metric("Unlabelled rows right (model's estimate)", f"{expected:.0%}",
                      help="The mean of the model's calibrated confidence over the rows "
                           "nobody labelled: the share it expects to have right. Checked "
                           "on the benchmark tables (python -m pfn_core.bench.calibration): "
                           f"{ESTIMATE_CHECK}")
        if table.truth is not None:
            scores = pd.DataFrame({
                "model": comparison.scores_against_truth(table.truth, labels),
                "K-means": comparison.scores_against_truth(table.truth, km_matched),
            }).T
            st.caption(f"Against the ground truth “{plain(table.truth_column)}”")
            st.dataframe(scores.style.format("{:.3f}").highlight_max(axis=0, color="#d4edda"))
        else:
            st.caption("Choose a ground-truth column in the sidebar to score both against it.")
    with sizes:
        st.subheader("Cluster sizes")
        with st.container(key="cluster_counts"):
            st.dataframe(figures.sizes_table(labels, km_matched, colours), hide_index=True,
                         height=230)
            st.caption("Model: " + " · ".join(
                f"{plain(row.label)} {row.count}"
                for row in comparison.cluster_sizes(labels).itertuples()))
    with nxt:
        st.subheader("Which to label next")
        st.caption("Rows worth naming next: most are rows the model is unsure about, typical "
                   "of many rows and spread over the map; the last few sit in dense places "
                   "far from every label, where a group nobody named may be (column why). "
                   "Type labels next to the rows you can name and assign them, or select "
                   "them on the map.")
        rows = pd.DataFrame({
            "row": suggestions, "label": "",  # typed by the user, row by row
            "predicted": labels[suggestions],
            "uncertainty": np.round(uncertainty[suggestions], 3),
            "why": suggestion_kinds(n_suggestions, len(suggestions)),
        })
        for column in table.hover:  # a hover column never takes the place of ours
            shown = column if column not in rows.columns else f"{column} (table)"
            rows[shown] = table.frame[column].to_numpy()[suggestions]
        # A new list of suggestions (after every fit) gets a fresh, empty editor.
        editor_key = f"suggestion_labels_{hash(tuple(int(r) for r in suggestions))}"
        st.data_editor(
            rows, hide_index=True, height=200, key=editor_key,
            disabled=[column for column in rows.columns if column != "label"],
            column_config={"label": st.column_config.TextColumn(
                "label", max_chars=MAX_LABEL_LENGTH,
                help="Type a label next to the rows you can name; leave the others blank.")})
        select, assign = st.columns(2)
        select.button("Select these rows", on_click=act.on_select_suggestions,
                      help="Selects them on the map; then name them with Assign above.")
        assign.button("Assign typed labels", on_click=act.on_label_suggestions,
                      args=(editor_key, [int(r) for r in suggestions]), key="label_suggestions",
                      help="Each row with a label typed in the table becomes an anchor of "
                           "that label (one step to undo).")
    with st.expander("Anchors file and fitted model"):
        st.download_button(  # the CSV is built only when clicked, not on every rerun
            "Download anchors (CSV)", data=lambda kept=dict(anchors):
                anchor_ops.anchors_to_csv(kept),
            file_name="anchors.csv", mime="text/csv", on_click="ignore")
        st.download_button(
            "Download fitted model", data=fitted_model, on_click="ignore",
            file_name="fitted_clusterer.safetensors", mime="application/octet-stream",
            help="Scores new rows elsewhere: python -m pfn_core predict --model "
                 "fitted_clusterer.safetensors --input TABLE --output OUT (README).")
        st.file_uploader("Load anchors (CSV: row_id,label)", type=["csv"], key="anchor_file",
                         on_change=act.on_anchor_file)
