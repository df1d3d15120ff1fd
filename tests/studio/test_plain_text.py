"""Text from an upload is shown as text: escaped for Markdown (messages, captions) and for
plotly's HTML subset (the teaching pages' trace names); the studio's map gets it as typed."""

import numpy as np

from pfn_core.studio import figures
from pfn_core.studio.plain_text import hover_literal, markdown_literal

MARKUP = '<b>bold</b> **star** [link](javascript:alert(1)) ![img](http://x/y.png) :red[r] $x$'


def test__markdown_literal__escapes_every_markdown_marker():
    escaped = markdown_literal(MARKUP)
    for raw in ("**", "[link]", "](", "![", ":red[", "$x$", "<b>"):
        assert raw not in escaped
    assert escaped.replace("\\", "") == MARKUP.replace("/", "/")
    assert markdown_literal("line\nbreak") == "line break"


def test__hover_literal__turns_plotly_markup_into_entities():
    assert hover_literal('<b>x</b> & "y"') == "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;"


def test__map_style__sends_label_names_as_typed_for_the_component_to_show_as_text():
    labels = np.array(["<b>x</b>", "<b>x</b>", "plain"], dtype=object)
    colours = {"<b>x</b>": "#000000", "plain": "#111111"}
    style = figures.map_style(labels, np.ones(3), colours, anchors={0: "<b>x</b>"})
    assert style.names == ["<b>x</b>", "plain"]  # not escaped twice: the browser uses text nodes
    assert style.anchors == [(0, "#000000", False)]
