"""What the studio's buttons do to the anchors (Streamlit callbacks on ``st.session_state``).

Every change goes through ``set_anchors`` (or ``on_undo``), which commits it to this tab's
labelling session (``pages.studio_ui.sessions``: one SQLite transaction and one event, undoable
across restarts) before the page shows it, and bumps ``epoch``.
"""

from __future__ import annotations

import streamlit as st

from pages.studio_ui import sessions
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio import discovered

ss = st.session_state


def start_dataset(fp: str, example_anchors: dict[int, str], title: str) -> None:
    """Every run: this tab's session's anchors for the table ``fp`` (read from the session
    store, so other tabs of the session and restarts are seen); ``example_anchors`` are
    placed the first time the session opens the table, which is named ``title`` in the list
    of sessions."""
    sessions.start_table(fp, example_anchors, title)


def _show_error(error: Exception) -> None:
    """The error's message above the maps, its first letter capitalised (the rest kept: it
    may quote the user's label)."""
    ss["message"] = ("error", str(error)[:1].upper() + str(error)[1:])


def set_anchors(new: dict[int, str], message: str) -> None:
    """Make ``new`` the anchors: committed to the session store before the page shows them,
    and the selection cleared."""
    sessions.commit(new, message)


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
    sessions.undo()  # the session's event log: also a change from before a restart


def on_clear() -> None:
    set_anchors(anchor_ops.clear_anchors(), "Cleared all anchors.")


def on_remove_examples() -> None:
    set_anchors(anchor_ops.remove_anchors(ss["anchors"], ss["example_rows"]),
                "Removed the example anchors: now name points yourself.")


def on_name_new_cluster(cluster: str, name_key: str, labels, confidence) -> None:
    """Name the model's new cluster ``cluster`` (e.g. "new 1") with the text typed under
    ``name_key``: its surest rows (labels, confidence (N,)) become anchors of that name."""
    name = ss.get(name_key) or ""
    try:
        new = discovered.name_new_cluster(ss["anchors"], labels, confidence, cluster, name)
    except ValueError as error:
        _show_error(error)
        return
    ss[name_key] = ""
    set_anchors(new, f"Named cluster “{cluster}” “{name.strip()}”: its "
                     f"{len(new) - len(ss['anchors'])} surest rows are now anchors.")


def on_select_suggestions() -> None:
    ss["selection"], ss["epoch"] = list(ss.get("suggestions", [])), ss["epoch"] + 1


def on_label_suggestions(editor_key: str, rows: list[int]) -> None:
    """Name the suggested rows `rows` with the labels typed next to them in the table whose
    editor state is under `editor_key` (blank rows are left alone), in one undoable step."""
    edits = (ss.get(editor_key) or {}).get("edited_rows", {})
    named = {rows[int(position)]: change["label"] for position, change in edits.items()
             if "label" in change and int(position) < len(rows)}
    typed = {row: label for row, label in named.items() if label and str(label).strip()}
    if not typed:
        ss["message"] = ("error", "Type a label next to at least one suggested row "
                                  "(column label), then assign.")
        return
    try:
        new = anchor_ops.assign_labels(ss["anchors"], typed)
    except ValueError as error:
        _show_error(error)
        return
    names = sorted({str(label).strip() for label in typed.values()})
    set_anchors(new, f"Named {len(typed)} suggested rows ({', '.join(names)}).")


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
