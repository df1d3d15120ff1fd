"""The studio's map: a Streamlit components v2 element drawing a 2-D scatter on a canvas.

One function, ``scatter_map``. The JavaScript (``scatter_map.js``) and its CSS are plain files
in this folder with no dependencies, so there is nothing to build or fetch: they are read once
and registered inline. See ``README.md`` here for what the browser side does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from pfn_core.studio.figures import MapStyle

_FOLDER = Path(__file__).resolve().parent
_COMPONENT = st.components.v2.component(
    "pfn_scatter_map",
    js=(_FOLDER / "scatter_map.js").read_text(encoding="utf-8"),
    css=(_FOLDER / "scatter_map.css").read_text(encoding="utf-8"),
)


def _sent_key(key: str) -> str:
    return f"_{key}_points_sent"


def _style_key(key: str) -> str:
    return f"_{key}_style_sent"


def _forget_points(key: str) -> None:
    """The browser lacks this map's coordinates or style (a reload): send both with the next
    run."""
    st.session_state.pop(_sent_key(key), None)
    st.session_state.pop(_style_key(key), None)


def scatter_map(key: str, map_id: str, Y: np.ndarray, style: MapStyle, *,
                hover: np.ndarray | None = None, selection: Iterable[int] = (),
                on_select: Callable[[list[int], bool], None] | None = None,
                height: int = 480) -> None:
    """Draw the map of ``Y`` (N, 2) styled by ``style``, under the element key ``key``.

    ``map_id`` names the coordinates (e.g. a projection's cache key): ``Y`` and ``hover`` (N,)
    strings are sent to the browser only when ``map_id`` is new to this session (or the page
    was reloaded), so a re-cluster transfers ``style`` alone and zoom and pan are kept; the
    style and the anchors only when they changed, so a click that selects points transfers
    the selection alone.
    ``selection`` rows are ringed. With ``on_select``, lasso, box and click select points and
    call ``on_select(rows, additive)`` (additive: Shift was held) before the rerun; without,
    the map only zooms and pans. The drawn map carries ``data-drawn`` = a digest of what it
    shows (for tests that wait for a redraw); the browser skips the redraw when that digest,
    the coordinates and the size are the ones already drawn.
    """
    state = st.session_state
    send_points = state.get(_sent_key(key)) != map_id
    selection = [int(r) for r in selection]
    anchors, anchor_palette = style.anchor_frame()
    style_digest = hashlib.blake2b(digest_size=8)
    for part in (style.code, style.alpha, style.confidence, *(anchors[c] for c in anchors)):
        style_digest.update(np.ascontiguousarray(part).tobytes())
    style_digest.update(repr((map_id, style.names, style.colours, anchor_palette,
                              style.legend_title, hover is None)).encode())
    style_version = style_digest.hexdigest()
    marks = hashlib.blake2b(np.asarray(selection + [-1] + list(style.suggested),
                                       dtype=np.int64).tobytes(), digest_size=8)
    # The per-point style (N rows, twice per rerun) goes only when it changed: a click that
    # only selects points sends the selection alone.
    send_style = send_points or state.get(_style_key(key)) != style_version
    data = {
        "map_id": map_id,
        "version": style_version + marks.hexdigest(),
        "style_version": style_version,
        "points": (pd.DataFrame({"x": Y[:, 0].astype(np.float32),
                                 "y": Y[:, 1].astype(np.float32)}) if send_points else None),
        "hover": (None if hover is None or not send_points else [str(h) for h in hover]),
        "style": style.frame() if send_style else None,
        "names": style.names,
        "colours": style.colours,
        "anchors": anchors if send_style and len(anchors) else None,
        "anchor_palette": anchor_palette,
        "suggested": style.suggested,
        "selection": selection,
        "legend_title": style.legend_title,
        "selectable": on_select is not None,
        "height": height,
    }

    def selected() -> None:
        event = (state.get(key) or {}).get("selection") or {}
        if on_select is not None:
            on_select([int(r) for r in event.get("rows", [])], bool(event.get("additive")))

    _COMPONENT(key=key, data=data, height="content",
               on_selection_change=selected, on_need_points_change=lambda: _forget_points(key))
    state[_sent_key(key)] = map_id
    state[_style_key(key)] = style_version
