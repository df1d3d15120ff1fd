"""What the model found on its own, as the studio shows it: the evidence for its K when there
are no anchors, and the clusters nobody labelled ("new 1", "new 2", ...) when there are.

Naming a new cluster makes its surest rows anchors (``name_new_cluster``); the studio commits
that change like any other, so it is saved in the session and can be undone.

Legend as in the rest of the package: N=rows, K=clusters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pfn_core.discovery import best_candidate
from pfn_core.new_clusters import NEW_NAME
from pfn_core.studio.anchors import assign_label

ROWS_PER_NAMED_CLUSTER = 5  # naming a new cluster anchors this many of its surest rows
_NEW_CLUSTER = re.compile(re.escape(NEW_NAME).replace(r"\{\}", r"([0-9]+)") + r"\Z")


def new_clusters(labels, anchor_labels: Iterable[str] = ()) -> list[tuple[str, int]]:
    """(name, size) of each cluster the model found without an anchor, in number order.

    labels (N,): the model's labels; a name the analyst gave an anchor (``anchor_labels``) is
    never new, even when it reads "new 1".

    >>> new_clusters(["a", "new 2", "new 1", "new 2"], ["a"])
    [('new 1', 1), ('new 2', 2)]
    """
    given = {str(label) for label in anchor_labels}
    names, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
    found = [(str(name), int(count)) for name, count in zip(names, counts, strict=True)
             if _NEW_CLUSTER.match(name) and name not in given]
    return sorted(found, key=lambda pair: int(_NEW_CLUSTER.match(pair[0]).group(1)))


def surest_rows(labels, confidence, cluster: str, n: int = ROWS_PER_NAMED_CLUSTER,
                exclude: Iterable[int] = ()) -> list[int]:
    """Row ids of the ``n`` rows labelled ``cluster`` that the model is surest about, surest
    first (ties: the smaller row id), leaving out rows in ``exclude`` (e.g. the anchors).

    labels (N,), confidence (N,) -> at most n row ids"""
    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}.")
    labels = np.asarray(labels).astype(str)
    confidence = np.asarray(confidence, dtype=np.float64)
    if labels.shape != confidence.shape:
        raise ValueError(f"labels {labels.shape} and confidence {confidence.shape} must have "
                         "one value per row each.")
    rows = np.flatnonzero(labels == str(cluster))
    rows = rows[~np.isin(rows, np.fromiter((int(r) for r in exclude), dtype=np.int64))]
    order = np.lexsort((rows, -np.nan_to_num(confidence[rows], nan=-np.inf)))
    return [int(r) for r in rows[order[:n]]]


def name_new_cluster(anchors: Mapping[int, str], labels, confidence, cluster: str, name,
                     n: int = ROWS_PER_NAMED_CLUSTER) -> dict[int, str]:
    """A copy of ``anchors`` in which the ``n`` surest rows of ``cluster`` (``surest_rows``,
    never rows that are anchors already) are named ``name`` (checked as every label is, by
    ``anchors.label_name``). A name already in use merges the cluster into that label.

    labels (N,), confidence (N,): the model's labels and confidence."""
    if name is None or not str(name).strip():
        raise ValueError(f"type a name for the cluster “{cluster}” first.")
    rows = surest_rows(labels, confidence, cluster, n, exclude=anchors)
    if not rows:
        raise ValueError(f"the model has no cluster “{cluster}” any more (it re-clustered "
                         "meanwhile); name one of the clusters it shows now.")
    return assign_label(anchors, rows, name)


def evidence_table(scores: Mapping[int, float], chosen: int) -> pd.DataFrame:
    """One row per candidate K, by K: "K", "evidence" (higher = more likely) and "chosen"
    (True for the K the model took). Empty when there are no scores."""
    ks = sorted(int(k) for k in scores)
    return pd.DataFrame({
        "K": np.asarray(ks, dtype=np.int64),
        "evidence": np.asarray([float(scores[k]) for k in ks], dtype=np.float64),
        "chosen": np.asarray([k == int(chosen) for k in ks], dtype=bool),
    })


def why_not_the_highest_bar(scores: Mapping[int, float], chosen: int,
                            agreement: Mapping[int, float] | None = None) -> str:
    """A sentence for the evidence chart when the model's K is not its highest bar, else "".

    Two reasons (``pfn_core.discovery``): the model agrees with itself far better at the
    chosen K than at a candidate with more evidence (two different starts cluster the table
    alike into K clusters and differently into the other: `agreement`, candidate K -> ARI
    between the starts), or the table falls into more pieces that no neighbour links join
    than the highest bar says, and rows of different pieces are never one cluster.
    scores: candidate K -> evidence."""
    if not scores:
        return ""
    best, chosen = int(best_candidate(scores)), int(chosen)
    if best == chosen:
        return ""
    agreement = {int(k): float(v) for k, v in (agreement or {}).items()}
    passed_over = [k for k in agreement if k != chosen
                   and scores.get(k, -np.inf) > scores.get(chosen, -np.inf)]
    if chosen in agreement and passed_over:
        other = max(passed_over, key=lambda k: scores[k])
        return (f"The highest bar is K = {best}, but the model agrees with itself far better "
                f"at K = {chosen}: two different starts cluster the table alike into {chosen} "
                f"clusters (agreement {agreement[chosen]:.2f}) and differently into {other} "
                f"({agreement[other]:.2f}). So K = {chosen}.")
    if best > chosen:
        return ""
    return (f"The highest bar is K = {best}, but the table falls into {chosen} "
            "pieces that no neighbour links join, and rows of different pieces are never "
            f"one cluster: so K = {chosen}.")
