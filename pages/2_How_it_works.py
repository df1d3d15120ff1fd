"""How it works: the prior-fitted network idea, shown on data drawn from the training prior."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from sklearn.metrics import adjusted_rand_score

from pages.studio_ui.navigation import name_main_page
from pfn_core import FAMILIES, PFNClusterer, attention_dynamics, explain
from pfn_core.bench import baselines, datasets, protocol, runner
from pfn_core.bench.paper import DEFAULT_OUT as PAPER_DIR
from pfn_core.inference import DEFAULT_CONTEXT_SIZE
from pfn_core.studio import active, cache_bounds, runtime, session
from pfn_core.studio.plain_text import hover_literal, markdown_literal  # issue 16

ANCHOR_LEVELS = (0, 1, 3, 10)
CONTEXT_SIZES = (0, 16, 32, 64)
QUERY_KEY = "attention_map"
METHOD_NAMES = {"model": "PFN (this model)", "knn1": "1-NN to the anchors", "kmeans": "K-means"}
st.set_page_config(page_title="How it works", page_icon="◆", layout="wide")
name_main_page()
if thread_problem := runtime.share_cores_with_browser():  # leave cores to the browser
    st.warning(thread_problem)


@st.cache_data(show_spinner=False, max_entries=cache_bounds.TEACHING)
def draw(family: str, n_points: int, n_clusters: int, seed: int):
    """X (N, 2), y (N,) from one prior family: the same function training samples from."""
    X, y = FAMILIES[family](np.random.default_rng(seed), n_points, n_clusters, 2)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


@st.cache_data(show_spinner="Running the model…", max_entries=cache_bounds.TEACHING)
def model_view(X, y_partial, n_clusters: int, context_size: int):
    """Labels (N,), uncertainty (N,) and, with anchors, the labels after each layer (L, N).
    The anchored fit always (own_clustering=False): this page shows what attention to the
    anchors does, even where the studio would show the model's own clustering instead."""
    anchored = bool((y_partial != protocol.UNLABELLED).any())
    estimator = PFNClusterer(n_clusters=None if anchored else n_clusters,
                             context_size=context_size,
                             own_clustering=False).fit(X, y_partial)
    layers = explain.predictions_by_layer(X, y_partial, context_size)[0] if anchored else None
    return estimator.labels_, active.uncertainty(estimator.proba_), layers


@st.cache_data(show_spinner=False, max_entries=cache_bounds.TEACHING)
def metric_space(X, y_partial):
    """The drawn task in the anchors' metric, (N, 2), or None with too few anchors."""
    return explain.metric_view(X, y_partial)


@st.cache_data(show_spinner="Reading the attention…", max_entries=cache_bounds.TEACHING)
def attention(X, y_partial, query_row: int, context_size: int) -> explain.AttentionView:
    return explain.attention_view(X, y_partial, query_row, context_size)


@st.cache_data(show_spinner="Running the experiment (3 seeds per anchor count)…",
               max_entries=cache_bounds.TEACHING)
def anchors_experiment(name: str, X, y, seeds: tuple[int, ...]) -> pd.DataFrame:
    """Mean ARI (on non-anchor rows) per method and anchors per cluster, via the benchmark."""
    data = {name: None} if X is None else {name: (X, y)}
    records = runner.run_benchmark(
        data, levels=ANCHOR_LEVELS, seeds=seeds, methods=("model", "knn1", "kmeans"),
        estimator_factory=PFNClusterer, shared_root=datasets.resolve_shared_root(),
    )
    frame = pd.DataFrame(records)
    frame["method"] = frame["method"].map(METHOD_NAMES)
    return frame.groupby(["method", "level"], as_index=False)["ari"].mean()


@st.cache_data(show_spinner=False, max_entries=cache_bounds.TEACHING)
def identity_path(X, beta: float, steps: int, kernel: str):
    """The drawn points (unit scale) after 0..steps identity-attention steps, (T+1, N, 2)."""
    return attention_dynamics.iterate_identity_attention(
        attention_dynamics.unit_scale(X), beta, steps, kernel)


@st.cache_data(show_spinner="Training two heads without labels…", max_entries=cache_bounds.TEACHING)
def two_heads(separation: float, seed: int):
    """Points of a two-Gaussian mixture, its means (2, 2) and two heads trained on it."""
    mean = separation / 2 * np.array([2.0, 1.0]) / np.sqrt(5.0)  # the means are separation apart
    X, _ = attention_dynamics.two_gaussians(1000, mean, 1.0, np.random.default_rng(seed))
    run = attention_dynamics.train_two_heads(X, rng=np.random.default_rng(seed))
    return X, np.stack([mean, -mean]), run


