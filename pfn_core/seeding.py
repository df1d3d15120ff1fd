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
                       max_points: int = 1000, n_neighbours: int = 10) -> np.ndarray:
    """Row indices of `n_clusters` density peaks.

    geometry (N, G) distances are measured here; X (N, D) raw values pick the subsample by
    content (so the result does not depend on row order) -> (n_clusters,) row indices"""
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be at least 1, got {n_clusters}.")
    if n_clusters > len(geometry):
        raise ValueError(f"n_clusters={n_clusters} exceeds the number of rows ({len(geometry)}).")
    sample = np.sort(content_order(X)[:max_points])
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


def confident_anchors(proba: np.ndarray, per_class: int, exclude: np.ndarray) -> tuple:
    """The `per_class` rows each class is most sure of (by probability), excluding `exclude`.

    proba (N, K) -> (indices (A,), classes (A,))"""
    predicted = proba.argmax(1)
    confidence = proba.max(1)
    confidence[exclude] = -1.0
    indices, classes = [], []
    for c in range(proba.shape[1]):
        members = np.flatnonzero((predicted == c) & (confidence >= 0))
        best = members[np.lexsort((members, -confidence[members]))][:per_class]
        indices.append(best)
        classes.append(np.full(len(best), c))
    return np.concatenate(indices).astype(np.int64), np.concatenate(classes).astype(np.int64)
