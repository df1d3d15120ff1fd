"""The studio's labelling sessions: the sidebar picker and the anchors' reads and commits.

A browser tab works in the session named in its URL (``?session=NAME``); a bare address gets a
fresh random name, written into the URL, so a refresh, a second tab with the same URL and a
server restart come back to the same anchors while another person starts their own. Every
anchor change goes through ``pfn_core.studio.sessions.SessionStore`` (one SQLite transaction,
logged as an event) before the page shows it, and the anchors are read back from the store on
every full run (``start_table``), so two tabs of one session see each other's changes; a
commit or undo from the workspace fragment reads the session back itself (``_read_back``),
since a fragment rerun does not call ``start_table``.

Session-state keys written here: labelling_session, fingerprint, anchors, example_rows,
can_undo, notice, selection, epoch, message, session_message.
"""

from __future__ import annotations

import secrets
import sqlite3

import numpy as np
import streamlit as st

from pfn_core import limits
from pfn_core.studio import session as studio_session
from pfn_core.studio import sessions
from pfn_core.studio.plain_text import markdown_literal

QUERY_KEY = "session"  # ?session=NAME in the studio's URL
STATE_KEY = "labelling_session"


@st.cache_resource
def get_store(path: str) -> sessions.SessionStore:
    """One store per database file and server process (it opens a connection per call)."""
    return sessions.SessionStore(path)


def store() -> sessions.SessionStore:
    return get_store(str(studio_session.anchor_db_path()))


def _new_name() -> str:
    rng = np.random.default_rng(secrets.randbits(64))
    name = sessions.random_session_name(rng)
    while store().exists(name):
        name = sessions.random_session_name(rng)
    return name


def _switch_to(name: str) -> None:
    """Make ``name`` this tab's session (the next run opens the table in it)."""
    ss = st.session_state
    ss[STATE_KEY] = name
    st.query_params[QUERY_KEY] = name
    ss["fingerprint"] = None  # forces start_table to open the table afresh


def current_session() -> str:
    """This tab's session: the URL's ?session=, else the one it had (the URL loses it when
    another page was visited), else a new random name; always written back into the URL."""
    ss = st.session_state
    requested = st.query_params.get(QUERY_KEY)
    name = None
    if requested:
        try:
            name = sessions.check_session_name(requested)
        except ValueError as error:
            ss["session_message"] = ("error", f"The address asks for session {error} "
                                     "A new session was started instead.")
    name = name or ss.get(STATE_KEY) or _new_name()
    if ss.get(STATE_KEY) not in (None, name):
        ss["fingerprint"] = None  # the URL now names another session: reopen the table in it
    ss[STATE_KEY] = name
    if st.query_params.get(QUERY_KEY) != name:
        st.query_params[QUERY_KEY] = name
    return name


# ---------------------------------------------------------------- anchors through the store
def start_table(fingerprint: str, examples: dict[int, str], title: str) -> None:
    """On every run: this tab's anchors for the table ``fingerprint``, read from the store.
    The first time the session opens the table, ``examples`` become its anchors."""
    ss = st.session_state
    name = current_session()
    if ss.get("fingerprint") != fingerprint:
        before = store().anchors(name, fingerprint)
        anchors = store().open_table(name, fingerprint, title, examples)
        ss["notice"] = (f"Restored {len(anchors)} anchors of session “{markdown_literal(name)}” "
                        "for this table."
                        if before else None)
        ss.update(fingerprint=fingerprint, selection=[], epoch=0, message=None)
        _read_back(name, fingerprint, anchors)
    else:
        _read_back(name, fingerprint)


def _read_back(name: str, fingerprint: str, anchors: dict[int, str] | None = None) -> None:
    """This tab's anchors (``anchors`` when the caller just read them), example rows and
    whether Undo has anything to take back, as the store has them now (also what other tabs
    of the session changed)."""
    ss = st.session_state
    ss["anchors"] = store().anchors(name, fingerprint) if anchors is None else anchors
    ss["example_rows"] = store().example_rows(name, fingerprint)
    ss["can_undo"] = store().can_undo(name, fingerprint)