def on_pick() -> None:
    """Remember the clicked point as the query, for the task it was clicked on."""
    event = st.session_state.get(QUERY_KEY)
    points = (event or {}).get("selection", {}).get("points", [])
    rows = [p.get("customdata") for p in points if isinstance(p.get("customdata"), int)]
    if rows:
        st.session_state["query"] = (st.session_state["task"], rows[0])


def scatter(fig, X, labels, colours, row=None, col=None, size=5, **marker):
    """Add one trace per label of X (N, 2) to fig."""
    for label in dict.fromkeys(np.asarray(labels).astype(str)):
        keep = np.asarray(labels).astype(str) == label
        fig.add_trace(go.Scattergl(
            x=X[keep, 0], y=X[keep, 1], mode="markers", name=hover_literal(label),
            legendgroup=label,
            customdata=np.flatnonzero(keep).tolist(), showlegend=row in (None, 1) and col in (
                None, 1), marker=dict(size=size, color=colours[label], **marker),
            hovertemplate="row %{customdata}<extra>%{fullData.name}</extra>",
        ), row=row, col=col)


def clean(fig, height, equal_axes=True):
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=30, b=5), plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.02, yanchor="top"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, **({"scaleanchor": "x"} if equal_axes else {}))
    return fig


with st.sidebar:
    st.header("Draw a task from the prior")
    family = st.selectbox("Family", list(FAMILIES), index=list(FAMILIES).index("curves"))
    n_clusters = st.slider("Clusters", 2, 8, 3)
    n_points = st.slider("Points", 100, 800, 400, step=50)
    seed = st.slider("Seed", 0, 50, 6)
    per_class = st.select_slider("Anchors per cluster", ANCHOR_LEVELS, value=3)
    context_size = st.select_slider(
        "Unlabelled context tokens", CONTEXT_SIZES, value=DEFAULT_CONTEXT_SIZE,
        help="0 is what the studio uses: points attend to the anchors alone, and the "
             "unlabelled points still shape the paths along the data. Add some to watch "
             "labels spread through unlabelled tokens too.")

st.title("How it works")
st.markdown("""
**A prior-fitted network (PFN)** learns to cluster *before* it sees your data. Offline, it was
trained on a great many small synthetic tasks drawn from a **prior**: blobs, rings,
curves, chains… each with a few points already labelled. Its only job in training: guess the
labels of the other points.

**Anchors are tokens.** Every labelled point enters the transformer as a token carrying its
features *and* its label; unlabelled points can join as context tokens without a label
(the sidebar's "Unlabelled context tokens"; the studio uses none).
**Each point attends to that context**: it looks at the tokens, weighs them (similar tokens,
and tokens *close along the data*, weigh more), and reads off which label it belongs to.
"Close along the data" is the length of the shortest path that hops between neighbouring
points: two points on neighbouring arms of a spiral are close in a straight line but far
along the data, so attention follows each arm. That is how the unlabelled points speak even
when none is a token: they are the stepping stones of those paths.

**One forward pass, no fitting.** Nothing is optimised on your data: a new anchor is just one
more token, which is why the studio can re-cluster thousands of rows while you label. (A
label with more than 32 anchors, as a big lasso makes, sends a random 32 of them as tokens,
so a pass costs the same however much you label; the others still vote on the points near
them, so labelling more keeps helping.)
Below, the same sampling functions that generated the training data draw a task for you.
""")

X, y = draw(family, n_points, n_clusters, seed)
anchor_rows = protocol.draw_anchors(y, per_class, seed)
y_partial = protocol.partial_labels(y, anchor_rows)
labels, uncertainty, layers = model_view(X, y_partial, n_clusters, context_size)
colours = session.extend_colours({}, [*np.unique(y).astype(str), *np.unique(labels).astype(str)])

st.subheader("1 · Where one point looks")
if per_class == 0:
    st.info("With no anchors the model seeds itself: from the densest, best separated points, "
            "and from three times as many merged back where it hesitates between them; it "
            "keeps the partition that cuts fewer links between neighbours. Pick at least one "
            "anchor per cluster in the sidebar to look at attention.")
