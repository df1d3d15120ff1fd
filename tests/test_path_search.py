import numpy as np
import pytest
from scipy.sparse import csr_matrix, lil_matrix
from scipy.sparse.csgraph import dijkstra

from pfn_core.geodesic import neighbour_graph
from pfn_core.path_search import path_lengths, seeded_path_lengths


def _two_clouds(n=300, seed=0):
    """A symmetric k-NN graph of two far apart clouds: two components."""
    rng = np.random.default_rng(seed)
    points = np.concatenate([rng.normal(0, 1, (n, 3)), rng.normal(50, 1, (n, 3))])
    graph, _ = neighbour_graph(points.astype(np.float32))
    return graph


def test_lengths_equal_scipy_dijkstra_with_unreachable_nodes():
    graph = _two_clouds()
    sources = np.array([0, 5, 299, 300, 599])
    expected = dijkstra(graph, directed=True, indices=sources)
    found = path_lengths(graph, sources)
    assert np.isinf(found[0, 300:]).all() and np.isinf(found[3, :300]).all()
    np.testing.assert_array_equal(found, expected)


def test_thread_count_does_not_change_the_result():
    graph = _two_clouds(seed=1)
    sources = np.arange(0, 600, 7)
    one = path_lengths(graph, sources, threads=1)
    np.testing.assert_array_equal(path_lengths(graph, sources, threads=2), one)
    np.testing.assert_array_equal(path_lengths(graph, sources, threads=5), one)


def test_directed_edges_are_followed_one_way():
    # 0 -> 1 costs 1, 1 -> 2 costs 2, and 2 -> 0 costs 10: from 2, node 1 is 11 away.
    graph = csr_matrix((np.array([1.0, 2.0, 10.0]), (np.array([0, 1, 2]), np.array([1, 2, 0]))),
                       shape=(3, 3))
    np.testing.assert_array_equal(path_lengths(graph, [0, 2]), [[0, 1, 3], [10, 11, 0]])


def test_no_sources_gives_an_empty_result():
    assert path_lengths(_two_clouds(n=20), np.zeros(0, dtype=int)).shape == (0, 40)


def test_a_source_outside_the_graph_is_refused():
    with pytest.raises(ValueError, match="node numbers"):
        path_lengths(_two_clouds(n=20), [40])


def test_searches_use_every_core_whatever_torch_uses(monkeypatch):
    import torch

    import pfn_core.path_search as path_search

    monkeypatch.setattr(path_search, "available_cores", lambda: 4)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert path_search.search_threads() == 4


def test_a_function_numba_cannot_cache_is_still_compiled():
    from pfn_core.path_search import compiled

    namespace = {}
    exec("def add_one(x):\n    return x + 1\n", namespace)  # no file: nowhere to cache it
    assert compiled(namespace["add_one"])(41) == 42


def test_a_negative_length_is_refused():
    graph = csr_matrix((np.array([1.0, -2.0]), (np.array([0, 1]), np.array([1, 0]))),
                       shape=(2, 2))
    with pytest.raises(ValueError, match="negative"):
        path_lengths(graph, [0])


def test__seeded_search__is_a_search_from_a_point_joined_to_its_seeds():
    graph = _two_clouds(60, seed=4)
    seeds = np.array([[3, 50, -1], [7, 7, 9]])  # -1: no seed; a repeated seed counts once
    lengths = np.array([[0.5, 0.2, 0.0], [1.0, 0.3, 2.0]])
    found = seeded_path_lengths(graph, seeds, lengths, threads=2)
    for i in range(len(seeds)):
        joined = lil_matrix((121, 121))
        joined[:120, :120] = graph
        for node, length in zip(seeds[i], lengths[i], strict=True):
            if node >= 0:
                joined[120, node] = length if joined[120, node] == 0 else min(
                    joined[120, node], length)
        expected = dijkstra(joined.tocsr(), directed=True, indices=120)[:120]
        np.testing.assert_allclose(found[i], expected, rtol=1e-12)


def test__seeded_search__refuses_negative_join_lengths_and_mismatched_shapes():
    graph = _two_clouds(10)
    with pytest.raises(ValueError, match="negative"):
        seeded_path_lengths(graph, np.array([[1]]), np.array([[-0.1]]))
    with pytest.raises(ValueError, match="same shape"):
        seeded_path_lengths(graph, np.array([[1, 2]]), np.array([[0.1]]))
