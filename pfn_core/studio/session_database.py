"""The SQLite file behind labelling sessions: its schema, WAL mode, connections and
transactions, and what happens when the file cannot be read.

The file runs in WAL mode (readers never wait for the writer; several processes and threads
can write, each write waits for the previous one up to ``timeout_s``). A connection is opened
per call, so one ``SessionDatabase`` is safe to share between threads. A file that SQLite
cannot read is moved aside when the database opens (``recovered_from`` / ``recovery_message``)
and a fresh one is started. Anchors saved per table before sessions existed are imported once
into the session 'saved-before-sessions'.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pfn_core.studio import session_log

SCHEMA_VERSION = 1  # PRAGMA user_version once the schema (and the legacy import) is in place

SCHEMA = """
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

class SessionDatabase:
    """The SQLite file at ``path`` (created with its folder if needed), ready to read and
    write sessions: ``_read`` and ``_write`` give one transaction each."""

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
            connection.executescript(SCHEMA)  # CREATE ... IF NOT EXISTS: safe to repeat
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
            session_log.ensure_session(connection, "saved-before-sessions")
            session_log.write_change(connection, "saved-before-sessions", dataset,
                                     session_log.changes_between({}, anchors), "load")

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
