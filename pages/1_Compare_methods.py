"""Compare methods: the model next to classical clustering on the studio's current data."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from pages.studio_ui.navigation import name_main_page
from pfn_core import PFNClusterer
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio import cache_bounds, comparison, projection, runtime, session
from pfn_core.studio.plain_text import hover_literal, markdown_literal  # issue 16

MODEL = "PFN (this model)"
st.set_page_config(page_title="Compare methods", page_icon="◆", layout="wide")
name_main_page()
if thread_problem := runtime.share_cores_with_browser():  # leave cores to the browser
    st.warning(thread_problem)


@st.cache_data(show_spinner=False, max_entries=1)
def default_data() -> session.StudioData:
    return session.sample_data()


@st.cache_data(show_spinner="Running the model and five classical methods…",
               max_entries=cache_bounds.COMPARE_RESULTS)
def run_methods(X, anchors: tuple, n_clusters: int, seed: int,
                scale_columns: bool) -> dict[str, np.ndarray]:
    """Every method's labels (N,) as strings, renamed to match the model's clusters."""
    y = anchor_ops.anchors_to_targets(dict(anchors), len(X))
    model = PFNClusterer(n_clusters=None if anchors else n_clusters,
                         scale_columns=scale_columns).fit_predict(X, y)
    reference = np.asarray(model).astype(str).astype(object)
    results = {MODEL: reference}
    for name, labels in comparison.classical_methods(X, y, n_clusters, seed,
                                                     scale_columns).items():
        matched = comparison.match_labels(reference, labels, prefix=name).astype(str)
        noise = np.asarray(labels, dtype=object) == comparison.NOISE
        results[name] = np.where(noise, comparison.NOISE, matched).astype(object)
    return results


@st.cache_data(show_spinner="Computing a PCA map…", max_entries=cache_bounds.MAPS)
def pca_map(X):
    return projection.project(X, "pca")


data = st.session_state.get(session.SESSION_KEY) or default_data()
n_labels = len(set(data.anchors.values()))
with st.sidebar:
    k = int(st.number_input("K for the methods that need it", 2, 50,
                            max(2, n_labels or data.n_clusters)))
    seed = int(st.number_input("Seed", 0, 10_000, 0))

st.title("Compare methods")
if session.SESSION_KEY not in st.session_state:
    st.info("Showing the default sample: open the studio first to compare on your own data.")
st.caption(
    f"**{markdown_literal(data.name)}**: {len(data.X):,} rows, {len(data.anchors)} anchors. "
    "K-means, the Gaussian mixture, Ward and HDBSCAN ignore the anchors; label spreading and "
    "the model use them. Colours are matched to the model's clusters; ARI against the model "
    "says how alike two clusterings are."
    + ("" if data.scale_columns else " Columns share one unit (set in the studio): no method "
       "z-scores them one by one.")
)
try:
    results = run_methods(data.X, tuple(sorted(data.anchors.items())), k, seed,
                          data.scale_columns)
except ValueError as error:
    st.error(str(error).capitalize())
    st.stop()
table = comparison.method_table(results, data.truth, reference=results[MODEL])
scores = [c for c in ("ARI", "NMI", "V-measure") if c in table]
st.dataframe(table.style.format(precision=3).highlight_max(subset=scores, color="#d4edda"),
             hide_index=True)
if data.truth is None:
    st.caption("Choose a ground-truth column in the studio to score every method against it.")

if data.projection is not None:  # the studio's own map
    Y = data.projection
else:  # a table of two columns is its own map, as in the studio
    Y = data.X if data.X.shape[1] == 2 else pca_map(data.X)
colours = session.extend_colours({comparison.NOISE: "#BBBBBB", **st.session_state.get(
    "colours", {})}, np.concatenate(list(results.values())))
grid = st.columns(3)
for index, (name, labels) in enumerate(results.items()):
    fig = go.Figure()
    for label in dict.fromkeys(labels):
        keep = labels == label
        fig.add_trace(go.Scattergl(x=Y[keep, 0], y=Y[keep, 1], mode="markers",
                                   name=hover_literal(label),
                                   marker=dict(size=4, color=colours[label])))
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=5, b=5), showlegend=False,
                      plot_bgcolor="white")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    with grid[index % 3]:
        st.markdown(f"**{name}** · {len(set(labels) - {comparison.NOISE})} clusters")
        st.plotly_chart(fig, key=f"method_{index}", config={"displayModeBar": False})
