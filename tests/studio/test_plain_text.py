"""Text from an upload is shown as text: escaped for Markdown (messages, captions) and for
plotly's HTML subset (trace names, hover)."""

import numpy as np
import pandas as pd

from pfn_core.studio import figures
from pfn_core.studio.plain_text import hover_lines, hover_literal, markdown_literal

MARKUP = '<b>bold</b> **star** [link](javascript:alert(1)) ![img](http://x/y.png) :red[r] $x$'


def test__markdown_literal__escapes_every_markdown_marker():
    escaped = markdown_literal(MARKUP)
    for raw in ("**", "[link]", "](", "![", ":red[", "$x$", "<b>"):
        assert raw not in escaped
    assert escaped.replace("\\", "") == MARKUP.replace("/", "/")
    assert markdown_literal("line\nbreak") == "line break"


def test__hover_lines__escapes_names_and_values_but_keeps_the_line_breaks():
    frame = pd.DataFrame({"<i>name</i>": ["<img src=x onerror=alert(1)>", "a & b"]})
    lines = hover_lines(frame, ["<i>name</i>"])
    assert lines.tolist() == [
        "<br>&lt;i&gt;name&lt;/i&gt;: &lt;img src=x onerror=alert(1)&gt;",
        "<br>&lt;i&gt;name&lt;/i&gt;: a &amp; b"]


def test__map_figure__shows_labels_with_markup_as_text():
    labels = np.array(["<b>x</b>", "<b>x</b>", "plain"], dtype=object)
    colours = {"<b>x</b>": "#000000", "plain": "#111111"}
    figure = figures.map_figure(np.zeros((3, 2)), labels, np.ones(3), colours,
                                np.zeros((3, 2)), anchors={0: "<b>x</b>"})
    names = {trace.name for trace in figure.data}
    assert hover_literal("<b>x</b>") in names and "<b>x</b>" not in names
    anchor_trace = next(t for t in figure.data if t.name == "anchors")
    assert list(anchor_trace.text) == ["&lt;b&gt;x&lt;/b&gt;"]
