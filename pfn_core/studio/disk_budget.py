"""Keep a cache folder under a size budget: the least recently used files go first.

The studio's on-disk caches (fits in ``result_cache``, maps in ``projection``) call
``evict_oldest`` after each write and ``touch`` on each hit, so a file's modification time is
its last use and the files deleted first are the ones unused longest. Budgets are in
``cache_bounds`` (``FITS_DISK_BYTES``, ``MAPS_DISK_BYTES``).
"""

from __future__ import annotations

import os
from pathlib import Path


def touch(path: Path) -> None:
    """Mark ``path`` as just used (its mtime is now); a file gone meanwhile is ignored."""
    try:
        os.utime(path)
    except OSError:
        pass


def evict_oldest(folder: Path, max_bytes: int, pattern: str) -> list[Path]:
    """Delete the files of ``folder`` matching ``pattern`` (e.g. ``"*.npz"``), oldest
    modification time first, until the rest take at most ``max_bytes``; returns those deleted.
    Files that vanish meanwhile (another process evicting too) are skipped."""
    files = []
    for path in Path(folder).glob(pattern):
        try:
            stat = path.stat()
        except OSError:
            continue
        files.append((stat.st_mtime_ns, path.name, stat.st_size, path))
    files.sort()
    total = sum(size for _, _, size, _ in files)
    deleted = []
    for _, _, size, path in files:
        if total <= max_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        deleted.append(path)
    return deleted
