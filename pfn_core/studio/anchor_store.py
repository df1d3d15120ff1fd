"""A table's content fingerprint: the key under which a labelling session keeps its anchors.

The anchors themselves live in ``pfn_core.studio.sessions`` (one SQLite file, per session and
fingerprint, with an event log); the per-table store that was here before sessions is imported
from an old file into the session 'saved-before-sessions'.
"""

from __future__ import annotations

import hashlib

import pandas as pd

FINGERPRINT_LENGTH = 16  # hex characters kept from the sha256


def dataset_fingerprint(frame: pd.DataFrame) -> str:
    """Short sha256 hex of the column names and every value; equal for equal tables."""
    digest = hashlib.sha256()
    digest.update(repr([str(c) for c in frame.columns]).encode())
    digest.update(repr(frame.shape).encode())
    row_hashes = pd.util.hash_pandas_object(frame, index=False)  # (N,) uint64
    digest.update(row_hashes.to_numpy().tobytes())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]
