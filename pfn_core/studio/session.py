"""What the studio's pages share: the current dataset, where files go, and label colours.

The Streamlit app keeps one ``StudioData`` in ``st.session_state["studio"]``; the other pages
read it from there (or build the default sample with ``sample_data`` when a page is opened
first). Nothing here imports Streamlit, so every function is testable on its own.

Legend as in the rest of the package: N=rows, D=columns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pfn_core.studio import samples, tabular_io
from pfn_core.studio.plain_text import markdown_literal

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SAMPLE = "moons"
SESSION_KEY = "studio"  # st.session_state key holding the current StudioData
DB_ENV = "PFN_STUDIO_DB"
CACHE_ENV = "PFN_STUDIO_CACHE"

# Colour-blind-friendly first (Okabe-Ito), then Tableau; labels keep their colour for a session.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288",
    "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#FF9DA7", "#9C755F",
    "#882255", "#44AA99", "#117733", "#AA4499", "#DDCC77", "#88CCEE", "#999933", "#6699CC",
)


@dataclass
class StudioData:
    """The table the analyst works on, as the pages need it.

    frame: the table as uploaded; X (N, D) float64 features (NaN allowed); feature_names (D,);
    truth (N,) object ground truth or None; anchors {row id: label}; projection (N, 2) or None;
    n_clusters: how many clusters to ask for when there are no anchors; scale_columns: False
    when the analyst said the columns share one unit (see ``PFNClusterer``).
    """

    name: str
    frame: pd.DataFrame
    X: np.ndarray
    feature_names: list[str]
    truth: np.ndarray | None = None
    anchors: dict[int, str] = field(default_factory=dict)
    projection: np.ndarray | None = None
    n_clusters: int = 3
    scale_columns: bool = True


def anchor_db_path() -> Path:
    """The SQLite file anchors are saved to: $PFN_STUDIO_DB, else ``.cache/anchors.sqlite``."""
    return Path(os.environ.get(DB_ENV) or REPO_ROOT / ".cache" / "anchors.sqlite")


def projection_cache_dir() -> Path:
    """Where 2-D maps are cached on disk: $PFN_STUDIO_CACHE, else ``.cache/projections``."""
    return Path(os.environ.get(CACHE_ENV) or REPO_ROOT / ".cache" / "projections")


def shared_data_dir() -> Path | None:
    """``../shared/data`` beside the repository when it exists (benchmark data), else None."""
    path = REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def sample_data(name: str = DEFAULT_SAMPLE, seed: int = 0, per_class: int = 1) -> StudioData:
    """A bundled sample with ``per_class`` example anchors per true class (drawn with ``seed``)."""
    sample = samples.load_sample(name)
    prepared = tabular_io.prepare_features(sample.frame, sample.feature_columns)
    truth = sample.frame[sample.truth_column].to_numpy(dtype=object)
    anchors = samples.example_anchors(truth, np.random.default_rng(seed), per_class=per_class)
    return StudioData(
        name=name,
        frame=sample.frame,
        X=prepared.X,
        feature_names=prepared.feature_names,
        truth=truth,
        anchors=anchors,
        n_clusters=len(set(anchors.values())),
    )


def extend_colours(colours: Mapping[str, str], labels: Iterable) -> dict[str, str]:
    """A copy of ``colours`` (label -> hex) giving every new label in ``labels`` the next free
    palette colour, so a label keeps its colour while others come and go."""
    updated = dict(colours)
    for label in dict.fromkeys(str(v) for v in labels):
        if label not in updated:
            used = set(updated.values())
            free = [c for c in PALETTE if c not in used]
            updated[label] = free[0] if free else PALETTE[len(updated) % len(PALETTE)]
    return updated


def run_caption(name: str, description: str, n_rows: int, n_anchors: int, seconds: float,
                kept: bool, in_metric: bool = False, guessed: bool = False) -> str:
    """The studio's line under the title: the data, what a re-cluster does, and how long the
    last one took (`kept`: the result was cached from an earlier run with these anchors;
    `in_metric`: distances were measured in the anchors' metric, ``pfn_core.anchor_metric``;
    with no anchors it says how the model started, ``pfn_core.merging``; `guessed`: the
    fit started when the points were selected, ``speculation``).
    ``bench.studio_latency`` reads the time back from it."""
    note = (" Distances were measured in the anchors' own metric (5 or more anchors per "
            "class on average)." if in_metric else "")
    if n_anchors == 0:
        note += (" With no anchors yet, the model seeded itself twice (from density peaks, "
                 "and from three times as many merged where it hesitates) and kept the "
                 "clustering that cuts fewer links between neighbouring rows.")
    description = description.strip()
    if description and description[-1] not in ".!?":
        description += "."
    return (
        f"**{markdown_literal(name)}** — {markdown_literal(description)} "
        f"Name a few points and the pre-trained transformer "
        f"re-clusters all {n_rows:,} rows from them in a few forward passes, with no "
        "fitting. "
        f"Re-clustered {n_rows:,} rows from {n_anchors} anchors in {seconds:.2f} s"
        f"{' (kept from the last time these anchors were used)' if kept else ''}"
        f"{' (started when the points were selected, as the label was typed)' if guessed else ''}"
        f".{note}"
    )
