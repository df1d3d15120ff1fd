"""Labelling sessions: named sets of anchors in one SQLite file, every change kept as an event.

A session is a name (the studio shows it in its URL, ``?session=NAME``). Inside a session the
anchors are kept per table, keyed by the table's content fingerprint (``dataset``), so one
session can label several tables. Each change is one transaction that updates the current
anchors and appends an event (time, action, rows, the labels after and before), so:

- the whole history of a session can be replayed (``replay``) and checked against the
  current anchors;
- undo (``undo``) is an event too: it restores the labels the undone event found, and works
  after a restart because it reads the log, not memory.

The file runs in WAL mode (readers never wait for the writer; several processes and threads
can write, each write waits for the previous one up to ``timeout_s``). A connection is opened
per call, so one ``SessionStore`` is safe to share between threads. A file that SQLite cannot
read is moved aside when the store opens (``recovered_from`` / ``recovery_message``) and a
fresh one is started.

Anchors are ``dict[int, str]`` (row id -> label), as in ``pfn_core.studio.anchors``; a change is
``dict[int, str | None]`` (row id -> new label, None = no longer an anchor).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pfn_core import limits

SCHEMA_VERSION = 1  # PRAGMA user_version once the schema (and the legacy import) is in place
SESSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
UNDOABLE = ("assign", "remove", "clear", "replace", "load")  # "examples" and "undo" are not
_ADJECTIVES = ("amber", "brisk", "calm", "deep", "eager", "fair", "gold", "keen", "lucid",
               "mellow", "noble", "quiet", "rapid", "sharp", "steady", "vivid")
_NOUNS = ("otter", "heron", "maple", "comet", "river", "falcon", "cedar", "harbor", "lynx",
          "meadow", "orbit", "pine", "quartz", "robin", "summit", "willow")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_tables (
    session TEXT NOT NULL REFERENCES sessions(name) ON UPDATE CASCADE ON DELETE CASCADE,
    dataset TEXT NOT NULL,
    title TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    PRIMARY KEY (session, dataset)
);
CREATE TABLE IF NOT EXISTS session_anchors (
    session TEXT NOT NULL REFERENCES sessions(name) ON UPDATE CASCADE ON DELETE CASCADE,
    dataset TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (session, dataset, row_id)
);
CREATE TABLE IF NOT EXISTS session_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL REFERENCES sessions(name) ON UPDATE CASCADE ON DELETE CASCADE,
    dataset TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    rows TEXT NOT NULL,      -- JSON list of row ids
    labels TEXT NOT NULL,    -- JSON list, the label of each row after the event (null: none)
    before TEXT NOT NULL,    -- JSON list, the label of each row before it (null: none)
    undoes INTEGER           -- for an undo, the id of the event it reverses
);
CREATE INDEX IF NOT EXISTS session_events_by_table ON session_events (session, dataset, id);
"""


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


def check_session_name(name) -> str:
    """``name`` trimmed, or a ValueError saying which names are allowed."""
    text = str(name).strip() if name is not None else ""
    if not SESSION_NAME.fullmatch(text) or len(text) > limits.MAX_SESSION_NAME:
        shown = text[:40] + ("…" if len(text) > 40 else "")
        raise ValueError(
            f"{shown!r} is not a session name; use 1 to {limits.MAX_SESSION_NAME} letters, "
            "digits, '-' or '_', starting with a letter or digit (e.g. 'alice-iris')."
        )
    return text


def random_session_name(rng: np.random.Generator) -> str:
    """A readable name such as 'calm-otter-4821' (one of about 2.3 million)."""
    return (f"{_ADJECTIVES[rng.integers(len(_ADJECTIVES))]}-"
            f"{_NOUNS[rng.integers(len(_NOUNS))]}-{int(rng.integers(1000, 10000))}")


def changes_between(old: Mapping[int, str], new: Mapping[int, str]) -> dict[int, str | None]:
    """The change that turns anchors ``old`` into ``new``: {row: new label or None}."""
    rows = sorted(set(old) | set(new))
    return {int(r): new.get(r) for r in rows if old.get(r) != new.get(r)}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _action_for(change: Mapping[int, str | None], after: Mapping[int, str]) -> str:
    """Name a change from what it does: clear, remove, assign (one label) or replace."""
    labels = set(change.values())
    if not after:
        return "clear"
    if labels == {None}:
        return "remove"
    if len(labels) == 1:
        return "assign"
    return "replace"


