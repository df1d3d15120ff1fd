"""The results table the analyst downloads: the original rows plus the clusterings."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... when the uploaded table already uses it."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate


def results_frame(frame: pd.DataFrame, predicted, confidence=None, kmeans=None) -> pd.DataFrame:
    """row_id, the original columns, predicted_cluster, confidence and kmeans_cluster.

    predicted, confidence, kmeans: (N,) with N = len(frame); confidence and kmeans may be None
    (the column is left out). A name the table already uses gets a suffix ("row_id_2").
    """
    extra = {"predicted_cluster": predicted, "confidence": confidence, "kmeans_cluster": kmeans}
    for name, values in extra.items():
        if values is not None and len(values) != len(frame):
            raise ValueError(
                f"{name} has {len(values)} values but the table has {len(frame)} rows; "
                "recompute the clustering for this table."
            )
    taken = {str(c) for c in frame.columns}
    out = frame.reset_index(drop=True).copy()
    out.insert(0, _free_name("row_id", taken), np.arange(len(frame)))
    taken = {str(c) for c in out.columns}
    for name, values in extra.items():
        if values is not None:
            column = _free_name(name, taken)
            out[column] = np.asarray(values)
            taken.add(column)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV without the index, ready for ``st.download_button``."""
    return frame.to_csv(index=False).encode("utf-8")


def fitted_model_bytes(estimator) -> bytes:
    """A fitted PFNClusterer as the bytes of its safetensors file (``PFNClusterer.save``),
    for a download that ``python -m pfn_core predict --model`` reads."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fitted.safetensors"
        estimator.save(path)
        return path.read_bytes()