else:
    st.session_state["task"] = (family, n_clusters, n_points, seed)
    task, picked = st.session_state.get("query", (None, None))
    query = picked if task == st.session_state["task"] else int(
        np.argmax(np.where(y_partial == protocol.UNLABELLED, uncertainty, -1)))
    view = attention(X, y_partial, query, context_size)
    n_layers, n_heads, _ = view.weights.shape
    left, right = st.columns([2, 1])
    with right:
        layer = st.slider("Layer", 1, n_layers, n_layers)
        head = st.radio("Head", ["mean", *range(1, n_heads + 1)], horizontal=True)
        w = view.weights[layer - 1].mean(0) if head == "mean" else view.weights[layer - 1, head - 1]
        predicted = str(labels[query])
        on_own = float(w[[str(lab) == predicted for lab in view.context_labels]].sum())
        st.metric(f"Attention on “{markdown_literal(predicted)}” anchors", f"{on_own:.0%}",
                  help="Share of this point's attention that goes to the anchors of the "
                       "cluster it is assigned to. The label is read from every head and "
                       "layer together, so one view can point elsewhere: with the mean of "
                       "heads, heads that look at straight-line neighbours (low sharpness in "
                       "the table below) can outvote the head that looks along the data. "
                       "Pick a head to see each one.")
        heat = go.Figure(go.Heatmap(
            z=view.sharpness, x=[f"head {h + 1}" for h in range(n_heads)],
            y=[f"layer {i + 1}" for i in range(n_layers)], colorscale="Blues",
            texttemplate="%{z:.2f}", showscale=False,
        ))
        heat.update_layout(height=220, margin=dict(l=5, r=5, t=30, b=5),
                           title=dict(text="Head sharpness: preference for tokens near along "
                                           "the data",
                                      font=dict(size=13)), yaxis=dict(autorange="reversed"))
        st.plotly_chart(heat, key="sharpness", config={"displayModeBar": False})
    with left:
        st.caption(f"Click any point to make it the query (now: row {query}, predicted "
                   f"“{markdown_literal(labels[query])}”). Each context token is drawn as large "
                   "as the attention it receives: coloured tokens are anchors, grey ones "
                   "unlabelled points.")
        fig = go.Figure()
        scatter(fig, X, labels, colours, size=5, opacity=0.35)
        context_colour = [colours[str(lab)] if lab is not None else "#777777"
                          for lab in view.context_labels]
        fig.add_trace(go.Scattergl(
            x=X[view.context_rows, 0], y=X[view.context_rows, 1], mode="markers",
            name="context tokens", customdata=view.context_rows.tolist(),
            marker=dict(size=4 + 36 * np.sqrt(w / max(w.max(), 1e-12)), color=context_colour,
                        line=dict(width=1, color="#222222"), opacity=0.85),
            hovertemplate="row %{customdata}<extra>context</extra>",
        ))
        fig.add_trace(go.Scattergl(x=[X[query, 0]], y=[X[query, 1]], mode="markers",
                                   name="query", marker=dict(size=18, symbol="x",
                                                             color="black")))
        st.plotly_chart(clean(fig, 460), key=QUERY_KEY, on_select=on_pick,
                        selection_mode="points")

    st.subheader("2 · How the clustering forms, layer by layer")
    st.caption("Every point's cluster read out after each layer (black diamonds: the anchors). "
               "Labels spread from the anchors through the context as the layers stack up. "
               "This is the first pass, from your anchors alone; the map above comes from a "
               "second pass that adds 10 points per cluster, spread over the part the first "
               "pass was surer of, as extra anchors (PFNClusterer's refine_rounds). With "
               "fewer than 5 anchors per cluster the studio also clusters the table without "
               "anchors and shows that clustering when every anchor agrees with it and it "
               "follows the data better; this page always shows the fit from the anchors.")
    figure = make_subplots(rows=1, cols=len(layers),
                           subplot_titles=[f"after layer {i + 1}" for i in range(len(layers))])
    for i, layer_labels in enumerate(layers):
        scatter(figure, X, layer_labels, colours, row=1, col=i + 1, size=3)
        figure.add_trace(go.Scattergl(x=X[anchor_rows, 0], y=X[anchor_rows, 1],
                                      mode="markers", showlegend=False,
                                      marker=dict(size=8, symbol="diamond", color="black")),
                         row=1, col=i + 1)
    st.plotly_chart(clean(figure, 260, equal_axes=False), key="layers",
                    config={"displayModeBar": False})
    if (seen := metric_space(X, y_partial)) is not None:
        st.markdown("**With 5 or more anchors per cluster, the anchors also set the metric.** "
                    "The table is whitened by the anchors' spread within their clusters: "
                    "directions in which every cluster is wide shrink, thin ones that separate "
                    "clusters stretch. Distances, paths and features are all measured there. "
                    "Right: the first two axes of that space (it may come out turned or "
                    "mirrored). Clusters that are about as wide in every direction, like most "
                    "drawn here, barely change; it matters for tables where some columns are "
                    "mostly noise (on the benchmark at 10 anchors: sonar 0.09 → 0.20 ARI, "
                    "wine 0.74 → 0.83).")
        pair = make_subplots(rows=1, cols=2, subplot_titles=["the table",
                                                             "in the anchors' metric"])
        for col, points in enumerate((X, seen), start=1):
            scatter(pair, points, labels, colours, row=1, col=col, size=4)
            pair.add_trace(go.Scattergl(x=points[anchor_rows, 0], y=points[anchor_rows, 1],
                                        mode="markers", showlegend=False,
                                        marker=dict(size=8, symbol="diamond", color="black")),
                           row=1, col=col)
        st.plotly_chart(clean(pair, 300, equal_axes=False), key="metric",
                        config={"displayModeBar": False})

