"""Shortest paths from many sources through a sparse graph, on every core.

Every pass of the model runs one search per context token through the landmark graph
(``geodesic.landmark_paths``): hundreds of sources over thousands of landmarks. On tables
whose clusters touch, each search visits the whole graph, and scipy's ``dijkstra`` (one
source after another, holding the interpreter lock) took 0.62 of the 0.89 s of a
10,000-row re-cluster of touching 2-column blobs (cProfile); on the speed benchmark's
touching blobs (``python -m pfn_core.bench.speed --data touching``, BENCHMARKS.md) this
module made a 10,000-row re-cluster 1.75 times faster (0.92 -> 0.52 s).

Here each search is Dijkstra's algorithm with a 4-ary heap, compiled by numba and cached on
disk after the first call. For 300 sources over 8,300 landmarks on one thread, the 4-ary
heap took 0.23-0.27 s where a binary one took 0.35 s. The sources are split over the cores
in threads that release the lock. The lengths are the same shortest paths scipy finds: the
graph's lengths are float64 and each path is summed edge by edge, as there.

Legend: S=sources, P=nodes, E=stored edges (both directions of a link).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

MIN_SOURCES_PER_THREAD = 8  # fewer than this per core: one thread (starting more costs more)
HEAP_ARITY = 4  # children per heap entry: shallower than a binary heap, fewer moves per pop


def compiled(function):
    """`function` compiled by numba, releasing the interpreter lock, and kept on disk so
    that later processes skip the compilation (about a second); where numba finds no
    writable place for that (a read-only install and home), compiled in each process."""
    try:
        return numba.njit(nogil=True, cache=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)


def search_threads() -> int:
    """Threads for the searches: every core this process may run on, whatever torch's
    count. The studio gives torch half the cores because torch's threads spin while they
    wait for each other, which a busy browser turns into a 2x slower fit
    (``studio.runtime``); the searches are independent chunks that never wait for each
    other, so a busy core costs them at most its own share. In the studio, on a 10,000-row
    table of touching blobs, lasso fits took a median 0.98 s with the searches on both
    cores against 1.36 s on torch's one (5 rounds each, a throwaway script driving
    Chromium)."""
    return available_cores()


def available_cores() -> int:
    """Cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@compiled
def _push(heap_length, heap_node, size, length, node):  # pragma: no cover (compiled)
    """Add (length, node) to the heap of `size` entries: place it last, then let it rise
    above its parents. -> the new size"""
    position = size
    while position > 0:
        parent = (position - 1) // HEAP_ARITY
        if heap_length[parent] <= length:
            break
        heap_length[position] = heap_length[parent]
        heap_node[position] = heap_node[parent]
        position = parent
    heap_length[position] = length
    heap_node[position] = node
    return size + 1


@compiled
def _search(indptr, indices, lengths, seed_node, seed_length, out):  # pragma: no cover
    """Dijkstra from each row of seeds into out (S, P), inf where unreachable: search i
    starts at the nodes seed_node[i] (k,) (-1: none) already at lengths seed_length[i] (k,);
    a plain source is one seed at length 0. indptr (P+1,), indices (E,), lengths (E,): a
    CSR graph with positive lengths. (Compiled, so not seen by coverage.)"""
    n_nodes = indptr.size - 1
    capacity = indices.size + seed_node.shape[1] + 1  # one push per improvement at most
    heap_length = np.empty(capacity, np.float64)
    heap_node = np.empty(capacity, np.int64)
    settled = np.empty(n_nodes, np.bool_)
    for i in range(seed_node.shape[0]):
        distance = out[i]
        for node in range(n_nodes):
            distance[node] = np.inf
            settled[node] = False
        size = 0
        for j in range(seed_node.shape[1]):
            start, length = seed_node[i, j], seed_length[i, j]
            if start < 0 or length >= distance[start]:
                continue
            distance[start] = length
            size = _push(heap_length, heap_node, size, length, start)
        while size > 0:
            nearest, node = heap_length[0], heap_node[0]
            size -= 1
            if size > 0:  # the last entry moves to the root and sinks below its children
                length, moved = heap_length[size], heap_node[size]
                position = 0
                while True:
                    first = HEAP_ARITY * position + 1
                    if first >= size:
                        break
                    least, least_length = first, heap_length[first]
                    for child in range(first + 1, min(first + HEAP_ARITY, size)):
                        if heap_length[child] < least_length:
                            least, least_length = child, heap_length[child]
                    if least_length >= length:
                        break
                    heap_length[position] = least_length
                    heap_node[position] = heap_node[least]
                    position = least
                heap_length[position] = length
                heap_node[position] = moved
            if settled[node]:
                continue  # a stale entry: the node was reached shorter before
            settled[node] = True
            for edge in range(indptr[node], indptr[node + 1]):
                neighbour = indices[edge]
                length = nearest + lengths[edge]
                if length < distance[neighbour]:
                    distance[neighbour] = length
                    size = _push(heap_length, heap_node, size, length, neighbour)


