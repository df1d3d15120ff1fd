"""Distances along the data: shortest paths through a neighbour graph of landmark points.

Euclidean distance cannot tell two points on neighbouring arms of a spiral from two points
on the same arm; the length of the shortest path that hops between close data points can.
The model's attention reads both (see ``model.DistanceBiasedAttention``).

Cost stays linear in the number of rows N: the graph links up to MAX_LANDMARKS base rows
picked by content (the base landmarks) to their nearest others, paths run from the M context
tokens through that graph, and every other row joins it through its few nearest landmarks.
The graph and each row's nearest base landmarks do not depend on the context, so they are
found once per table (``base_graph``; the searches are ``nearest_landmarks``'s), and so are
the paths of a base row, kept on the graph for every later pass that holds it
(``BaseGraph.paths_from``). A context token that is not a base row joins the graph as a
leaf (``landmark_paths``).

Legend: N=rows, L=landmarks, B=base landmarks, M=context tokens (sources), Q=query rows,
G=geometry columns.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from pfn_core.nearest_landmarks import (
    ATTACH_NEIGHBOURS,
    KD_TREE_MAX_DIM,
    Attachment,
    attach,
    nearest_base_by_tree,
    nearest_others,
    nearest_others_by_tree,
)
from pfn_core.path_search import path_lengths, seeded_path_lengths

GRAPH_NEIGHBOURS = 8  # each landmark links to its 8 nearest landmarks (and they back to it)
MAX_LANDMARKS = 8192  # every row up to 8,192 (MNIST's 10,000 rows: 0.56 -> 0.60 ARI at 10 anchors
# per class over 2,048); the base graph among them is computed once per table (``base_graph``)
# Base graphs of more landmarks than this (tables longer than 4,096 rows) are searched with a
# k-d tree in as few dimensions: 8,192 landmarks took 0.3-0.5 s with the blocked search (the
# largest part of a first fit of 10,000 rows), a few hundredths with the tree.
TREE_GRAPH_MIN_LANDMARKS = 4096
KNOWN_PATH_ROWS = 1024  # rows whose paths a base graph keeps (32 MB at 8,192 landmarks)
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

    The landmarks are the M context tokens followed by the base landmarks that are not
    context tokens. landmarks (L, G) their geometry, rows (L,) their row ids, from_context
    (M, L) float32 path lengths, finite: an unreachable pair holds a large multiple of the
    graph's longest edge, plus its straight-line distance unless that multiple alone is
    beyond the length the attention reads (``landmark_paths(read_up_to=)``),
    base_rows (B,) and base_geometry (B, G): the base landmarks, fixed for a dataset;
    kept_tree: a k-d tree over base_geometry if one is kept for the table
    (``BaseGraph.tree_over``), else built here when first needed."""

    landmarks: np.ndarray
    rows: np.ndarray
    from_context: np.ndarray
    base_rows: np.ndarray
    base_geometry: np.ndarray
    kept_tree: cKDTree | None = field(default=None, repr=False, compare=False)

    def to_queries(self, query_geometry: np.ndarray,
                   attachment: Attachment | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Straight-line and path distances from each query to each context token; the path
        enters the graph at the query's nearest landmarks, found among the context tokens
        and the query's nearest base landmarks (`attachment`, computed here if None).

        (Q, G) -> (straight (Q, M), along (Q, M)), float32"""
        n_context = self.from_context.shape[0]
        if attachment is None:
            attachment = self.nearest_base(query_geometry)
        straight = _pairwise(query_geometry, self.landmarks[:n_context])  # (Q, M)
        position = self._positions(attachment.rows)  # (Q, k) landmark positions
        base_hop = torch.from_numpy(attachment.hop).clone()
        base_hop[torch.from_numpy(position < n_context)] = float("inf")  # already a context token
        candidates = torch.cat([straight, base_hop], dim=1)  # (Q, M + k)
        k = min(ATTACH_NEIGHBOURS, len(self.rows))
        hop, pick = torch.topk(candidates, k, dim=1, largest=False)  # (Q, k)
        context_position = torch.arange(n_context).expand(len(position), n_context)
        nearest = torch.gather(torch.cat([context_position, torch.from_numpy(position)], 1),
                               1, pick)
        via = self._by_landmark[nearest]  # (Q, k, M)
        return straight.numpy(), (hop[:, :, None] + via).amin(dim=1).numpy()

    def nearest_base(self, query_geometry: np.ndarray, eps: float = 0.0) -> Attachment:
        """Each query's nearest base landmarks (Q, G): exactly (context tokens), or with the
        k-d tree's approximation `eps` as ``attach_rows`` finds a table's rows (new rows
        scored by ``predict``: ``ATTACH_TREE_EPS``); in many dimensions always exactly."""
        if self._base_tree is None:
            return attach(query_geometry, self.base_geometry, self.base_rows)
        return nearest_base_by_tree(query_geometry, self._base_tree, self.base_rows, eps)

    @functools.cached_property
    def _base_tree(self) -> cKDTree | None:
        """A k-d tree over the base landmarks in few dimensions (as ``attach_rows`` uses):
        the table's kept one when there is one (a pass built its own before, 2-3 ms)."""
        if self.base_geometry.shape[1] > KD_TREE_MAX_DIM or len(self.base_rows) == 0:
            return None
        return self.kept_tree if self.kept_tree is not None else cKDTree(self.base_geometry)

    @functools.cached_property
    def _by_landmark(self) -> torch.Tensor:
        """from_context transposed, contiguous (L, M): each landmark's lengths to every token
        in one row (gathering rows of the strided transpose took three times as long)."""
        return torch.from_numpy(self.from_context).T.contiguous()

    @functools.cached_property
    def _sorted_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(landmark positions sorted by row id (L,), those row ids (L,)), sorted once."""
        order = np.argsort(self.rows, kind="stable")
        return order, self.rows[order]

    def _positions(self, rows: np.ndarray) -> np.ndarray:
        """Landmark position of each row id in `rows` (every one must be a landmark)."""
        order, sorted_rows = self._sorted_rows
        return order[np.searchsorted(sorted_rows, rows)]


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
    return links_graph(edge.numpy(), neighbours.numpy()), distances


def links_graph(edge: np.ndarray, neighbours: np.ndarray) -> csr_matrix:
    """The symmetric graph of each point's links: point p to neighbours[p, j] at length
    edge[p, j]; an edge if either end chose the other, lengths at least 1e-9 (0 means "no
    edge" in a sparse matrix). edge (P, k), neighbours (P, k) -> CSR (P, P) float64"""
    n, k = neighbours.shape
    weights = np.maximum(edge.ravel().astype(np.float64), 1e-9)
    graph = csr_matrix((weights, (np.repeat(np.arange(n), k), neighbours.ravel())),
                       shape=(n, n))
    return graph.maximum(graph.T)


def shortest_paths(graph, sources: np.ndarray) -> np.ndarray:
    """Path lengths from `sources` (S,) to every node of a symmetric graph -> (S, P), inf
    where unreachable (``path_search``: Dijkstra on every core)."""
    return path_lengths(graph, sources)


@dataclass
class BaseGraph:
    """Each base landmark's nearest other base landmarks. The base landmarks do not depend on
    the context, so this is computed once per table (``base_graph``); it is the graph of
    every pass (``landmark_paths``), and it keeps the paths of the rows searched so far.

    rows (B,) base row ids, neighbours (B, k) positions in `rows`, edge (B, k) float32
    lengths, k = min(GRAPH_NEIGHBOURS, B - 1)."""

    rows: np.ndarray
    neighbours: np.ndarray
    edge: np.ndarray
    known_paths: dict = field(default_factory=dict, repr=False, compare=False)
    _tree: cKDTree | None = field(default=None, repr=False, compare=False)
    _kept: np.ndarray | None = field(default=None, repr=False, compare=False)
    _free: list = field(default_factory=list, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @functools.cached_property
    def graph(self) -> csr_matrix:
        """The base graph as a symmetric CSR matrix in base order (B, B) (``links_graph``)."""
        return links_graph(self.edge, self.neighbours)

    def tree_over(self, points: np.ndarray) -> cKDTree:
        """A k-d tree over the base landmarks at `points` (B, G), their geometry in the
        metric this graph's lengths are measured in; built at the first call and kept, so
        the table's row attachment and every pass share it (``TableViews.base_tree``)."""
        if self._tree is None:
            self._tree = cKDTree(points)
        return self._tree

    def paths_from(self, sources: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
        """Path lengths through the base graph from base landmarks `sources` (S,)
        (positions in `rows`) to every base landmark, in base order or, given `order` (L,)
        base positions, to base landmark order[j] in column j -> (S, B) or (S, L) float32,
        inf where unreachable.

        Each source's lengths are kept (float32, for up to KNOWN_PATH_ROWS sources:
        ``known_paths`` maps a source to its slot; the oldest source not asked for now
        gives its slot up first), so a source searched in one pass is not searched again:
        the refining and final passes of a fit share the user's anchors with the discovery
        pass, and re-clusters in the table's own metric share them all. Float32 is the
        precision a pass keeps anyway, so a kept source gives the same lengths to the bit."""
        sources = np.asarray(sources, dtype=np.int64)
        width = len(self.rows) if order is None else len(order)
        out = np.empty((len(sources), width), dtype=np.float32)
        with self._lock:  # the studio fits in several threads; copies are made under it
            if self._kept is None:
                self._kept = np.empty((KNOWN_PATH_ROWS, len(self.rows)), dtype=np.float32)
                self._free = list(range(KNOWN_PATH_ROWS))[::-1]
            slots = np.array([self.known_paths.get(s, -1) for s in sources.tolist()],
                             dtype=np.int64)
            hit = np.flatnonzero(slots >= 0)
            kept = self._kept.take(slots[hit], axis=0)  # np.take: a few times np.ix_'s speed
            out[hit] = kept if order is None else kept.take(order, axis=1)
        missing = np.flatnonzero(slots < 0)
        if len(missing):
            found = shortest_paths(self.graph, sources[missing]).astype(np.float32)
            out[missing] = found if order is None else found.take(order, axis=1)
            self._keep(sources[missing], found, sources)
        return out

    def _keep(self, rows: np.ndarray, lengths: np.ndarray, in_use: np.ndarray) -> None:
        """Keep `lengths` (R, B) of `rows` (R,), freeing the slots of the oldest rows that
        are not in `in_use` (the context being scored) when none is free."""
        with self._lock:
            needed = set(in_use.tolist())
            known = self.known_paths
            for row, row_lengths in zip(rows.tolist(), lengths, strict=True):
                if row in known:
                    continue
                if not self._free:
                    oldest = next((r for r in known if r not in needed), None)
                    if oldest is None:
                        return  # every slot holds a row of this context
                    self._free.append(known.pop(oldest))
                slot = self._free.pop()
                self._kept[slot] = row_lengths
                known[row] = slot

    def measured_in(self, geometry: np.ndarray) -> BaseGraph:
        """The same links, their lengths measured in another geometry (N, G') of the rows."""
        points = geometry[self.rows]
        edge = np.linalg.norm(points[:, None, :] - points[self.neighbours], axis=-1)
        return BaseGraph(self.rows, self.neighbours, edge.astype(np.float32))

    def own_attachment(self) -> Attachment | None:
        """Where the base landmarks themselves join the graph (as ``attach`` would find it:
        each is its own nearest landmark, at distance 0, then its nearest neighbours), or
        None when the graph keeps too few neighbours. -> Attachment (B, k)"""
        k = min(ATTACH_NEIGHBOURS, len(self.rows))
        if self.neighbours.shape[1] < k - 1:
            return None
        rows = np.concatenate([self.rows[:, None], self.rows[self.neighbours[:, :k - 1]]], 1)
        hop = np.concatenate([np.zeros((len(self.rows), 1), np.float32),
                              self.edge[:, :k - 1].astype(np.float32)], 1)
        return Attachment(rows, hop)


def base_graph(geometry: np.ndarray, base_rows: np.ndarray) -> BaseGraph:
    """The base landmarks' GRAPH_NEIGHBOURS nearest other base landmarks.

    geometry (N, G), base_rows (B,) -> BaseGraph"""
    base_rows = np.asarray(base_rows, dtype=np.int64)
    points = geometry[base_rows]
    if len(base_rows) > TREE_GRAPH_MIN_LANDMARKS and points.shape[1] <= KD_TREE_MAX_DIM:
        edge, neighbours = nearest_others_by_tree(points, GRAPH_NEIGHBOURS)
        return BaseGraph(base_rows, neighbours, edge)
    edge, neighbours = nearest_others(points, GRAPH_NEIGHBOURS)
    return BaseGraph(base_rows, neighbours.numpy(), edge.numpy())


def landmark_paths(geometry: np.ndarray, context_index: np.ndarray,
                   extra_landmarks: np.ndarray, base: BaseGraph | None = None,
                   read_up_to: float | None = None) -> LandmarkPaths:
    """Shortest paths from the context tokens to every landmark through the base graph.

    geometry (N, G); context_index (M,) distinct rows of the context (they are the first
    landmarks); extra_landmarks (R,) further rows in order of preference: the first
    MAX_LANDMARKS are the base landmarks, the same whatever the context (rows already in the
    context are not repeated); base: their ``base_graph``, if already computed
    -> LandmarkPaths

    The graph is the base graph: each base landmark linked to its GRAPH_NEIGHBOURS nearest
    base landmarks (and they back to it), the same whatever the context, so a token that is
    a base row has the paths of its row, kept on the base graph (``BaseGraph.paths_from``)
    for every later pass that holds it. A token that is not a base row (a *newcomer*, only
    on tables longer than MAX_LANDMARKS) joins the graph at its GRAPH_NEIGHBOURS nearest
    base landmarks, as a leaf: paths start or end there, never pass through it, so
    newcomers leave every other token's paths as they are. A pass costs O(M * B)
    distances for the newcomers and one search per token not seen before."""
    base_rows = np.asarray(extra_landmarks[:MAX_LANDMARKS], dtype=np.int64)
    context_index = np.asarray(context_index, dtype=np.int64)
    in_context = np.isin(base_rows, context_index)
    extra = base_rows[~in_context]
    landmark_rows = np.concatenate([context_index, extra])
    points = geometry[landmark_rows]
    base_geometry = geometry[base_rows]
    n_context = len(context_index)
    if len(points) < 2 or len(base_rows) < 2:
        return LandmarkPaths(points, landmark_rows,
                             np.zeros((n_context, len(points)), np.float32),
                             base_rows, base_geometry)
    given_base = base is not None
    if base is None:
        base = base_graph(geometry, base_rows)
    position = np.empty(len(base_rows), dtype=np.int64)  # each base row's landmark position
    position[~in_context] = n_context + np.arange(len(extra))
    by_row = np.argsort(context_index, kind="stable")
    position[in_context] = by_row[np.searchsorted(context_index[by_row], base_rows[in_context])]
    tokens = position[in_context]  # the context positions of the base-row tokens
    base_index = np.empty(n_context, dtype=np.int64)  # each base-row token's base position
    base_index[tokens] = np.flatnonzero(in_context)
    newcomers = np.setdiff1d(np.arange(n_context), tokens)
    column = np.empty(len(points), dtype=np.int64)  # each landmark's base position
    column[position] = np.arange(len(base_rows))
    longest = float(base.edge.max())
    if not len(newcomers):
        paths = base.paths_from(base_index, column)  # (M, L) in landmark order
    else:
        in_base = np.empty((n_context, len(base_rows)), dtype=np.float32)  # (M, B)
        in_base[tokens] = base.paths_from(base_index[tokens])
        k = min(GRAPH_NEIGHBOURS, len(base_rows))
        join_length, join_at = torch.topk(_pairwise(points[newcomers], base_geometry), k,
                                          dim=1, largest=False)
        join_length = np.maximum(join_length.numpy(), np.float32(1e-9))  # (C, k)
        join_at = join_at.numpy()  # (C, k) base positions
        in_base[newcomers] = seeded_path_lengths(base.graph, join_at, join_length)
        # To a newcomer: to where it joins, then the last link (float32, as kept).
        to_newcomers = (in_base[:, join_at] + join_length[None]).min(axis=2)  # (M, C)
        to_newcomers[newcomers, np.arange(len(newcomers))] = 0.0
        column[newcomers] = len(base_rows) + np.arange(len(newcomers))
        paths = np.concatenate([in_base, to_newcomers], axis=1).take(column, axis=1)
        longest = max(longest, float(join_length.max()))
    unreachable = np.isinf(paths)
    hit = np.flatnonzero(unreachable.any(1))  # tokens with landmarks in other parts
    detour = UNREACHABLE * max(longest, 1e-9)
    if len(hit) and read_up_to is not None and detour >= 2.0 * read_up_to:
        # Across parts every length reads as the farthest anyway: the detour alone, with no
        # straight line to measure (on separated clusters, a tenth of a pass's time).
        paths[unreachable] = np.float32(detour)
    elif len(hit):  # across parts: the straight line plus a detour, summed in float64
        fill = (_pairwise(points[hit], points).double() + detour).float()
        paths[hit] = torch.where(torch.from_numpy(unreachable[hit]), fill,
                                 torch.from_numpy(paths[hit])).numpy()
    # Float32: the precision every query chunk reads it in.
    # The table's kept tree, where the caller handed over its graph over these very rows.
    kept_tree = (base.tree_over(base_geometry) if given_base
                 and base_geometry.shape[1] <= KD_TREE_MAX_DIM
                 and np.array_equal(base.rows, base_rows) else None)
    return LandmarkPaths(points, landmark_rows, paths, base_rows, base_geometry, kept_tree)
