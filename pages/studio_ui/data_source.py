"""The sidebar's labelling session and Data sections: a built-in sample or an uploaded table
(sampled down when it is over a limit), and its columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from pages.studio_ui import cached, limits, sessions
from pfn_core.studio import samples, session, tabular_io
from pfn_core.studio.plain_text import markdown_literal as plain

NO_TRUTH = "(none)"
UPLOAD_FIRST = ("**Upload a table** in the sidebar (CSV, TSV, Parquet or Excel): one row per "
                "item, with numeric columns to cluster on; text columns can serve as hover "
                "labels or as a reference to compare with. It is mapped and clustered as soon "
                "as it arrives. Or pick **Built-in sample** to try the studio first.")
UPLOAD_AGAIN = "Upload another file in the sidebar, or pick Built-in sample."
MAX_EXAMPLE_ANCHORS = 12


@dataclass
class Table:
    """The table the analyst chose: name, frame, a one-line description, whether it is a
    built-in sample, the chosen columns, and the prepared features X (N, D)."""

    name: str
    frame: pd.DataFrame
    description: str
    is_sample: bool
    truth_column: str
    truth: np.ndarray | None
    features: list[str]
    hover: list[str]
    prepared: tabular_io.PreparedFeatures

    @property
    def X(self) -> np.ndarray:
        return self.prepared.X

    def example_anchors(self) -> dict[int, str]:
        """One anchor per true class of a built-in sample (none for uploads or many classes)."""
        if self.truth is None or not self.is_sample:
            return {}
        examples = samples.example_anchors(self.truth, np.random.default_rng(0))
        return examples if len(examples) <= MAX_EXAMPLE_ANCHORS else {}


def render() -> Table:
    """Draw the session and Data sections in the sidebar and return the chosen table; stops
    the script with an error saying what to do when there is nothing to cluster (or with a
    button to sample a table over a limit). Text from the upload is shown as text."""
    ss = st.session_state
    main_area = st.container()  # where a stop before any table also says what to do
    with st.sidebar:
        sessions.session_sidebar()  # the session's name, link and picker
        st.header("Data")
        source = st.radio("Source", ["Built-in sample", "Upload a file"], horizontal=True,
                          index=1 if ss.get("uploaded_table") else 0, key="source")
        if source == "Built-in sample":
            name = st.selectbox("Sample", samples.SAMPLE_NAMES, key="sample",
                                index=samples.SAMPLE_NAMES.index(session.DEFAULT_SAMPLE))
            sample = cached.load_sample(name)
            frame, default_truth = sample.frame, sample.truth_column
            description, default_features = sample.description, sample.feature_columns
        else:
            upload = st.file_uploader("CSV, TSV, Parquet or Excel",
                                      type=["csv", "tsv", "tab", "parquet", "pq", "xlsx", "xls"])
            if upload is not None:
                ss["uploaded_table"] = (upload.name, upload.getvalue())
            if not ss.get("uploaded_table"):
                st.info("Upload a table with one row per item and numeric columns to cluster on.")
                _stop_in_main_area(main_area, UPLOAD_FIRST, st.info)
            name, data = ss["uploaded_table"]
            try:
                frame = cached.read_table(name, data)
            except ValueError as error:
                st.error(plain(str(error).capitalize()))
                _stop_in_main_area(main_area, f"Could not read {plain(name)}: "
                                   f"{plain(str(error).rstrip('.'))}. {UPLOAD_AGAIN}", st.error)
            frame = limits.within_limits(frame, name)
            default_truth = tabular_io.likely_truth_column(frame) or NO_TRUTH
            description = f"{len(frame):,} rows × {frame.shape[1]} columns"
            default_features, identifiers = tabular_io.default_feature_columns(frame)
            if default_truth != NO_TRUTH:
                st.caption(plain(
                    f"{default_truth} is taken as the ground truth by default, not as a "
                    "feature: its name and its few values look like known classes. The maps "
                    "can be coloured by it and the scores compare with it; choose (none) "
                    "under Columns to cluster on it instead."))
            if identifiers:
                st.caption(plain(
                    f"Left out of the features by default: {', '.join(identifiers)} (distinct "
                    "whole numbers, like a row identifier; clustering on them would split the "
                    "table by row order). Add them under Columns if they measure something."))
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
        st.error("No feature columns chosen: pick at least one column to cluster on in the "
                 "sidebar.")
        st.stop()
    try:
        prepared = cached.prepare(frame, tuple(features))
        if len(frame) < 2:
            raise ValueError("the table has a single row: clustering needs at least two rows.")
    except ValueError as error:
        st.error(plain(str(error).capitalize()))
        st.stop()
    truth = None if truth_column == NO_TRUTH else frame[truth_column].to_numpy(dtype=object)
    return Table(name=name, frame=frame, description=description,
                 is_sample=source == "Built-in sample", truth_column=truth_column, truth=truth,
                 features=features, hover=hover, prepared=prepared)


def _stop_in_main_area(main_area, message: str, show) -> None:
    """End the script with `message` in the main area too (`show`: st.info or st.error), so
    that a page with no table yet is not blank beside the sidebar."""
    with main_area:
        st.title("Clustering by attention")
        show(message)
    st.stop()