def path_lengths(graph, sources: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Shortest-path lengths from `sources` (S,) to every node of a graph with positive
    edge lengths (scipy sparse, (P, P); an edge u -> v is stored at [u, v]).
    -> (S, P) float64, inf where unreachable. `threads`: default ``search_threads()``."""
    sources = np.asarray(sources, dtype=np.int64).ravel()
    if len(sources) and sources.min() < 0:
        raise ValueError(f"sources must be node numbers in 0..{graph.shape[0] - 1}.")
    return seeded_path_lengths(graph, sources[:, None], np.zeros((len(sources), 1)), threads)


def seeded_path_lengths(graph, seed_nodes: np.ndarray, seed_lengths: np.ndarray,
                        threads: int | None = None) -> np.ndarray:
    """Shortest-path lengths from S points outside the graph that join it at a few nodes:
    point i reaches node seed_nodes[i, j] (-1: no node) in seed_lengths[i, j].
    seed_nodes (S, k) int, seed_lengths (S, k) >= 0 -> (S, P) float64, inf where
    unreachable (``path_lengths`` is the case of one seed at length 0)."""
    graph = graph.tocsr()
    indptr = graph.indptr.astype(np.int64)
    indices = graph.indices.astype(np.int64)
    lengths = graph.data.astype(np.float64)
    seed_nodes = np.atleast_2d(np.asarray(seed_nodes, dtype=np.int64))
    seed_lengths = np.atleast_2d(np.asarray(seed_lengths, dtype=np.float64))
    n_nodes = graph.shape[0]
    if seed_nodes.shape != seed_lengths.shape:
        raise ValueError(f"seed_nodes {seed_nodes.shape} and seed_lengths "
                         f"{seed_lengths.shape} must have the same shape.")
    if seed_nodes.size and (seed_nodes.min() < -1 or seed_nodes.max() >= n_nodes):
        raise ValueError(f"sources must be node numbers in 0..{n_nodes - 1}.")
    if (lengths.size and lengths.min() < 0) or (seed_lengths.size and seed_lengths.min() < 0):
        raise ValueError("edge lengths must not be negative: Dijkstra's search needs them so.")
    n_searches = len(seed_nodes)
    out = np.empty((n_searches, n_nodes), dtype=np.float64)
    threads = search_threads() if threads is None else threads
    threads = max(1, min(threads, n_searches // MIN_SOURCES_PER_THREAD))
    if threads == 1:
        _search(indptr, indices, lengths, seed_nodes, seed_lengths, out)
        return out
    bounds = np.linspace(0, n_searches, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        done = [pool.submit(_search, indptr, indices, lengths, seed_nodes[start:stop],
                            seed_lengths[start:stop], out[start:stop])
                for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]
        for future in done:
            future.result()
    return out
