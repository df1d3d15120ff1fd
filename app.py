"""Clustering by attention: the studio.

Load a table, see it as a 2-D map, lasso a few points and name them (anchors); the pre-trained
transformer re-clusters every row from those anchors, with no fitting, next to K-means.
Run with ``streamlit run app.py``. All model and clustering logic lives in ``pfn_core``; the
parts of this page are render modules in ``pages/studio_ui``.
"""

from __future__ import annotations

import streamlit as st

from pages.studio_ui import (
    anchor_actions,
    cached,
    data_source,
    mapping,
    navigation,
    settings,
    workspace,
)
from pfn_core.checkpoint import SHIPPED_WEIGHTS
from pfn_core.studio import runtime

st.set_page_config(page_title="Clustering by attention", page_icon="◆", layout="wide")
navigation.name_main_page()
if thread_problem := runtime.share_cores_with_browser():  # leave cores to the browser
    st.warning(thread_problem)
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.2rem}</style>")

# The labelling session and the table (sidebar), the session's anchors for it read from the
# session store (the example anchors placed the first time the session opens the table).
table = data_source.render()
anchor_actions.start_dataset(cached.fingerprint(table.frame), table.example_anchors(), table.name)
st.session_state["n_rows"] = len(table.frame)

# How to map, scale, compare and colour (sidebar: Map, Model).
chosen = settings.render(table, workspace.N_SUGGESTIONS)

try:
    cached.get_model()
except Exception as error:  # a missing or mismatched weights file is a setup problem
    st.error(f"Could not load the model weights ({SHIPPED_WEIGHTS.name}): {error}. "
             "Reinstall the project or point PFNClusterer at a matching weights file.")
    st.stop()

# The map's coordinates (computed once per table and projection, kept on disk).
Y, map_id = mapping.render(table.X, chosen)

# Everything that changes with the anchors, rerun alone on each label (st.fragment).
workspace.render(table, chosen, Y, map_id)
