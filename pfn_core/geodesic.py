"""Distances along the data: shortest paths through a neighbour graph of landmark points.

Euclidean distance cannot tell two points on neighbouring arms of a spiral from two points
on the same arm; the length of the shortest path that hops between close data points can.
The model's attention reads both (see ``model.DistanceBiasedAttention``).

Cost stays linear in the number of rows N: the graph is built on at most L landmark rows
(the context tokens first, then more rows picked by content), paths run from the M context
tokens through that graph, and every other row joins it through its few nearest landmarks.

Legend: N=rows, L=landmarks, M=context tokens (sources), Q=query rows, G=geometry columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

GRAPH_NEIGHBOURS = 8  # each landmark links to its 8 nearest landmarks (and they back to it)
ATTACH_NEIGHBOURS = 3  # a query reaches the graph through its 3 nearest landmarks
MAX_LANDMARKS = 2048  # enough to cover every training task (N <= 1000) and 20% of 10,000 rows
UNREACHABLE = 1e3  # across disconnected parts: straight line + this many longest graph edges


def _pairwise(a: np.ndarray, b: np.ndarray) -> torch.Tensor:
    """(P, G), (R, G) -> (P, R) Euclidean distances, float32 (torch, for speed)."""
    a = torch.as_tensor(a, dtype=torch.float32)
    b = torch.as_tensor(b, dtype=torch.float32)
    d2 = (a * a).sum(1)[:, None] - 2 * a @ b.T + (b * b).sum(1)[None, :]
    return d2.clamp(min=0.0).sqrt()


@dataclass
class LandmarkPaths:
    """Shortest-path lengths from each context token to every landmark.

    landmarks (L, G) geometry of the landmarks; from_context (M, L) float32 path lengths, never
    shorter than the straight line (finite: an unreachable pair holds its straight-line
    distance plus a large multiple of the graph's longest edge)."""

    landmarks: np.ndarray
    from_context: np.ndarray

    def to_queries(self, query_geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Straight-line and path distances from each query to each context token; the path
        enters the graph at the query's nearest landmarks. The context tokens are the first
        M landmarks, so the straight-line distances come with the landmark look-up.

        (Q, G) -> (straight (Q, M), along (Q, M)), float32"""
        direct = _pairwise(query_geometry, self.landmarks)  # (Q, L)
        hop, nearest = torch.topk(direct, min(ATTACH_NEIGHBOURS, direct.shape[1]), dim=1,
                                  largest=False)  # (Q, k)
        via = torch.from_numpy(self.from_context.T)[nearest]  # (Q, k, M)
        n_context = self.from_context.shape[0]
        return direct[:, :n_context].numpy(), (hop[:, :, None] + via).amin(dim=1).numpy()


def neighbour_graph(points: np.ndarray, n_neighbours: int = GRAPH_NEIGHBOURS):
    """Symmetric k-nearest-neighbour graph of `points` with Euclidean edge lengths.

    points (P, G) -> (graph: scipy CSR (P, P), distances: torch (P, P), diagonal inf)"""
    n = len(points)
    distances = _pairwise(points, points)
    distances.fill_diagonal_(float("inf"))
    k = min(n_neighbours, n - 1)
    if k < 1:
        return csr_matrix((n, n)), distances
    edge, neighbours = torch.topk(distances, k, dim=1, largest=False)  # (P, k)
    rows = np.repeat(np.arange(n), k)
    weights = np.maximum(edge.numpy().ravel().astype(np.float64), 1e-9)  # 0 = "no edge"
    graph = csr_matrix((weights, (rows, neighbours.numpy().ravel())), shape=(n, n))
    return graph.maximum(graph.T), distances  # an edge if either end chose the other


def shortest_paths(graph, sources: np.ndarray) -> np.ndarray:
    """Path lengths from `sources` (S,) to every node of a symmetric graph -> (S, P), inf
    where unreachable."""
    # The graph is symmetric already; scipy's directed search is much faster than undirected.
    return dijkstra(graph, directed=True, indices=sources)


def landmark_paths(geometry: np.ndarray, context_index: np.ndarray,
                   extra_landmarks: np.ndarray) -> LandmarkPaths:
    """Build the landmark graph and run shortest paths from the context tokens.

    geometry (N, G); context_index (M,) rows of the context (they are the first landmarks);
    extra_landmarks (R,) further rows to use as landmarks (rows already in the context are
    skipped; at most MAX_LANDMARKS landmarks in all) -> LandmarkPaths"""
    extra = extra_landmarks[~np.isin(extra_landmarks, context_index)]
    room = max(MAX_LANDMARKS - len(context_index), 0)
    landmark_rows = np.concatenate([context_index, extra[:room]]).astype(np.int64)
    points = geometry[landmark_rows]
    if len(points) < 2:
        return LandmarkPaths(points, np.zeros((len(context_index), len(points)), np.float32))
    graph, distances = neighbour_graph(points)
    paths = shortest_paths(graph, np.arange(len(context_index)))
    unreachable = ~np.isfinite(paths)
    detour = UNREACHABLE * max(float(graph.data.max()), 1e-9)
    straight = distances[: len(context_index)].numpy().astype(np.float64)
    paths[unreachable] = straight[unreachable] + detour
    # Stored once in the precision every query chunk reads it in.
    return LandmarkPaths(points, paths.astype(np.float32))