st.subheader("3 · More anchors, better clusters")
shared = datasets.resolve_shared_root()
suite = shared / datasets.DEV_SUITE
options = ["the drawn task"] + (datasets.read_suite(suite) if suite.exists() else [])
choice = st.selectbox("Data for the experiment", options)
if len(options) == 1:
    st.caption(f"Benchmark datasets are absent ({shared} not found): using the drawn task.")
st.caption("Runs the model, 1-NN and K-means at 0, 1, 3 and 10 anchors per cluster "
           "(three seeds on the drawn task); results are kept for the session.")
curve = None
if st.toggle("Run the experiment", key="run_experiment"):
    try:
        curve = anchors_experiment(choice, *(
            (X, y) if choice == "the drawn task" else (None, None)),
            seeds=protocol.SEEDS if choice == "the drawn task" else (0,))
    except ValueError as error:
        st.error(str(error).capitalize())
if curve is not None:
    chart = go.Figure()
    for method, part in curve.groupby("method"):
        flat = method == METHOD_NAMES["kmeans"]  # no anchors used: one value, drawn flat
        chart.add_trace(go.Scatter(
            x=list(ANCHOR_LEVELS) if flat else part["level"].tolist(),
            y=[part["ari"].iloc[0]] * len(ANCHOR_LEVELS) if flat else part["ari"].tolist(),
            mode="lines" if flat else "lines+markers", name=method,
            line=dict(dash="dot") if flat else None,
        ))
    chart.update_layout(height=320, xaxis_title="anchors per cluster", yaxis_title="ARI",
                        margin=dict(l=5, r=5, t=10, b=5), xaxis=dict(tickvals=ANCHOR_LEVELS))
    st.plotly_chart(chart, key="experiment")
    st.caption("ARI on the rows that are not anchors (1 = the true clusters), averaged over "
               "seeds; K-means ignores anchors, so it is a flat line. This is the protocol "
               f"the benchmark uses ({', '.join(baselines.LABELS[m] for m in METHOD_NAMES)}). "
               "At 10 anchors per cluster the anchors also set the metric: the table is "
               "whitened by their within-cluster spread, so directions in which every cluster "
               "is wide count less (from 5 anchors per cluster on average).")

st.subheader("4 · Attention clusters even without training")
st.markdown("""
Strip a transformer down to one attention layer whose query, key and value maps are the
identity: no trained number at all. Each point looks at every point, weighs them by a
softmax of their similarity, and **moves to the weighted mean of what it looked at**:
""")
st.latex(r"x_i \;\leftarrow\; \sum_j \operatorname{softmax}_j\!\big(\beta\,\langle x_i, x_j"
         r"\rangle\big)\, x_j \qquad\text{i.e.}\qquad X \leftarrow \operatorname{softmax}"
         r"(\beta X X^\top)\,X")
st.markdown("""
Similar points pull on each other, so after a few steps they **collapse onto a few spots**:
points that end on the same spot form a cluster (Maulen-Soto, Marion and Boyer,
*Attention-based clustering*, NeurIPS 2025, call this in-context quantisation). The inverse
temperature β sets how near a point must be to count: small β averages everything into one
spot, large β keeps many small groups. With the dot product, points far from the centre pull
harder (the key's length counts); the *distance* variant subtracts each key's
½β|x_j|², which leaves a softmax of −½β|x_i − x_j|²: the same layer when every key has the
same length.
""")
left, right = st.columns([1, 3])
with left:
    kernel = st.radio("Similarity", ["dot", "distance"], key="kernel", horizontal=True,
                      help="dot: the update above; distance: its keys' lengths taken out.")
    beta = st.select_slider("Inverse temperature β", (1, 3, 10, 30, 100, 300), value=30,
                            key="beta")
    step = st.slider("Step", 0, 30, 30, key="step")
