"""Slow fits of the studio kept on disk, so a large table opened again shows its clustering at
once instead of re-running the model (its first map without anchors takes ten passes).

A fit is keyed by ``fit_key``: sha256 of X's bytes and shape, the anchors, K (None when the
model estimates it), the column scaling, the weights file's size and modification time and the
model code's bytes (``pfn_core/*.py``), so new weights or a changed model never read an old
result. Files are ``<key>.npz`` holding labels (N,) str, proba (N, K) float32, confidence (N,)
float32, the fit's seconds, anchors'-metric flag, the number of anchors the model saw, whether
it kept the model's own clustering (``pfn_core.own_clustering``), its number of clusters, the
evidence per candidate K when it estimated K (``scores_k`` (C,) and ``scores_value`` (C,),
``has_scores``) and its agreement with itself per clustered candidate (``agreement_k``,
``agreement_value``, ``has_agreement``), and the rows suggested for labelling next (S,). A
missing, unreadable or older file (without those fields) is a miss. The folder is kept under
``cache_bounds.FITS_DISK_BYTES``, the least recently used fits deleted first (``disk_budget``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from pfn_core.calibration import SHIPPED_CALIBRATION
from pfn_core.checkpoint import SHIPPED_WEIGHTS
from pfn_core.studio import cache_bounds, disk_budget

SLOW_FIT_SECONDS = 2.0  # fits faster than this are not worth a file


@functools.lru_cache(maxsize=1)
def _model_identity() -> str:
    """Digest of the weights file's size and mtime, of the model's source files and of the
    calibration file."""
    digest = hashlib.sha256()
    if SHIPPED_WEIGHTS.exists():
        stat = SHIPPED_WEIGHTS.stat()
        digest.update(repr((stat.st_size, stat.st_mtime_ns)).encode())
    for source in sorted(Path(__file__).resolve().parents[1].glob("*.py")):
        digest.update(source.read_bytes())
    if SHIPPED_CALIBRATION.exists():  # a refitted temperature rule changes every proba
        digest.update(SHIPPED_CALIBRATION.read_bytes())
    return digest.hexdigest()


def fit_key(X, anchors: tuple[tuple[int, str], ...], n_clusters: int | None,
            scale_columns: bool) -> str:
    """sha256 hex digest naming one fit of one X (N, D); ``n_clusters`` None: K estimated."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    digest = hashlib.sha256(X.tobytes())
    k = None if n_clusters is None else int(n_clusters)
    identity = (X.shape, tuple(anchors), k, bool(scale_columns),
                _model_identity())
    digest.update(repr(identity).encode())
    return digest.hexdigest()


def shared_labels(labels) -> np.ndarray:
    """labels (N,) -> (N,) object array of str in which equal labels are one string object,
    so N labels cost N pointers and K strings (not N strings)."""
    names, codes = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    return np.asarray([str(name) for name in names], dtype=object)[codes.reshape(-1)]


def save(cache_dir: Path, key: str, result: dict,
         max_bytes: int | None = None) -> None:
    """Write one fit (labels, proba, confidence, seconds, in_metric, model_anchors,
    own_clustering, discovery_fit, n_clusters, n_clusters_scores, n_clusters_agreement,
    k_evidence_weak, n_distinct_rows, suggested) atomically, then
    delete the least recently used fits until the folder holds at most ``max_bytes`` (default
    ``cache_bounds.FITS_DISK_BYTES``)."""
    scores = result.get("n_clusters_scores")
    ks = sorted(scores) if scores else []
    agreement = result.get("n_clusters_agreement")
    agreed = sorted(agreement) if agreement else []
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".npz.tmp")
    with os.fdopen(handle, "wb") as stream:
        np.savez(stream, labels=np.asarray(result["labels"]).astype(str),
                 proba=np.asarray(result["proba"], dtype=np.float32),
                 confidence=np.asarray(result["confidence"], dtype=np.float32),
                 seconds=float(result["seconds"]), in_metric=bool(result["in_metric"]),
                 model_anchors=int(result.get("model_anchors", 0)),
                 own_clustering=bool(result.get("own_clustering", False)),
                 discovery_fit=bool(result.get("discovery_fit", False)),
                 k_evidence_weak=bool(result.get("k_evidence_weak", False)),
                 n_distinct_rows=int(result.get("n_distinct_rows", len(result["labels"]))),
                 n_clusters=int(result.get("n_clusters", np.shape(result["proba"])[1])),
                 has_scores=scores is not None,
                 scores_k=np.asarray(ks, dtype=np.int64),
                 scores_value=np.asarray([scores[k] for k in ks], dtype=np.float64),
                 has_agreement=agreement is not None,
                 agreement_k=np.asarray(agreed, dtype=np.int64),
                 agreement_value=np.asarray([agreement[k] for k in agreed], dtype=np.float64),
                 suggested=np.asarray(result.get("suggested", []), dtype=np.int64))
    os.replace(temporary, cache_dir / f"{key}.npz")
    disk_budget.evict_oldest(cache_dir, max_bytes or cache_bounds.FITS_DISK_BYTES, "*.npz")


def load(cache_dir: Path, key: str) -> dict | None:
    """The stored fit as ``save`` got it (labels as an object array), or None; a hit marks
    the file as just used."""
    path = Path(cache_dir) / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            disk_budget.touch(path)
            ks, values = stored["scores_k"].tolist(), stored["scores_value"].tolist()
            scores = dict(zip(ks, values, strict=True)) if bool(stored["has_scores"]) else None
            agreement = None  # files written before the agreement was kept have none
            if "has_agreement" in stored.files and bool(stored["has_agreement"]):
                agreement = dict(zip(stored["agreement_k"].tolist(),
                                     stored["agreement_value"].tolist(), strict=True))
            return {"labels": shared_labels(stored["labels"]), "proba": stored["proba"],
                    "confidence": stored["confidence"], "seconds": float(stored["seconds"]),
                    "in_metric": bool(stored["in_metric"]),
                    "model_anchors": int(stored["model_anchors"]),
                    "own_clustering": bool(stored["own_clustering"]),
                    "discovery_fit": ("discovery_fit" in stored.files
                                      and bool(stored["discovery_fit"])),
                    "k_evidence_weak": ("k_evidence_weak" in stored.files
                                        and bool(stored["k_evidence_weak"])),
                    "n_distinct_rows": (int(stored["n_distinct_rows"])
                                        if "n_distinct_rows" in stored.files
                                        else len(stored["labels"])),
                    "n_clusters": int(stored["n_clusters"]), "n_clusters_scores": scores,
                    "n_clusters_agreement": agreement,
                    "suggested": stored["suggested"].astype(np.int64)}
    except (OSError, ValueError, KeyError):
        return None
