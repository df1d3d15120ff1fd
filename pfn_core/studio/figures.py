"""Plotly figures and styled tables for the studio (no Streamlit here).

Legend: N=rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pfn_core.studio import comparison
from pfn_core.studio.plain_text import hover_literal


def map_figure(Y, labels, confidence, colours, customdata, hover_text=None, *, fade=True,
               anchors=None, examples=(), suggested=(), uncertainty=None, selectable=False,
               meta=0, height=500) -> go.Figure:
    """The 2-D map: one trace per label, then anchors (diamonds, examples as stars), then the
    suggested rows (rings). Y (N, 2); labels, confidence (N,); customdata (N, 2) float with the
    row id and the confidence; hover_text (N,) extra hover lines or None.

    Built from plain dicts in one go, and only numeric arrays per point (opacity, customdata):
    per-point strings and repeated add_trace calls cost seconds at 10,000 rows. Label names
    are escaped (``hover_literal``): markup in a label is shown as typed; ``hover_text`` must
    come escaped already (``plain_text.hover_lines``)."""
    anchors = anchors or {}
    is_anchor = np.zeros(len(Y), dtype=bool)
    is_anchor[list(anchors)] = True
    template = "<b>%{fullData.name}</b><br>row %{customdata[0]}<br>confidence %{customdata[1]}"
    template += ("%{text}" if hover_text is not None else "") + "<extra></extra>"

    def points(rows, **trace):
        text = None if hover_text is None else hover_text[rows]
        return dict(type="scattergl", mode="markers", x=Y[rows, 0], y=Y[rows, 1],
                    customdata=customdata[rows], text=text, hovertemplate=template, **trace)

    traces = []
    if uncertainty is not None:
        keep = ~is_anchor
        traces.append(points(keep, name="points", marker=dict(
            size=6, color=uncertainty[keep], colorscale="Inferno_r", cmin=0, cmax=1,
            colorbar=dict(title=dict(text="uncertainty"), thickness=12))))
    else:
        floor = 1.0 / max(1, len(set(labels)))
        alpha = np.clip((confidence - floor) / max(1e-9, 1 - floor), 0, 1) * 0.8 + 0.2
        for label in dict.fromkeys(labels):
            keep = (labels == label) & ~is_anchor
            shown = hover_literal(label)
            traces.append(dict(  # the legend entry, with a solid swatch
                type="scattergl", mode="markers", x=[None], y=[None], name=shown,
                legendgroup=shown, marker=dict(size=9, color=colours[label])))
            traces.append(points(keep, name=shown, legendgroup=shown, showlegend=False, marker=dict(
                size=6, color=colours[label], opacity=alpha[keep] if fade else 0.85)))
    scale = 1.0 if len(anchors) <= 60 else 0.65  # many anchors: smaller, so points stay visible
    for name, rows, symbol, size in (
        ("anchors", [r for r in anchors if r not in examples], "diamond", 13 * scale),
        ("example anchors", [r for r in anchors if r in examples], "star", 17 * scale),
    ):
        if rows:
            traces.append(dict(
                type="scattergl", mode="markers", name=name, x=Y[rows, 0], y=Y[rows, 1],
                customdata=customdata[rows], text=[hover_literal(anchors[r]) for r in rows],
                hovertemplate="<b>anchor: %{text}</b><br>row %{customdata[0]}<extra></extra>",
                marker=dict(size=size, symbol=symbol, color=[colours[anchors[r]] for r in rows],
                            line=dict(width=1.6, color="#111111"))))
    if len(suggested):
        traces.append(dict(
            type="scattergl", mode="markers", name="label next?", x=Y[list(suggested), 0],
            y=Y[list(suggested), 1], customdata=customdata[list(suggested)],
            hovertemplate="<b>suggested</b><br>row %{customdata[0]}<extra></extra>",
            marker=dict(size=15, symbol="circle-open", color="#d62728", line=dict(width=2))))
    axis = dict(showticklabels=False, showgrid=False, zeroline=False)
    return go.Figure(data=traces, layout=dict(
        height=height, margin=dict(l=10, r=10, t=10, b=10), meta=meta,
        dragmode="lasso" if selectable else "zoom", uirevision="map", plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", y=-0.01, x=0), xaxis=axis, yaxis=axis,
    ))


def sizes_table(model_labels, kmeans_labels, colours) -> pd.io.formats.style.Styler:
    model = comparison.cluster_sizes(model_labels).set_index("label")["count"]
    other = comparison.cluster_sizes(kmeans_labels).set_index("label")["count"]
    table = pd.DataFrame({"model": model, "K-means": other}).fillna(0).astype(int)
    table = table.sort_values("model", ascending=False).rename_axis("cluster").reset_index()
    return table.style.apply(
        lambda col: [f"background-color: {colours.get(v, '#eee')}; color: white" for v in col],
        subset=["cluster"],
    )
