"""Labelling sessions: named sets of anchors in one SQLite file, every change kept as an event.

A session is a name (the studio shows it in its URL, ``?session=NAME``; ``session_names``).
Inside a session the anchors are kept per table, keyed by the table's content fingerprint
(``dataset``), so one session can label several tables. Each change is one transaction that
updates the current anchors and appends an event (time, action, rows, the labels after and
before; ``session_log``), so:

- the whole history of a session can be replayed (``replay``) and checked against the
  current anchors;
- undo (``undo``) is an event too: it restores the labels the undone event found, and works
  after a restart because it reads the log, not memory.

The file, its WAL mode, its transactions and the recovery of an unreadable file are
``session_database``'s. One ``SessionStore`` is safe to share between threads.

Anchors are ``dict[int, str]`` (row id -> label), as in ``pfn_core.studio.anchors``; a change is
``dict[int, str | None]`` (row id -> new label, None = no longer an anchor).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass

from pfn_core import limits
from pfn_core.studio.session_database import SCHEMA_VERSION, SessionDatabase
from pfn_core.studio.session_log import (
    UNDOABLE,
    Event,
    changes_between,
    current_anchors,
    ensure_session,
    now,
    read_events,
    replay,
    undo_target,
    write_change,
    write_undo,
)
from pfn_core.studio.session_names import SESSION_NAME, check_session_name, random_session_name

__all__ = [
    "SCHEMA_VERSION", "SESSION_NAME", "UNDOABLE", "Event", "SessionStore", "SessionSummary",
    "changes_between", "check_session_name", "random_session_name", "replay",
]


@dataclass(frozen=True)
class SessionSummary:
    """A row of the session list: its name, times (ISO, UTC), anchors and events over all
    its tables, and the titles of the tables it labelled."""

    name: str
    created_at: str
    updated_at: str
    n_anchors: int
    n_events: int
    tables: tuple[str, ...]


class SessionStore(SessionDatabase):
    """Labelling sessions in the SQLite file at ``path`` (created with its folder if needed).

    >>> import tempfile, os
    >>> store = SessionStore(os.path.join(tempfile.mkdtemp(), "sessions.sqlite"))
    >>> store.change("alice", "table1", {3: "cats", 5: "dogs"})
    {3: 'cats', 5: 'dogs'}
    >>> store.change("alice", "table1", {5: None})
    {3: 'cats'}
    >>> store.undo("alice", "table1")
    {3: 'cats', 5: 'dogs'}
    >>> store.anchors("bob", "table1")
    {}
    """

    # ------------------------------------------------------------ sessions
    def create(self, name: str) -> str:
        """Make an empty session ``name`` (checked); an existing one is left as it is."""
        name = check_session_name(name)
        with self._write() as connection:
            ensure_session(connection, name)
        return name

    def exists(self, name: str) -> bool:
        with closing(self._connect()) as connection:
            return connection.execute(
                "SELECT 1 FROM sessions WHERE name = ?", (name,)).fetchone() is not None

    def list_sessions(self) -> list[SessionSummary]:
        """Every session, the most recently changed first."""
        with self._read() as connection:
            sessions = connection.execute(
                "SELECT name, created_at, updated_at FROM sessions ORDER BY updated_at DESC, name"
            ).fetchall()
            counts = dict(connection.execute(
                "SELECT session, COUNT(*) FROM session_anchors GROUP BY session").fetchall())
            events = dict(connection.execute(
                "SELECT session, COUNT(*) FROM session_events GROUP BY session").fetchall())
            titles: dict[str, list[str]] = {}
            for session, title in connection.execute(
                    "SELECT session, title FROM session_tables ORDER BY opened_at"):
                titles.setdefault(session, []).append(title)
        return [SessionSummary(name, created, updated, counts.get(name, 0),
                               events.get(name, 0), tuple(titles.get(name, ())))
                for name, created, updated in sessions]

    def rename(self, old: str, new: str) -> str:
        """Rename session ``old`` to ``new`` (anchors and history follow)."""
        new = check_session_name(new)
        with self._write() as connection:
            self._require(connection, old)
            if old != new and connection.execute(
                    "SELECT 1 FROM sessions WHERE name = ?", (new,)).fetchone():
                raise ValueError(f"a session named {new!r} exists already; pick another name "
                                 "or delete that session first.")
            connection.execute("UPDATE sessions SET name = ?, updated_at = ? WHERE name = ?",
                               (new, now(), old))
        return new

    def duplicate(self, source: str, new: str) -> str:
        """A new session ``new`` with a copy of ``source``'s tables, anchors and history
        (undo in the copy goes back as far as in the original)."""
        new = check_session_name(new)
        with self._write() as connection:
            self._require(connection, source)
            if connection.execute("SELECT 1 FROM sessions WHERE name = ?", (new,)).fetchone():
                raise ValueError(f"a session named {new!r} exists already; pick another name.")
            ensure_session(connection, new)
            connection.execute(
                "INSERT INTO session_tables (session, dataset, title, opened_at) "
                "SELECT ?, dataset, title, opened_at FROM session_tables WHERE session = ?",
                (new, source))
            connection.execute(
                "INSERT INTO session_anchors (session, dataset, row_id, label) "
                "SELECT ?, dataset, row_id, label FROM session_anchors WHERE session = ?",
                (new, source))
            copied: dict[int, int] = {}  # old event id -> new event id
            for (old_id, dataset, at, action, rows, labels, before, undoes) in connection.execute(
                    "SELECT id, dataset, at, action, rows, labels, before, undoes "
                    "FROM session_events WHERE session = ? ORDER BY id", (source,)).fetchall():
                cursor = connection.execute(
                    "INSERT INTO session_events (session, dataset, at, action, rows, labels, "
                    "before, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (new, dataset, at, action, rows, labels, before, copied.get(undoes)))
                copied[old_id] = cursor.lastrowid
        return new

    def delete(self, name: str) -> None:
        """Delete session ``name`` with its anchors and history (no error when absent)."""
        with self._write() as connection:
            connection.execute("DELETE FROM sessions WHERE name = ?", (name,))

    @staticmethod
    def _require(connection: sqlite3.Connection, name: str) -> None:
        if connection.execute("SELECT 1 FROM sessions WHERE name = ?", (name,)).fetchone() is None:
            raise ValueError(f"there is no session named {name!r}; pick one from the list.")

    # ------------------------------------------------------------ anchors of one table
    def open_table(self, session: str, dataset: str, title: str = "",
                   examples: Mapping[int, str] | None = None) -> dict[int, str]:
        """The anchors of ``session`` on table ``dataset``. The first time the session opens
        this table, ``examples`` (if any) become its anchors, as an 'examples' event (not
        undoable). Safe when two tabs open the same fresh session at once."""
        session = check_session_name(session)
        with self._write() as connection:
            ensure_session(connection, session)
            opened = connection.execute(
                "SELECT 1 FROM session_tables WHERE session = ? AND dataset = ?",
                (session, dataset)).fetchone()
            if opened is None:
                connection.execute(
                    "INSERT INTO session_tables (session, dataset, title, opened_at) "
                    "VALUES (?, ?, ?, ?)", (session, dataset, str(title)[:200], now()))
                if examples:
                    write_change(connection, session, dataset, changes_between({}, examples),
                                 "examples")
            return current_anchors(connection, session, dataset)

    def anchors(self, session: str, dataset: str) -> dict[int, str]:
        """The current anchors, {} for a session or table never seen."""
        with closing(self._connect()) as connection:
            return current_anchors(connection, session, dataset)

    def change(self, session: str, dataset: str, change: Mapping[int, str | None],
               action: str | None = None) -> dict[int, str]:
        """Apply ``change`` ({row: label, or None to drop the anchor}) to the stored anchors in
        one transaction and log it; returns the anchors after it. Rows whose label does not
        change are left out of the event; a change that changes nothing logs nothing.
        ``action`` names the event (default: clear, remove, assign or replace, from what the
        change does)."""
        session = check_session_name(session)
        cleaned = {int(r): (None if label is None else str(label))
                   for r, label in change.items()}
        for row_id, label in cleaned.items():
            if row_id < 0:
                raise ValueError(f"row id {row_id} is negative; row ids count from 0.")
            if label is not None and not label.strip():
                raise ValueError(f"row {row_id} would get an empty label; name the label.")
        with self._write() as connection:
            ensure_session(connection, session)
            n_before = len(set(current_anchors(connection, session, dataset).values()))
            write_change(connection, session, dataset, cleaned, action)
            anchors = current_anchors(connection, session, dataset)
            n_labels = len(set(anchors.values()))
            if n_labels > max(limits.MAX_LABELS, n_before):  # raising rolls the change back
                raise ValueError(
                    f"the change would make {n_labels} distinct labels, over the limit of "
                    f"{limits.MAX_LABELS}; reuse existing labels or remove some first.")
            return anchors

    # ------------------------------------------------------------ history
    def can_undo(self, session: str, dataset: str) -> bool:
        """True when ``undo`` would change something."""
        with closing(self._connect()) as connection:
            return undo_target(connection, session, dataset) is not None

    def undo(self, session: str, dataset: str) -> dict[int, str]:
        """Reverse the latest change not yet undone (changes are undone newest first, across
        restarts and tabs of the session); returns the anchors after it. Example anchors
        placed when the table was first opened are not undone (remove them instead)."""
        session = check_session_name(session)
        with self._write() as connection:
            write_undo(connection, session, dataset)
            return current_anchors(connection, session, dataset)

    def events(self, session: str, dataset: str | None = None,
               action: str | None = None) -> list[Event]:
        """The session's events, oldest first (of one table when ``dataset`` is given, of one
        kind when ``action`` is)."""
        with closing(self._connect()) as connection:
            return read_events(connection, session, dataset, action)

    def example_rows(self, session: str, dataset: str) -> set[int]:
        """Rows that still carry the example label they were given when the table opened."""
        examples = self.events(session, dataset, action="examples")
        current = self.anchors(session, dataset)
        return {r for e in examples for r, label in zip(e.rows, e.labels, strict=True)
                if current.get(r) == label}
