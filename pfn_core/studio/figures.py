"""What the studio's maps draw, as compact arrays (no Streamlit here), and styled tables.

The map itself is a browser component (``pages/studio_ui/scatter_map``) that receives the
coordinates once and, on every re-cluster, only a ``MapStyle``: one small integer per point for
its colour and one for its opacity, plus the few marked rows (anchors, suggestions). That is what
keeps a redraw cheap at 100,000 rows.

Legend: N=rows, K=colours in the legend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from plotly.colors import sample_colorscale, unlabel_rgb

from pfn_core.studio import comparison

UNCERTAINTY_BINS = 10
UNCERTAINTY_COLOURS = tuple(
    "#{:02x}{:02x}{:02x}".format(*(int(v) for v in unlabel_rgb(c)))
    for c in sample_colorscale("Inferno_r", [(k + 0.5) / UNCERTAINTY_BINS
                                             for k in range(UNCERTAINTY_BINS)])
)


@dataclass(frozen=True)
class MapStyle:
    """Per-point style of one map.

    code (N,) uint16: index into names/colours; alpha (N,) uint8: opacity, 255 = opaque;
    confidence (N,) uint8: the model's confidence x 255 (shown on hover); names, colours (K,):
    the legend; anchors: (row, colour, is_example) drawn as diamonds (stars for examples);
    suggested: rows ringed in red; legend_title: shown before the legend ("" for none).
    """

    code: np.ndarray
    alpha: np.ndarray
    confidence: np.ndarray
    names: list[str]
    colours: list[str]
    anchors: list[tuple[int, str, bool]] = field(default_factory=list)
    suggested: list[int] = field(default_factory=list)
    legend_title: str = ""

    def frame(self) -> pd.DataFrame:
        """The per-point columns as one table (N rows), sent to the browser as Arrow."""
        return pd.DataFrame({"code": self.code, "alpha": self.alpha,
                             "confidence": self.confidence})

    def anchor_frame(self) -> tuple[pd.DataFrame, list[str]]:
        """The anchors as columns for the browser (Arrow, not one JSON list per anchor: a
        map of 25,000 anchors is redrawn on every click): row (A,) uint32, colour (A,)
        uint16 index into the returned palette, example (A,) uint8. -> (frame, palette)"""
        palette = sorted({colour for _, colour, _ in self.anchors})
        index = {colour: k for k, colour in enumerate(palette)}
        count = len(self.anchors)
        frame = pd.DataFrame({
            "row": np.fromiter((r for r, _, _ in self.anchors), np.uint32, count),
            "colour": np.fromiter((index[c] for _, c, _ in self.anchors), np.uint16, count),
            "example": np.fromiter((e for _, _, e in self.anchors), np.uint8, count),
        })
        return frame, palette


def map_style(labels, confidence, colours, *, fade=True, anchors=None, examples=(),
              suggested=(), uncertainty=None) -> MapStyle:
    """Style the map: colour by ``labels`` (N,) with ``colours`` {label: hex}, opacity from
    ``confidence`` (N,) when ``fade`` (a point the model is unsure of is paler), or, when
    ``uncertainty`` (N,) in [0, 1] is given, colour by it in ten bins (Inferno).
    ``anchors`` {row: label} and ``examples`` (rows) become markers in their label's colour.

    >>> style = map_style(np.array(["a", "b"]), np.array([1.0, 0.5]), {"a": "#111111",
    ...                   "b": "#222222"}, anchors={0: "a"})
    >>> style.names, style.code.tolist(), style.anchors
    (['a', 'b'], [0, 1], [(0, '#111111', False)])
    """
    labels = np.asarray(labels).astype(str)
    example_rows = set(examples)
    confidence = np.clip(np.asarray(confidence, dtype=np.float64), 0, 1)
    anchors = anchors or {}
    if uncertainty is not None:
        bins = np.clip((np.asarray(uncertainty) * UNCERTAINTY_BINS).astype(int), 0,
                       UNCERTAINTY_BINS - 1)
        code = bins.astype(np.uint16)
        names = [f"{k / UNCERTAINTY_BINS:.1f}" for k in range(UNCERTAINTY_BINS)]
        palette, title, alpha = list(UNCERTAINTY_COLOURS), "uncertainty from", np.full(
            len(labels), 0.9)
    else:
        codes, uniques = pd.factorize(labels)  # codes in order of first appearance
        names, code = [str(u) for u in uniques], codes.astype(np.uint16)
        palette, title = [colours.get(name, "#888888") for name in names], ""
        floor = 1.0 / max(1, len(names))
        alpha = (np.clip((confidence - floor) / max(1e-9, 1 - floor), 0, 1) * 0.8 + 0.2
                 if fade else np.full(len(labels), 0.85))
    return MapStyle(
        code=code,
        alpha=np.round(alpha * 255).astype(np.uint8),
        confidence=np.round(confidence * 255).astype(np.uint8),
        names=names,
        colours=palette,
        anchors=[(int(r), colours.get(str(label), "#888888"), r in example_rows)
                 for r, label in anchors.items()],
        suggested=[int(r) for r in suggested],
        legend_title=title,
    )


def sizes_table(model_labels, kmeans_labels, colours) -> pd.io.formats.style.Styler:
    model = comparison.cluster_sizes(model_labels).set_index("label")["count"]
    other = comparison.cluster_sizes(kmeans_labels).set_index("label")["count"]
    table = pd.DataFrame({"model": model, "K-means": other}).fillna(0).astype(int)
    table = table.sort_values("model", ascending=False).rename_axis("cluster").reset_index()
    return table.style.apply(
        lambda col: [f"background-color: {colours.get(v, '#eee')}; color: white" for v in col],
        subset=["cluster"],
    )