def commit(new: dict[int, str], message: str) -> None:
    """Commit the change from this tab's anchors to ``new`` (only the rows it changes, so a
    change made meanwhile in another tab of the session is kept), then show ``message``."""
    ss = st.session_state
    change = sessions.changes_between(ss["anchors"], new)
    try:
        anchors = store().change(ss[STATE_KEY], ss["fingerprint"], change)
    except (sqlite3.Error, ValueError) as error:
        ss["message"] = ("error", f"The change was not saved, nothing changed: {error}")
        return
    _read_back(ss[STATE_KEY], ss["fingerprint"], anchors)
    ss["selection"], ss["epoch"], ss["message"] = [], ss["epoch"] + 1, ("success", message)


def undo() -> None:
    """Undo the session's latest change (also one made before a restart or in another tab)."""
    ss = st.session_state
    try:
        anchors = store().undo(ss[STATE_KEY], ss["fingerprint"])
    except sqlite3.Error as error:
        ss["message"] = ("error", f"Undo failed, nothing changed: {error}")
        return
    _read_back(ss[STATE_KEY], ss["fingerprint"], anchors)
    ss["selection"], ss["epoch"], ss["message"] = [], ss["epoch"] + 1, ("success", "Undone.")


# ---------------------------------------------------------------- the session picker
def _on_open() -> None:
    choice = st.session_state.get("session_choice")
    if choice:
        _switch_to(choice)


def _on_new() -> None:
    _switch_to(_new_name())


def _named(action, label: str) -> None:
    """Run ``action(current, typed name)`` for Rename / Duplicate; report what happened."""
    ss = st.session_state
    typed = ss.get("session_new_name") or ""
    try:
        result = action(ss[STATE_KEY], typed)
    except (ValueError, sqlite3.Error) as error:
        ss["session_message"] = ("error", str(error).capitalize())
        return
    ss["session_new_name"] = ""
    ss["session_message"] = ("success", f"{label} “{result}”.")
    _switch_to(result)


def _on_rename() -> None:
    _named(store().rename, "Renamed to")


def _on_duplicate() -> None:
    _named(store().duplicate, "Duplicated as")


def _on_delete() -> None:
    ss = st.session_state
    deleted = ss[STATE_KEY]
    store().delete(deleted)
    ss["session_message"] = ("success", f"Deleted session “{deleted}”; this is a new one.")
    ss["session_confirm_delete"] = False
    _switch_to(_new_name())


def share_link(name: str) -> str:
    """The address that opens session ``name`` (the studio's own URL when the browser gave
    it, else a relative link)."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{QUERY_KEY}={name}"


def session_sidebar() -> None:
    """The sidebar block: the session's name and link, and list/open/new/rename/duplicate/
    delete. Names are checked against ``sessions.SESSION_NAME`` (letters, digits, - and _),
    so they are safe in the URL and shown as plain text."""
    ss = st.session_state
    name = current_session()
    if store().recovery_message and not ss.get("recovery_shown"):
        st.warning(store().recovery_message, icon="⚠️")
        ss["recovery_shown"] = True
    st.header("Labelling session")
    with st.container(key="session_name"):
        st.text(name)
    st.caption("Your anchors are saved in this session. Share it by sending this link; "
               "the bare address starts a new session.")
    st.code(share_link(name), language=None, wrap_lines=True)
    with st.expander("Sessions: open, new, rename, duplicate, delete"):
        summaries = store().list_sessions()
        names = [s.name for s in summaries]
        counts = {s.name: f"{s.name} ({s.n_anchors} anchors)" for s in summaries}
        if names:
            st.selectbox("Saved sessions", names, key="session_choice",
                         index=names.index(name) if name in names else 0,
                         format_func=lambda n: counts[n])
        cols = st.columns(2)
        cols[0].button("Open", on_click=_on_open, disabled=not names, width="stretch",
                       key="session_open")
        cols[1].button("New session", on_click=_on_new, width="stretch", key="session_new")
        st.text_input("New name (for Rename or Duplicate)", key="session_new_name",
                      max_chars=limits.MAX_SESSION_NAME, placeholder="e.g. alice-iris")
        cols = st.columns(2)
        cols[0].button("Rename", on_click=_on_rename, width="stretch", key="session_rename")
        cols[1].button("Duplicate", on_click=_on_duplicate, width="stretch",
                       key="session_duplicate")
        confirm = st.checkbox(f"Yes, delete session {name} and its history",
                              key="session_confirm_delete")
        st.button("Delete this session", on_click=_on_delete, disabled=not confirm,
                  width="stretch", key="session_delete")
    message = ss.pop("session_message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(markdown_literal(message[1]))