class SessionStore:
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

    def __init__(self, path: str | Path, timeout_s: float = 30.0):
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.recovered_from: str | None = None  # what SQLite said about the broken file
        self.moved_to: Path | None = None  # where the broken file went
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(
                f"cannot create the folder of the labelling database {self.path} ({error}); "
                "point PFN_STUDIO_DB at a file in a writable folder.") from None
        try:
            self._initialise()
        except sqlite3.DatabaseError as error:  # not a database, malformed, unreadable
            if not self.path.exists():  # nothing to move: the folder itself is the problem
                raise ValueError(
                    f"cannot create the labelling database {self.path} ({error}); point "
                    "PFN_STUDIO_DB at a file in a writable folder.") from None
            self.recovered_from = str(error)
            try:
                self.moved_to = self._move_aside()
            except OSError as move_error:
                raise ValueError(
                    f"the labelling database {self.path} cannot be read ({error}) nor moved "
                    f"aside ({move_error}); move or delete it, or point PFN_STUDIO_DB at "
                    "another file.") from None
            self._initialise()

    # ------------------------------------------------------------ the file
    @property
    def recovery_message(self) -> str | None:
        """What happened when the file could not be read at start, or None."""
        if self.moved_to is None:
            return None
        return (f"The labelling database {self.path} could not be read ({self.recovered_from}). "
                f"It was moved to {self.moved_to} and a fresh one was started: sessions saved "
                "before are not listed. Keep the moved file if you need to recover them.")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = FULL")  # a commit is on disk when it returns
        return connection

    def _initialise(self) -> None:
        with closing(self._connect()) as connection:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.DatabaseError(f"could not switch the file to WAL mode ({mode})")
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            if connection.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
                return
            connection.executescript(_SCHEMA)  # CREATE ... IF NOT EXISTS: safe to repeat
        with self._write() as connection:  # the legacy import runs once, in one transaction
            if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                self._import_legacy(connection)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _move_aside(self) -> Path:
        """Rename the file (and its -wal/-shm companions) to ``NAME.corrupt-STAMP``."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                companion.rename(target.with_name(target.name + suffix))
        self.path.rename(target)
        return target

    def _import_legacy(self, connection: sqlite3.Connection) -> None:
        """Anchors saved per table by the studio before sessions existed (tables ``anchors``
        and ``anchor_sets``) become the session 'saved-before-sessions', so none are lost."""
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        if "anchors" not in tables:
            return
        rows = connection.execute(
            "SELECT fingerprint, row_id, label FROM anchors ORDER BY fingerprint, row_id"
        ).fetchall()
        by_dataset: dict[str, dict[int, str]] = {}
        for dataset, row_id, label in rows:
            by_dataset.setdefault(str(dataset), {})[int(row_id)] = str(label)
        for dataset, anchors in by_dataset.items():
            self._ensure_session(connection, "saved-before-sessions")
            self._apply(connection, "saved-before-sessions", dataset,
                        changes_between({}, anchors), "load")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front, so two
        writers queue instead of failing half way."""
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several SELECTs."""
        with closing(self._connect()) as connection:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                connection.execute("ROLLBACK")

    # ------------------------------------------------------------ sessions
    @staticmethod
    def _ensure_session(connection: sqlite3.Connection, name: str) -> None:
        now = _now()
        connection.execute(
            "INSERT OR IGNORE INTO sessions (name, created_at, updated_at) VALUES (?, ?, ?)",
            (name, now, now))

    def create(self, name: str) -> str:
        """Make an empty session ``name`` (checked); an existing one is left as it is."""
        name = check_session_name(name)
        with self._write() as connection:
            self._ensure_session(connection, name)
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
                               (new, _now(), old))
        return new

    def duplicate(self, source: str, new: str) -> str:
        """A new session ``new`` with a copy of ``source``'s tables, anchors and history
        (undo in the copy goes back as far as in the original)."""
        new = check_session_name(new)
        with self._write() as connection:
            self._require(connection, source)
            if connection.execute("SELECT 1 FROM sessions WHERE name = ?", (new,)).fetchone():
                raise ValueError(f"a session named {new!r} exists already; pick another name.")
            self._ensure_session(connection, new)
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
            self._ensure_session(connection, session)
            opened = connection.execute(
                "SELECT 1 FROM session_tables WHERE session = ? AND dataset = ?",
                (session, dataset)).fetchone()
            if opened is None:
                connection.execute(
                    "INSERT INTO session_tables (session, dataset, title, opened_at) "
                    "VALUES (?, ?, ?, ?)", (session, dataset, str(title)[:200], _now()))
                if examples:
                    self._apply(connection, session, dataset,
                                changes_between({}, examples), "examples")
            return self._anchors(connection, session, dataset)

    def anchors(self, session: str, dataset: str) -> dict[int, str]:
        """The current anchors, {} for a session or table never seen."""
        with closing(self._connect()) as connection:
            return self._anchors(connection, session, dataset)

    @staticmethod
    def _anchors(connection: sqlite3.Connection, session: str, dataset: str) -> dict[int, str]:
        rows = connection.execute(
            "SELECT row_id, label FROM session_anchors WHERE session = ? AND dataset = ? "
            "ORDER BY row_id", (session, dataset)).fetchall()
        return {int(r): str(label) for r, label in rows}

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
            self._ensure_session(connection, session)
            n_before = len(set(self._anchors(connection, session, dataset).values()))
            self._apply(connection, session, dataset, cleaned, action)
            anchors = self._anchors(connection, session, dataset)
            n_labels = len(set(anchors.values()))
            if n_labels > max(limits.MAX_LABELS, n_before):  # raising rolls the change back
                raise ValueError(
                    f"the change would make {n_labels} distinct labels, over the limit of "
                    f"{limits.MAX_LABELS}; reuse existing labels or remove some first.")
            return anchors

    def _apply(self, connection: sqlite3.Connection, session: str, dataset: str,
               change: Mapping[int, str | None], action: str | None,
               undoes: int | None = None) -> int | None:
        """Write ``change`` inside the caller's transaction; the new event's id or None."""
        current = self._anchors(connection, session, dataset)
        rows = [r for r in sorted(change) if current.get(r) != change[r]]
        if not rows:
            return None
        after = {**current, **{r: change[r] for r in rows}}
        after = {r: label for r, label in after.items() if label is not None}
        action = action or _action_for({r: change[r] for r in rows}, after)
        dropped = [(session, dataset, r) for r in rows if change[r] is None]
        kept = [(session, dataset, r, change[r]) for r in rows if change[r] is not None]
        connection.executemany(
            "DELETE FROM session_anchors WHERE session = ? AND dataset = ? AND row_id = ?",
            dropped)
        connection.executemany(
            "INSERT OR REPLACE INTO session_anchors (session, dataset, row_id, label) "
            "VALUES (?, ?, ?, ?)", kept)
        now = _now()
        cursor = connection.execute(
            "INSERT INTO session_events (session, dataset, at, action, rows, labels, before, "
            "undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session, dataset, now, action, json.dumps(rows),
             json.dumps([change[r] for r in rows]), json.dumps([current.get(r) for r in rows]),
             undoes))
        connection.execute("UPDATE sessions SET updated_at = ? WHERE name = ?", (now, session))
        return cursor.lastrowid

    # ------------------------------------------------------------ history
    _UNDO_TARGET = (
        "SELECT id, rows, before FROM session_events WHERE session = ? AND dataset = ? "
        f"AND action IN ({', '.join('?' * len(UNDOABLE))}) AND id NOT IN ("
        "SELECT undoes FROM session_events WHERE session = ? AND dataset = ? "
        "AND undoes IS NOT NULL) ORDER BY id DESC LIMIT 1")

    def _undo_target(self, connection, session: str, dataset: str):
        return connection.execute(
            self._UNDO_TARGET, (session, dataset, *UNDOABLE, session, dataset)).fetchone()

    def can_undo(self, session: str, dataset: str) -> bool:
        """True when ``undo`` would change something."""
        with closing(self._connect()) as connection:
            return self._undo_target(connection, session, dataset) is not None

    def undo(self, session: str, dataset: str) -> dict[int, str]:
        """Reverse the latest change not yet undone (changes are undone newest first, across
        restarts and tabs of the session); returns the anchors after it. Example anchors
        placed when the table was first opened are not undone (remove them instead)."""
        session = check_session_name(session)
        with self._write() as connection:
            target = self._undo_target(connection, session, dataset)
            if target is not None:
                event_id, rows, before = target
                restore = dict(zip(json.loads(rows), json.loads(before), strict=True))
                if self._apply(connection, session, dataset, restore, "undo",
                               undoes=event_id) is None:  # nothing to restore: mark it undone
                    connection.execute(
                        "INSERT INTO session_events (session, dataset, at, action, rows, "
                        "labels, before, undoes) VALUES (?, ?, ?, 'undo', '[]', '[]', '[]', ?)",
                        (session, dataset, _now(), event_id))
            return self._anchors(connection, session, dataset)

    def events(self, session: str, dataset: str | None = None,
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
        with closing(self._connect()) as connection:
            rows = connection.execute(query + " ORDER BY id", arguments).fetchall()
        return [Event(i, s, d, at, action, tuple(json.loads(r)), tuple(json.loads(lab)),
                      tuple(json.loads(b)), undoes)
                for i, s, d, at, action, r, lab, b, undoes in rows]

    def example_rows(self, session: str, dataset: str) -> set[int]:
        """Rows that still carry the example label they were given when the table opened."""
        examples = self.events(session, dataset, action="examples")
        current = self.anchors(session, dataset)
        return {r for e in examples for r, label in zip(e.rows, e.labels, strict=True)
                if current.get(r) == label}


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
