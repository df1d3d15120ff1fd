"""Starting points for clustering without anchors.

With no labelled rows, the model still needs one anchor per cluster to name the clusters.
``density_peak_seeds`` picks them the way density-peak clustering does: points that are
dense (close to their neighbours) and far from any denser point are cluster centres. "Far"
is measured along the data (shortest paths through a neighbour graph, ``geodesic.py``), so
a ring or a long curve with a gap to the next cluster gets its own seed. The
estimator then lets the model cluster from these seeds and re-anchors on the points it is
most sure of, so the final partition is the model's.
"""

from __future__ import annotations

import numpy as np

from pfn_core.episode import content_order
from pfn_core.geodesic import neighbour_graph, shortest_paths


def density_peak_seeds(geometry: np.ndarray, X: np.ndarray, n_clusters: int,
                       max_points: int = 1000, n_neighbours: int = 10,
                       order: np.ndarray | None = None) -> np.ndarray:
    """Row indices of `n_clusters` density peaks.

    geometry (N, G) distances are measured here; X (N, D) raw values pick the subsample of
    max(max_points, n_clusters) rows by content (so the result does not depend on row
    order; `order`: ``content_order(X)`` if already computed) -> (n_clusters,) row indices,
    best peak first (so the first k of them are the k best peaks, as long as both counts
    fit in max_points)"""
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be at least 1, got {n_clusters}.")
    if n_clusters > len(geometry):
        raise ValueError(f"n_clusters={n_clusters} exceeds the number of rows ({len(geometry)}).")
    order = content_order(X) if order is None else order
    sample = np.sort(order[:max(max_points, n_clusters)])
    points = geometry[sample].astype(np.float64)
    k = min(n_neighbours, len(points) - 1)
    if k < 1:
        return sample[:n_clusters]
    graph, distances = neighbour_graph(points, n_neighbours)  # distances (P, P), diagonal inf
    distances = distances.numpy().astype(np.float64)
    nearest = np.partition(distances, k - 1, axis=1)[:, :k]
    density = 1.0 / (nearest.mean(1) + 1e-12)
    # Distance to the nearest denser point (ties broken by index), the densest gets the max.
    rank = np.lexsort((np.arange(len(points)), -density))
    position = np.empty(len(points), dtype=np.int64)
    position[rank] = np.arange(len(points))
    denser = position[None, :] < position[:, None]
    paths = shortest_paths(graph, np.arange(len(points)))
    separation = np.where(denser, paths, np.inf).min(1)
    # The densest point of each connected part has no reachable denser point: rank those
    # first (by density), beyond every finite separation.
    finite = separation[np.isfinite(separation)]
    top = 2.0 * (finite.max() if len(finite) else 1.0) + distances[np.isfinite(distances)].max()
    separation[~np.isfinite(separation)] = top
    score = (density / density.max()) * (separation / (separation.max() + 1e-12))
    chosen = np.lexsort((np.arange(len(points)), -score))[:n_clusters]
    return sample[chosen]


def confident_anchors(proba: np.ndarray, per_class: int, exclude: np.ndarray,
                      pool: float = 0.0, tie_break: np.ndarray | None = None) -> tuple:
    """Up to `per_class` rows of each predicted class, excluding `exclude`, to serve as extra
    anchors.

    pool = 0: the rows the model is surest of. pool in (0, 1]: rows spread evenly over the
    confidence ranks of the surest `pool` fraction of the class (at least `per_class` rows),
    so that they cover the cluster instead of crowding next to the anchors, where the model
    is surest and an extra anchor adds nothing. Confidence is rounded to 6 decimals, so that
    float noise (e.g. from the order of classes) cannot reorder rows; ties go to the lower
    `tie_break` rank (default: the lower row).

    proba (N, K), tie_break (N,) or None -> (indices (A,), classes (A,))"""
    predicted = proba.argmax(1)
    confidence = np.round(proba.max(1), 6)
    confidence[exclude] = -1.0
    key = np.arange(len(proba)) if tie_break is None else tie_break
    indices, classes = [], []
    for c in range(proba.shape[1]):
        members = np.flatnonzero((predicted == c) & (confidence >= 0))
        ranked = members[np.lexsort((key[members], -confidence[members]))]
        if pool > 0 and len(ranked) > per_class:
            surest = ranked[:max(per_class, int(np.ceil(pool * len(ranked))))]
            picks = np.unique(np.linspace(0, len(surest) - 1, per_class).round().astype(int))
            chosen = surest[picks]
        else:
            chosen = ranked[:per_class]
        indices.append(chosen)
        classes.append(np.full(len(chosen), c))
    return np.concatenate(indices).astype(np.int64), np.concatenate(classes).astype(np.int64)


REFINE_POOL = 0.8  # extra anchors come from the surest 80% of each predicted class


def anchors_from_pilot(pilot_proba: np.ndarray, pilot: np.ndarray, per_class: int, exclude,
                       content_rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` extra anchors per class among the pilot rows, spread over the surer part
    of each predicted class (``confident_anchors`` with ``REFINE_POOL``), none from
    `exclude`; ties go to the lower content rank.
    pilot_proba (R, K) for the sorted rows `pilot` (R,), content_rank (N,)
    -> (rows (A',), classes (A',))"""
    excluded = np.flatnonzero(np.isin(pilot, np.asarray(exclude, dtype=np.int64)))
    positions, classes = confident_anchors(pilot_proba, per_class, excluded,
                                           pool=REFINE_POOL, tie_break=content_rank[pilot])
    return pilot[positions], classes
