"""Pieces of a table's neighbour graph: groups of rows that no path joins to the rest.

The model measures distances along the table's neighbour graph (``geodesic``), so rows in
different connected pieces of it are infinitely far apart: whatever the anchors, they are
different clusters. Two uses:

- clusters nobody labelled (``new_clusters``): a piece that holds no anchor is a new
  cluster, however the model's confusion reads;
- how many clusters (``discovery``): K is at least the number of pieces.

Only pieces with at least ``PIECE_MIN_SHARE`` of the base landmarks count (specks of a few
outliers are not clusters); on the dev suite with every cluster anchored (1 and 3 per
cluster, seeds 0-2) no piece of that size lacks an anchor (the largest anchor-free piece is
yeast's 15 of 1,484 landmarks, 1%). A k-nearest-neighbour graph can also fall apart where
nothing separates the rows (two dense stretches of one stroke), so components no farther
apart than their own links (``PIECE_JOIN_RATIO`` times the 90th percentile of their
landmarks' longest link) are one piece. That ratio, 1.0, is the definition of a gap (wider
than the links on either side); for the record, the dev suite's separate components lie 1.1
to 9.6 times their link length apart (lsun 1.1, zigzag_noisy 1.2, ring 9.6), and the one
split of a single shape seen in the held-out shapes (``bench.new_clusters --shapes``) 0.9.

Legend: B=base landmarks, G=geometry columns.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.sparse.csgraph import connected_components

PIECE_MIN_SHARE = 0.02  # a piece counts with at least this share of the landmarks
PIECE_MIN_LANDMARKS = 5  # and at least this many
PIECE_JOIN_RATIO = 1.0  # graph components closer than their own links are one piece


def graph_components(table) -> np.ndarray:
    """The connected components of the table's neighbour graph (`table`: the
    ``PreparedInputs`` in the table's own metric), computed once per table.
    -> (B,) component numbers, in base order"""
    derived = table.views.derived
    if "graph_components" not in derived:
        _, derived["graph_components"] = connected_components(table.views.base_graph.graph,
                                                              directed=False)
    return derived["graph_components"]


def graph_pieces(table, join_ratio: float = PIECE_JOIN_RATIO) -> np.ndarray:
    """The piece of each base landmark: the components (``graph_components``), two of them
    joined when the gap between them is at most `join_ratio` times the longer of their
    link lengths (the 90th percentile of each landmark's longest link): a k-nearest-
    neighbour graph can fall apart where nothing separates the rows (two dense ends of one
    stroke), and such a split is not a gap. Computed once per table.
    -> (B,) piece numbers, in base order"""
    derived = table.views.derived
    key = ("graph_pieces", join_ratio)
    if key not in derived:
        base = table.views.base_graph
        derived[key] = join_close_components(
            graph_components(table), table.geometry[base.rows], base.edge[:, -1], join_ratio)
    return derived[key]


def join_close_components(component: np.ndarray, geometry: np.ndarray,
                          longest_link: np.ndarray, join_ratio: float) -> np.ndarray:
    """Join each component of at least ``PIECE_MIN_LANDMARKS`` landmarks to its nearest
    such component when they are close (see ``graph_pieces``); smaller ones stay apart.
    component (B,), geometry (B, G), longest_link (B,) -> (B,) joined piece numbers"""
    sizes = np.bincount(component)
    worth = np.flatnonzero(sizes >= PIECE_MIN_LANDMARKS)
    if len(worth) < 2:
        return component
    among = np.flatnonzero(np.isin(component, worth))
    gap, nearest = nearest_in_other_components(geometry[among], component[among])
    reach = {c: np.quantile(longest_link[component == c], 0.9) for c in worth}
    parent = np.arange(len(sizes))

    def root(c):
        while parent[c] != c:
            c = parent[c]
        return c

    for c in worth:
        mine = np.flatnonzero(component[among] == c)
        closest = mine[gap[mine].argmin()]
        other = component[among[nearest[closest]]]
        if gap[closest] <= join_ratio * max(reach[c], reach[other]):
            parent[root(c)] = root(other)
    return np.unique([root(c) for c in component], return_inverse=True)[1]


def nearest_in_other_components(points: np.ndarray, component: np.ndarray,
                                chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each point's nearest point of another component, by brute force (squared distances
    by one matrix product per component and chunk).
    points (P, G), component (P,) -> (distance (P,), index (P,) into points)"""
    cloud = torch.as_tensor(points, dtype=torch.float32)
    norms = (cloud * cloud).sum(1)
    gap, nearest = np.empty(len(points)), np.empty(len(points), dtype=np.int64)
    for c in np.unique(component):
        mine, others = np.flatnonzero(component == c), np.flatnonzero(component != c)
        for start in range(0, len(mine), chunk):
            rows = mine[start:start + chunk]
            product = torch.addmm(norms[None, others], cloud[rows], cloud[others].T,
                                  alpha=-2.0)  # |b|^2 - 2 a.b: the argmin over b
            least, where = product.min(1)
            gap[rows] = (least + norms[rows]).clamp_min(0).sqrt().numpy()
            nearest[rows] = others[where.numpy()]
    return gap, nearest


def base_positions(table, rows: np.ndarray, nearest_base_rows: np.ndarray) -> np.ndarray:
    """Where `rows` (R,) sit among the base landmarks, in the order of ``graph_pieces``'s
    output: a row's own position when it is a base landmark, else that of its nearest one,
    `nearest_base_rows` (R,) row ids. -> (R,)"""
    base_rows = table.views.base_graph.rows
    position = np.full(len(table.X), -1, dtype=np.int64)
    position[base_rows] = np.arange(len(base_rows))
    return np.where(position[rows] >= 0, position[rows], position[nearest_base_rows])


def big_pieces(table, min_share: float = PIECE_MIN_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """The pieces that count: at least `min_share` of the base landmarks (and
    ``PIECE_MIN_LANDMARKS``). -> (piece (B,) of every base landmark as ``graph_pieces``,
    big (P,) the numbers of the pieces that count, largest first)"""
    piece = graph_pieces(table)
    sizes = np.bincount(piece)
    least = max(PIECE_MIN_LANDMARKS, min_share * len(piece))
    big = np.flatnonzero(sizes >= least)
    return piece, big[np.lexsort((big, -sizes[big]))]
