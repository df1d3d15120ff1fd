"""What the studio's buttons do to the anchors (Streamlit callbacks on ``st.session_state``).

Moved here from ``app.py`` unchanged, except ``on_select``, which now receives the rows the map
component selected. Every change goes through ``set_anchors`` (or ``on_undo``), which saves the
anchors and bumps ``epoch``.
"""

from __future__ import annotations

import streamlit as st

from pages.studio_ui.cached import get_store
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio import session

ss = st.session_state


def start_dataset(fp: str, example_anchors: dict[int, str]) -> None:
    """On a new table: restore its saved anchors, else place the example anchors."""
    if ss.get("fingerprint") == fp:
        return
    store = get_store(str(session.anchor_db_path()))
    if store.updated_at(fp) is not None:
        anchors, examples = store.load(fp), set()
        ss["notice"] = f"Restored {len(anchors)} anchors saved earlier for this table."
    else:
        anchors, examples = dict(example_anchors), set(example_anchors)
        ss["notice"] = None
    ss.update(fingerprint=fp, anchors=anchors, example_rows=examples, selection=[], epoch=0)
    ss["history"] = anchor_ops.AnchorHistory(anchors)
    ss["message"] = None


def set_anchors(new: dict[int, str], message: str) -> None:
    """Make ``new`` the anchors: remember for undo, save, and clear the selection."""
    old = ss["anchors"]
    ss["example_rows"] = {r for r in ss["example_rows"] if r in new and new[r] == old.get(r)}
    ss["anchors"] = new
    ss["history"].push(new)
    get_store(str(session.anchor_db_path())).save(ss["fingerprint"], new)
    ss["selection"], ss["epoch"], ss["message"] = [], ss["epoch"] + 1, ("success", message)


def on_select(rows: list[int], additive: bool) -> None:
    """Store the rows selected on the map (added to the selection when Shift was held)."""
    ss["selection"] = list(dict.fromkeys([*ss["selection"], *rows])) if additive else rows


def on_assign() -> None:
    label = (ss.get("new_label") or "").strip() or ss.get("existing_label")
    if not ss["selection"]:
        ss["message"] = ("error", "Select points on the map first (lasso, box or click).")
        return
    try:
        new = anchor_ops.assign_label(ss["anchors"], ss["selection"], label)
    except ValueError as error:
        ss["message"] = ("error", str(error).capitalize())
        return
    ss["new_label"] = ""
    set_anchors(new, f"Named {len(ss['selection'])} points “{label.strip()}”.")


def on_remove() -> None:
    removed = [r for r in ss["selection"] if r in ss["anchors"]]
    set_anchors(anchor_ops.remove_anchors(ss["anchors"], removed),
                f"Removed {len(removed)} anchors.")


def on_undo() -> None:
    history = ss["history"]
    previous = history.undo()
    ss["anchors"] = previous
    ss["example_rows"] = {r for r in ss["example_rows"] if r in previous}
    get_store(str(session.anchor_db_path())).save(ss["fingerprint"], previous)
    ss["selection"], ss["epoch"], ss["message"] = [], ss["epoch"] + 1, ("success", "Undone.")


def on_clear() -> None:
    set_anchors(anchor_ops.clear_anchors(), "Cleared all anchors.")


def on_remove_examples() -> None:
    set_anchors(anchor_ops.remove_anchors(ss["anchors"], ss["example_rows"]),
                "Removed the example anchors: now name points yourself.")


def on_select_suggestions() -> None:
    ss["selection"], ss["epoch"] = list(ss.get("suggestions", [])), ss["epoch"] + 1


def on_anchor_file() -> None:
    upload = ss.get("anchor_file")
    if upload is None:
        return
    try:
        new = anchor_ops.anchors_from_csv(upload.getvalue().decode("utf-8-sig"), ss["n_rows"])
    except (ValueError, UnicodeDecodeError) as error:
        ss["message"] = ("error", f"Could not load anchors: {error}")
        return
    set_anchors(new, f"Loaded {len(new)} anchors from {upload.name}.")
