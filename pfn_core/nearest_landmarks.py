"""Where rows meet the landmark graph: nearest-landmark searches.

Every row joins the graph of base landmarks (``geodesic``) through its ATTACH_NEIGHBOURS
nearest base landmarks (an ``Attachment``), found once per table; the base landmarks link to
their nearest others to make the graph. Both searches are here: a blocked exact search in
torch (``attach``, ``nearest_others``) and k-d trees in few dimensions
(``nearest_base_by_tree``, ``nearest_others_by_tree``).

Legend: Q=query rows, B=base landmarks, P=points, G=geometry columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial import cKDTree

from pfn_core.path_search import available_cores

ATTACH_NEIGHBOURS = 3  # a query reaches the graph through its 3 nearest landmarks
# Up to this many geometry columns, rows find their nearest base landmarks with a k-d tree
# (``nearest_base_by_tree``). The landmark graph itself keeps the blocked float32 search the
# weights were trained with: a k-d tree breaks near-ties differently (51 of 800 rows of
# twodiamonds got another 8th neighbour), and twodiamonds without anchors fell from 1.00 to
# 0.38 ARI on that alone.
KD_TREE_MAX_DIM = 16
# A table's rows join its graph (``inference.attach_rows``, once per table) through an
# approximate k-d tree search: each neighbour found is within (1 + ATTACH_TREE_EPS) of the
# true k-th distance. On the speed benchmark's 16-dimensional blobs, 0.5 made that search 1.5
# times faster and kept the exact set of 3 for 99.5% of the rows; on three held-out tables
# (100,000 rows, 8 overlapping Gaussians in 10 dimensions, 3 anchors per cluster) labels
# agreed with the exact search on 99.9% of the rows and ARI moved by -0.0001 to +0.0001 (1.0
# was faster still but cost up to 0.0006 ARI). Context tokens are searched exactly; new rows
# (``predict``) as the table's own rows were, since the thirteenth session (100,000 new rows:
# carry 0.65 -> 0.47 s, transformer 2.97 -> 2.50 s; on overlapping Gaussians 29 of 20,000
# labels moved, ARI +0.0008 / -0.0001); tables of at most MAX_LANDMARKS rows never search
# (every row is a base landmark).
ATTACH_TREE_EPS = 0.5
MEASURE_CHUNK = 65536  # rows per block when hops are measured again in a new geometry


@dataclass
class Attachment:
    """Where rows join the landmark graph: each row's nearest base landmarks (see
    ``attach``). Computed once per dataset, it serves every pass whatever the context.

    rows (Q, k) row ids of the nearest base landmarks, hop (Q, k) float32 distances to them."""

    rows: np.ndarray
    hop: np.ndarray

    def measured_in(self, geometry: np.ndarray) -> "Attachment":
        """The same landmarks, each hop measured in another geometry (N, G') of the rows."""
        hop = np.empty(self.rows.shape, dtype=np.float32)
        for start in range(0, len(self.rows), MEASURE_CHUNK):  # float32, in bounded chunks
            rows = self.rows[start:start + MEASURE_CHUNK]
            own = np.asarray(geometry[start:start + len(rows)], dtype=np.float32)
            step = own[:, None, :] - np.asarray(geometry[rows], dtype=np.float32)
            hop[start:start + len(rows)] = np.sqrt(np.einsum("qkg,qkg->qk", step, step))
        return Attachment(self.rows, hop)

    def chunk(self, start: int, stop: int) -> "Attachment":
        return Attachment(self.rows[start:stop], self.hop[start:stop])

    def select(self, rows: np.ndarray) -> "Attachment":
        return Attachment(self.rows[rows], self.hop[rows])


def attach(query_geometry: np.ndarray, base_geometry: np.ndarray,
           base_rows: np.ndarray) -> Attachment:
    """Each query's ATTACH_NEIGHBOURS nearest base landmarks.

    query_geometry (Q, G), base_geometry (B, G) of rows base_rows (B,) -> Attachment"""
    q = torch.as_tensor(query_geometry, dtype=torch.float32)
    b = torch.as_tensor(base_geometry, dtype=torch.float32)
    # Rank on |b|^2 - 2 q.b (the query's own |q|^2 does not change the order), then measure
    # the k winners exactly.
    squared = (b * b).sum(1)[None, :] - 2 * q @ b.T  # (Q, B)
    k = min(ATTACH_NEIGHBOURS, squared.shape[1])
    nearest = torch.topk(squared, k, dim=1, largest=False).indices  # (Q, k)
    hop = (q[:, None, :] - b[nearest]).norm(dim=-1)
    return Attachment(base_rows[nearest.numpy()], hop.numpy())


def nearest_others(points: np.ndarray, n_neighbours: int,
                   batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Each point's `n_neighbours` nearest other points, in blocks of `batch_size` rows so
    that memory stays O(batch_size * P).

    points (P, G) -> (edge (P, k) float32 distances, neighbours (P, k) positions),
    k = min(n_neighbours, P - 1)"""
    p = torch.as_tensor(np.ascontiguousarray(points), dtype=torch.float32)
    k = min(n_neighbours, len(p) - 1)
    if k < 1:
        return torch.zeros((len(p), 0)), torch.zeros((len(p), 0), dtype=torch.int64)
    norms = (p * p).sum(1)
    edges, neighbours = [], []
    for start in range(0, len(p), batch_size):
        block = p[start:start + batch_size]
        # Rank on |b|^2 - 2 q.b (the query's own |q|^2 does not change the order).
        score = norms[None, :] - 2 * block @ p.T  # (b, P)
        own = torch.arange(len(block))
        score[own, start + own] = float("inf")
        nearest = torch.topk(score, k, dim=1, largest=False).indices
        edges.append((block[:, None, :] - p[nearest]).norm(dim=-1))
        neighbours.append(nearest)
    return torch.cat(edges), torch.cat(neighbours)


def nearest_base_by_tree(query_geometry: np.ndarray, tree: cKDTree, base_rows: np.ndarray,
                         eps: float = 0.0) -> Attachment:
    """``attach`` with a k-d tree over the base landmarks (fast in few dimensions), each
    neighbour within (1 + eps) of the exact search's (0: exact); hops are exact."""
    k = min(ATTACH_NEIGHBOURS, len(base_rows))
    distance, index = tree.query(query_geometry, k, eps=eps, workers=available_cores())
    distance, index = distance.reshape(len(query_geometry), k), index.reshape(-1, k)
    return Attachment(base_rows[index], distance.astype(np.float32))


def nearest_others_by_tree(points: np.ndarray, n_neighbours: int):
    """``nearest_others`` with a k-d tree (exact, but near-ties may be ordered otherwise).

    points (P, G) -> (edge (P, k) float32, neighbours (P, k) int64 positions)"""
    k = min(n_neighbours, len(points) - 1)
    distance, index = cKDTree(points).query(points, k + 1, workers=available_cores())
    own = index == np.arange(len(points))[:, None]
    # Drop each point's own entry (the last one when duplicates pushed it out of the list).
    own[~own.any(1), -1] = True
    keep = ~own
    return (distance[keep].reshape(len(points), k).astype(np.float32),
            index[keep].reshape(len(points), k).astype(np.int64))