path = identity_path(X, float(beta), 30, kernel)
groups = attention_dynamics.collapsed_groups(path[step])
model_name = f"trained model, {per_class} anchors per cluster" if per_class else \
    "trained model, no anchors (K given)"
with left:
    st.metric("Groups after this step", len(np.unique(groups)))
    st.caption("The table is centred and scaled to unit mean radius first, so β means the "
               f"same on any drawn task. All {len(X)} points attend to all of them "
               f"({len(X) ** 2:,} weights a step); for big tables the library's "
               "`context_size` bounds the context (linear in the rows).")
side = make_subplots(rows=1, cols=3, subplot_titles=[
    f"points after {step} step(s)", "points that collapsed together", model_name])
scatter(side, path[step], y, colours, row=1, col=1, size=4)
scatter(side, X, np.array([f"group {g + 1}" for g in groups]),
        session.extend_colours({}, [f"group {g + 1}" for g in range(groups.max() + 1)]),
        row=1, col=2, size=4)
scatter(side, X, labels, colours, row=1, col=3, size=4)
with right:
    st.plotly_chart(clean(side, 330, equal_axes=False), key="identity",
                    config={"displayModeBar": False})
    st.caption(f"Left: colours are the drawn clusters. ARI against them: identity attention "
               f"{adjusted_rand_score(y, groups):.2f} ({len(np.unique(groups))} groups), the "
               f"trained model {adjusted_rand_score(y, labels):.2f}. Identity attention "
               "can only find round, separated groups, and it cannot be told which points "
               "belong together; the trained model is told by the anchors and follows paths "
               "along the data. Try the families: neither wins on every one.")

st.subheader("5 · Two heads find the two means, without labels")
st.markdown("""
The same paper's first result: give an attention layer two heads whose keys and values are
learned vectors w₁, w₂; every point attends to the heads and is replaced by their mix.
Train it to **reconstruct the points**, with no label, on a mixture of two Gaussians (our
minimal version of the paper's simplified two-head layer, not its exact parametrisation):
""")
st.latex(r"\min_{w_1, w_2}\; \frac{1}{N}\sum_i \Big\| x_i - \sum_{h=1}^{2}"
         r"\operatorname{softmax}_h(\lambda\langle x_i, w_h\rangle)\, w_h \Big\|^2")
separation = st.select_slider("Distance between the two means (in spreads)",
                              (0.5, 1.0, 2.0, 4.0), value=2.0, key="separation")
points, means, run = two_heads(float(separation), seed)
alignment = attention_dynamics.head_alignment(run.heads, means)
heads_fig = go.Figure(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers",
                                   name="points", marker=dict(size=3, color="#bbbbbb")))
for h in range(2):
    heads_fig.add_trace(go.Scatter(x=run.path[:, h, 0], y=run.path[:, h, 1], mode="lines",
                                   name=f"head {h + 1} while training"))
heads_fig.add_trace(go.Scatter(x=means[:, 0], y=means[:, 1], mode="markers", name="true means",
                               marker=dict(size=14, symbol="x", color="black")))
st.plotly_chart(clean(heads_fig, 360), key="two_heads", config={"displayModeBar": False})
verdict = (
    "It reproduces: the heads line up with the means. Their lengths match once the blobs are "
    "apart; when they overlap the heads land further out than the means (each head then "
    "stands for the average of its half). With round blobs the direction of the means is "
    "also the direction of largest spread, so PCA would find that direction too."
    if alignment.min() > 0.95 else
    "It does not reproduce on this draw: a head ended away from its mean. Gradient descent "
    "on this loss can stall where both heads share one side, or where the blobs overlap so "
    "much that one Gaussian fits the points about as well as two."
)
st.caption(f"Cosine between each mean and its head after {len(run.path) - 1} steps of "
           f"gradient descent (λ = 2, 1,000 points, trained here in well under a second): "
           f"{alignment[0]:.3f} and {alignment[1]:.3f}; heads' lengths "
           f"{np.linalg.norm(run.heads, axis=1).round(2).tolist()} for means of length "
           f"{np.linalg.norm(means[0]):.2f}. {verdict}")

st.subheader("6 · The paper's experiments, on this model")
figures = sorted(PAPER_DIR.glob("fig*.png"))
st.markdown("The figures of *Clustering by Attention* (Shokry and Khalafallah, 2025), rerun "
            "on this model by `python -m pfn_core.bench --paper` (CSV, PNG and a summary in "
            "`docs/paper/`; BENCHMARKS.md says claim by claim where we agree).")
if not figures:
    st.info(f"No figures in {PAPER_DIR}: run `python -m pfn_core.bench --paper`.")
for figure_path in figures:
    st.image(str(figure_path), caption=figure_path.name)
