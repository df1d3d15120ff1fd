"""Text from an upload (file and column names, cell values, labels) shown as text, never as
markup: Streamlit renders messages and captions as Markdown, and plotly (the teaching pages'
charts) renders a subset of HTML (<b>, <a href>, <br>...) in trace names and hover text. The
studio's own map component needs neither: it puts label names and hover lines into the page
as text nodes (``pages/studio_ui/scatter_map/scatter_map.js``), so they are sent as typed.
"""

from __future__ import annotations

import html
import re

# The marks that start Markdown inside a line: emphasis, code, links and images, raw HTML and
# autolinks (<, >, and '.', ':' and '/' of www. and http://), entities, Streamlit's :red[...],
# :emoji: and $math$. Line-start marks (- + 1.) need no escape: the text is never first.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~$:&.])")


def markdown_literal(text) -> str:
    """``text`` with every Markdown special character backslash-escaped, so that
    ``st.error``/``st.caption`` show it character for character.

    >>> markdown_literal("**bold** [link](http://x)")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\[link\\\\]\\\\(http\\\\:\\\\/\\\\/x\\\\)'
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return escaped.replace("/", "\\/").replace("\n", " ")


def hover_literal(text) -> str:
    """``text`` with <, >, & and quotes as HTML entities: plotly shows them as typed."""
    return html.escape(str(text), quote=True)

