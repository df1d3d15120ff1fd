"""The event log of a labelling session: how one change is written, what undo reverses, and
replaying the log back to the anchors.

Every function that takes a ``connection`` works inside the caller's transaction (see
``session_database.SessionDatabase``); the tables are those of ``session_database.SCHEMA``.
An event records the rows a change touched (R,), the label of each after it and before it
(None: no anchor), so undo restores the ``before`` of the latest event not yet undone, and
``replay`` rebuilds the anchors from the events alone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

UNDOABLE = ("assign", "remove", "clear", "replace", "load")  # "examples" and "undo" are not


@dataclass(frozen=True)
class Event:
    """One committed change: ``rows`` (R,) got ``labels`` (R,) and had ``before`` (R,)."""

    id: int
    session: str
    dataset: str
    at: str
    action: str
    rows: tuple[int, ...]
    labels: tuple[str | None, ...]
    before: tuple[str | None, ...]
    undoes: int | None = None


def changes_between(old: Mapping[int, str], new: Mapping[int, str]) -> dict[int, str | None]:
    """The change that turns anchors ``old`` into ``new``: {row: new label or None}."""
    rows = sorted(set(old) | set(new))
    return {int(r): new.get(r) for r in rows if old.get(r) != new.get(r)}


def now() -> str:
    """The current time as the log writes it (ISO 8601, UTC, milliseconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def action_for(change: Mapping[int, str | None], after: Mapping[int, str]) -> str:
    """Name a change from what it does: clear, remove, assign (one label) or replace."""
    labels = set(change.values())
    if not after:
        return "clear"
    if labels == {None}:
        return "remove"
    if len(labels) == 1:
        return "assign"
    return "replace"


def ensure_session(connection: sqlite3.Connection, name: str) -> None:
    """Create session ``name`` unless it exists."""
    stamp = now()
    connection.execute(
        "INSERT OR IGNORE INTO sessions (name, created_at, updated_at) VALUES (?, ?, ?)",
        (name, stamp, stamp))


def current_anchors(connection: sqlite3.Connection, session: str,
                    dataset: str) -> dict[int, str]:
    """The anchors of ``session`` on table ``dataset`` as stored now."""
    rows = connection.execute(
        "SELECT row_id, label FROM session_anchors WHERE session = ? AND dataset = ? "
        "ORDER BY row_id", (session, dataset)).fetchall()
    return {int(r): str(label) for r, label in rows}


def write_change(connection: sqlite3.Connection, session: str, dataset: str,
                 change: Mapping[int, str | None], action: str | None,
                 undoes: int | None = None) -> int | None:
    """Write ``change`` to the anchors and log it as one event; the new event's id, or None
    when it changes nothing (then nothing is logged)."""
    current = current_anchors(connection, session, dataset)
    rows = [r for r in sorted(change) if current.get(r) != change[r]]
    if not rows:
        return None
    after = {**current, **{r: change[r] for r in rows}}
    after = {r: label for r, label in after.items() if label is not None}
    action = action or action_for({r: change[r] for r in rows}, after)
    dropped = [(session, dataset, r) for r in rows if change[r] is None]
    kept = [(session, dataset, r, change[r]) for r in rows if change[r] is not None]
    connection.executemany(
        "DELETE FROM session_anchors WHERE session = ? AND dataset = ? AND row_id = ?",
        dropped)
    connection.executemany(
        "INSERT OR REPLACE INTO session_anchors (session, dataset, row_id, label) "
        "VALUES (?, ?, ?, ?)", kept)
    stamp = now()
    cursor = connection.execute(
        "INSERT INTO session_events (session, dataset, at, action, rows, labels, before, "
        "undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (session, dataset, stamp, action, json.dumps(rows),
         json.dumps([change[r] for r in rows]), json.dumps([current.get(r) for r in rows]),
         undoes))
    connection.execute("UPDATE sessions SET updated_at = ? WHERE name = ?", (stamp, session))
    return cursor.lastrowid


_UNDO_TARGET = (
    "SELECT id, rows, before FROM session_events WHERE session = ? AND dataset = ? "
    f"AND action IN ({', '.join('?' * len(UNDOABLE))}) AND id NOT IN ("
    "SELECT undoes FROM session_events WHERE session = ? AND dataset = ? "
    "AND undoes IS NOT NULL) ORDER BY id DESC LIMIT 1")


def undo_target(connection: sqlite3.Connection, session: str, dataset: str):
    """(event id, rows JSON, before JSON) of the latest undoable event not yet undone, or
    None."""
    return connection.execute(
        _UNDO_TARGET, (session, dataset, *UNDOABLE, session, dataset)).fetchone()


def write_undo(connection: sqlite3.Connection, session: str, dataset: str) -> None:
    """Reverse the ``undo_target`` (if any) as an 'undo' event; an event whose rows already
    hold their old labels is marked undone by an empty 'undo' event."""
    target = undo_target(connection, session, dataset)
    if target is None:
        return
    event_id, rows, before = target
    restore = dict(zip(json.loads(rows), json.loads(before), strict=True))
    if write_change(connection, session, dataset, restore, "undo", undoes=event_id) is None:
        connection.execute(
            "INSERT INTO session_events (session, dataset, at, action, rows, "
            "labels, before, undoes) VALUES (?, ?, ?, 'undo', '[]', '[]', '[]', ?)",
            (session, dataset, now(), event_id))


def read_events(connection: sqlite3.Connection, session: str, dataset: str | None = None,
                action: str | None = None) -> list[Event]:
    """The session's events, oldest first (of one table when ``dataset`` is given, of one
    kind when ``action`` is)."""
    query = ("SELECT id, session, dataset, at, action, rows, labels, before, undoes "
             "FROM session_events WHERE session = ?")
    arguments: tuple = (session,)
    if dataset is not None:
        query, arguments = query + " AND dataset = ?", (*arguments, dataset)
    if action is not None:
        query, arguments = query + " AND action = ?", (*arguments, action)
    rows = connection.execute(query + " ORDER BY id", arguments).fetchall()
    return [Event(i, s, d, at, kind, tuple(json.loads(r)), tuple(json.loads(lab)),
                  tuple(json.loads(b)), undoes)
            for i, s, d, at, kind, r, lab, b, undoes in rows]


def replay(events: Iterable[Event], upto: int | None = None) -> dict[int, str]:
    """The anchors that ``events`` (of one table, oldest first) leave, from no anchors; with
    ``upto``, only the events with id <= upto. Equal to ``SessionStore.anchors`` for the full
    log: the check that no change was lost."""
    anchors: dict[int, str] = {}
    for event in events:
        if upto is not None and event.id > upto:
            break
        for row_id, label in zip(event.rows, event.labels, strict=True):
            if label is None:
                anchors.pop(row_id, None)
            else:
                anchors[row_id] = label
    return anchors
