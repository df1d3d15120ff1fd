"""Anchors persisted in a SQLite file, one set per dataset, keyed by a content fingerprint.

A connection is opened per call, so one store object can be shared by Streamlit reruns and
threads; every write is a single transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

FINGERPRINT_LENGTH = 16  # hex characters kept from the sha256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS anchor_sets (
    fingerprint TEXT PRIMARY KEY,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS anchors (
    fingerprint TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (fingerprint, row_id)
);
"""


def dataset_fingerprint(frame: pd.DataFrame) -> str:
    """Short sha256 hex of the column names and every value; equal for equal tables."""
    digest = hashlib.sha256()
    digest.update(repr([str(c) for c in frame.columns]).encode())
    digest.update(repr(frame.shape).encode())
    row_hashes = pd.util.hash_pandas_object(frame, index=False)  # (N,) uint64
    digest.update(row_hashes.to_numpy().tobytes())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


class AnchorStore:
    """Save, load and forget anchor sets in the SQLite file at ``path``.

    >>> import tempfile, os
    >>> store = AnchorStore(os.path.join(tempfile.mkdtemp(), "anchors.sqlite"))
    >>> store.save("abc", {3: "cats"}); store.load("abc")
    {3: 'cats'}
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection, connection:
            connection.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0)

    def save(self, fingerprint: str, anchors: Mapping[int, str]) -> None:
        """Replace the stored set for ``fingerprint`` with ``anchors`` (all or nothing)."""
        rows = [(fingerprint, int(r), str(label)) for r, label in anchors.items()]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as connection, connection:
            connection.execute("DELETE FROM anchors WHERE fingerprint = ?", (fingerprint,))
            connection.executemany(
                "INSERT INTO anchors (fingerprint, row_id, label) VALUES (?, ?, ?)", rows
            )
            connection.execute(
                "INSERT OR REPLACE INTO anchor_sets (fingerprint, updated_at) VALUES (?, ?)",
                (fingerprint, now),
            )

    def load(self, fingerprint: str) -> dict[int, str]:
        """The stored anchors for ``fingerprint``, {} when none were saved."""
        with closing(self._connect()) as connection:
            rows = connection.execute(
                "SELECT row_id, label FROM anchors WHERE fingerprint = ? ORDER BY row_id",
                (fingerprint,),
            ).fetchall()
        return {int(r): str(label) for r, label in rows}

    def updated_at(self, fingerprint: str) -> str | None:
        """ISO timestamp (UTC) of the last save for ``fingerprint``, None if never saved."""
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT updated_at FROM anchor_sets WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()
        return None if row is None else str(row[0])

    def forget(self, fingerprint: str) -> None:
        """Delete the stored set for ``fingerprint`` (no error when there is none)."""
        with closing(self._connect()) as connection, connection:
            connection.execute("DELETE FROM anchors WHERE fingerprint = ?", (fingerprint,))
            connection.execute("DELETE FROM anchor_sets WHERE fingerprint = ?", (fingerprint,))
