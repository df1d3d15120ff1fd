"""Text from an upload (file and column names, cell values, labels) shown as text, never as
markup: Streamlit renders messages and captions as Markdown, and plotly renders a subset of
HTML (<b>, <a href>, <br>...) in trace names and hover text.

Legend: N=rows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

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


def hover_lines(frame: pd.DataFrame, columns: Iterable[str]) -> np.ndarray:
    """(N,) object: for each row, '<br>column: value' per column, names and values escaped
    (the <br> is the only markup), for a plotly hovertemplate's %{text}."""
    lines = pd.Series("", index=frame.index, dtype=object)
    for column in columns:
        values = frame[column].astype(str).map(hover_literal)
        lines = lines + f"<br>{hover_literal(column)}: " + values
    return lines.to_numpy(dtype=object)
