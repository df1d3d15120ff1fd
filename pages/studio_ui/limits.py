"""The studio's answer to a table over a limit (``pfn_core.limits``): say which limit, and
offer to sample the table down to it. Render functions only (Streamlit side)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from pfn_core import limits
from pfn_core.studio import cache_bounds, tabular_io
from pfn_core.studio.plain_text import markdown_literal


@st.cache_data(show_spinner="Sampling the table…", max_entries=cache_bounds.TABLES)
def shrunk(frame: pd.DataFrame) -> pd.DataFrame:
    """The table within the limits, the same rows every time (seed 0)."""
    return tabular_io.shrink(frame, np.random.default_rng(0))


def within_limits(frame: pd.DataFrame, file_name: str) -> pd.DataFrame:
    """``frame`` when it is within the limits; else an error naming the limit and a button to
    sample it (the script stops until it is pressed), then the sampled table with a note."""
    try:
        tabular_io.check_size(frame)
        return frame
    except tabular_io.TableTooLarge as error:
        key = f"sample_over_limit_{file_name}"
        if not st.session_state.get(key):
            st.error(markdown_literal(str(error).capitalize()))
            rows = min(error.n_rows, limits.MAX_ROWS)
            columns = min(error.n_columns, limits.MAX_COLUMNS)
            st.button(f"Sample it: {rows:,} random rows, first {columns:,} columns",
                      key="sample_over_limit", type="primary",
                      on_click=lambda: st.session_state.update({key: True}))
            st.stop()
        st.info(f"Sampled to {min(error.n_rows, limits.MAX_ROWS):,} of {error.n_rows:,} rows "
                f"and {min(error.n_columns, limits.MAX_COLUMNS):,} of {error.n_columns:,} "
                "columns (the studio's limits).")
        return shrunk(frame)
