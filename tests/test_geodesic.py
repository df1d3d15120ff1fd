import numpy as np
from scipy.sparse.csgraph import dijkstra

from pfn_core.geodesic import MAX_LANDMARKS, base_graph, landmark_paths, neighbour_graph
from pfn_core.nearest_landmarks import (
    attach,
)


def two_arcs(n=60):
    """Two concentric half-circles: close in a straight line across the gap, far along it."""
    t = np.linspace(0, np.pi, n)
    inner = np.c_[np.cos(t), np.sin(t)]
    outer = 1.6 * np.c_[np.cos(t), np.sin(t)]
    return np.concatenate([inner, outer])


def test__path_length_along_a_curve__exceeds_the_straight_line_and_follows_the_arc():
    t = np.linspace(0, np.pi, 100)
    arc = np.c_[np.cos(t), np.sin(t)]
    paths = landmark_paths(arc, np.array([0]), np.arange(100))
    end = paths.from_context[0, list(np.r_[0, np.arange(1, 100)]).index(99)]
    assert abs(end - np.pi) < 0.05  # half the circumference, not the diameter 2


def test__separate_groups__are_unreachable_from_each_other():
    X = np.concatenate([np.random.default_rng(0).normal(0, 0.1, (30, 2)),
                        np.random.default_rng(1).normal(50, 0.1, (30, 2))])
    paths = landmark_paths(X, np.array([0, 30]), np.arange(60))
    straight = np.linalg.norm(X[0] - X[30])
    within = paths.from_context[0, 2:30]  # landmarks 2.. are rows 1..29 except the context
    assert paths.from_context[0, 1] > straight + 100 * within.max()


def test__queries__reach_the_context_through_their_nearest_landmarks():
    X = two_arcs()
    context = np.array([0, 60])  # one end of each arc
    paths = landmark_paths(X, context, np.arange(len(X)))
    far_end_inner = X[59:60]
    straight, along = paths.to_queries(far_end_inner)  # (1, 2) each
    assert straight.shape == along.shape == (1, 2)
    assert along[0, 0] > 2.5  # along the inner arc to its other end (~pi)
    np.testing.assert_allclose(straight[0], np.linalg.norm(X[context] - X[59], axis=1),
                               rtol=1e-4)
    _, at_context = paths.to_queries(X[context])
    np.testing.assert_allclose(at_context, paths.from_context[:, :2], atol=1e-5)


def test__landmarks__are_capped_and_start_with_the_context():
    X = np.random.default_rng(2).normal(size=(MAX_LANDMARKS + 500, 3))
    context = np.array([5, 7, 11])
    paths = landmark_paths(X, context, np.arange(len(X)))
    assert len(paths.landmarks) == MAX_LANDMARKS
    np.testing.assert_array_equal(paths.landmarks[:3], X[context])


def test__attachment__found_once_gives_the_same_distances_as_a_full_search():
    X = np.random.default_rng(3).normal(size=(3000, 3)).astype(np.float32)
    base_rows = np.random.default_rng(4).permutation(3000)
    context = np.array([base_rows[0], 17, 2999])  # one context row is also a base landmark
    paths = landmark_paths(X, context, base_rows)
    queries = X[:500]
    cached = paths.to_queries(queries, attach(queries, X[base_rows[:MAX_LANDMARKS]],
                                              base_rows[:MAX_LANDMARKS]))
    # Brute force: the 3 nearest of all landmarks, then the shortest way on to each token.
    direct = np.linalg.norm(queries[:, None] - paths.landmarks[None], axis=-1)  # (Q, L)
    nearest = np.argsort(direct, axis=1)[:, :3]
    hop = np.take_along_axis(direct, nearest, 1)
    along = (hop[:, :, None] + paths.from_context.T[nearest]).min(1)
    np.testing.assert_allclose(cached[0], direct[:, :3], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(cached[1], along, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(paths.to_queries(queries)[1], cached[1], rtol=1e-6)


def test__landmark_paths__follow_the_base_graph_and_newcomers_join_it_as_leaves():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3)).astype(np.float32)
    base_rows = rng.permutation(400)[:300]
    # context: some rows that are base landmarks, some that are not (newcomers)
    newcomer_rows = np.setdiff1d(np.arange(400), base_rows)[:7]
    context = np.concatenate([base_rows[[3, 50, 120]], newcomer_rows])
    cached = landmark_paths(X, context, base_rows, base=base_graph(X, base_rows))
    fresh = landmark_paths(X, context, base_rows)
    np.testing.assert_array_equal(cached.rows, fresh.rows)
    np.testing.assert_array_equal(cached.from_context, fresh.from_context)
    # brute force: Dijkstra on the base landmarks' k-nearest-neighbour graph built from
    # scratch; a newcomer reaches it through its k nearest base landmarks, and is reached so
    graph, _ = neighbour_graph(X[base_rows])
    within = dijkstra(graph, directed=False)  # (B, B)
    hop = np.linalg.norm(X[newcomer_rows][:, None] - X[base_rows][None], axis=-1)  # (C, B)
    joins = np.argsort(hop, axis=1)[:, :8]
    from_newcomer = np.stack([(hop[c, joins[c]][:, None] + within[joins[c]]).min(0)
                              for c in range(len(newcomer_rows))])  # (C, B)
    from_token = np.concatenate([within[[3, 50, 120]], from_newcomer])  # (M, B)
    at = {int(r): j for j, r in enumerate(cached.rows)}
    to_base = cached.from_context[:, [at[int(r)] for r in base_rows]]
    np.testing.assert_allclose(to_base, from_token, rtol=1e-4, atol=1e-4)
    to_newcomer = np.stack([(from_token[:, joins[c]] + hop[c, joins[c]]).min(1)
                            for c in range(len(newcomer_rows))], axis=1)  # (M, C)
    np.fill_diagonal(to_newcomer[3:], 0.0)
    np.testing.assert_allclose(cached.from_context[:, 3:10], to_newcomer, rtol=1e-4,
                               atol=1e-4)


def _by_row(paths):
    """{(context row, landmark row): length} of a LandmarkPaths."""
    context_rows = paths.rows[:paths.from_context.shape[0]]
    return {(int(c), int(r)): float(paths.from_context[i, j])
            for i, c in enumerate(context_rows) for j, r in enumerate(paths.rows)}


def test__landmark_paths__a_context_of_base_rows_sees_the_base_graph_whatever_the_context():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 2)).astype(np.float32)
    base_rows = rng.permutation(300)
    alone = landmark_paths(X, np.array([base_rows[4]]), base_rows)
    crowded = landmark_paths(X, base_rows[[4, 9, 70, 200]], base_rows)
    alone_by_row, crowded_by_row = _by_row(alone), _by_row(crowded)
    assert all(crowded_by_row[key] == length for key, length in alone_by_row.items())


def test__landmark_paths__kept_paths_give_the_same_lengths_to_the_bit(monkeypatch):
    import pfn_core.geodesic as geodesic

    rng = np.random.default_rng(9)
    X = np.concatenate([rng.normal(0, 1, (150, 3)), rng.normal(30, 1, (150, 3))])
    base_rows = rng.permutation(300)
    monkeypatch.setattr(geodesic, "KNOWN_PATH_ROWS", 6)  # forgetting happens too (6 slots)
    base = base_graph(X, base_rows)
    for context in (base_rows[[1, 2, 3, 160]], base_rows[[3, 160, 7, 8, 9, 10, 11]],
                    base_rows[[1, 2, 3]]):
        kept = landmark_paths(X, context, base_rows, base=base)
        fresh = landmark_paths(X, context, base_rows)  # a new base graph: nothing kept
        np.testing.assert_array_equal(kept.from_context, fresh.from_context)
        assert len(base.known_paths) <= 6
    # The oldest rows not in the context give their slots up: the second context keeps
    # 3, 160, 7, 8, 9, 10 (1 and 2 went; 11 found no slot that it does not read), the third
    # brings 1 and 2 back in the places of 160 and 7.
    assert set(base.known_paths) == {3, 8, 9, 10, 1, 2}  # kept by base position
    monkeypatch.setattr(geodesic, "KNOWN_PATH_ROWS", 2)  # a context larger than the slots
    small = base_graph(X, base_rows)
    context = base_rows[[20, 21, 22, 23, 170]]
    for _ in range(2):
        np.testing.assert_array_equal(
            landmark_paths(X, context, base_rows, base=small).from_context,
            landmark_paths(X, context, base_rows).from_context)
    assert len(small.known_paths) == 2


def test__a_pass_on_a_kept_base_graph__searches_with_the_tables_kept_tree():
    rng = np.random.default_rng(0)
    geometry = rng.normal(size=(300, 3)).astype(np.float32)
    rows = np.arange(300)
    base = base_graph(geometry, rows)
    kept = base.tree_over(geometry[rows])
    assert base.tree_over(geometry[rows]) is kept  # built once
    shared = landmark_paths(geometry, np.array([5, 7]), rows, base)
    own = landmark_paths(geometry, np.array([5, 7]), rows)  # no graph handed over
    assert shared._base_tree is kept and own._base_tree is not kept
    queries = rng.normal(size=(50, 3)).astype(np.float32)
    np.testing.assert_array_equal(shared.nearest_base(queries).rows,
                                  own.nearest_base(queries).rows)
    elsewhere = landmark_paths(geometry, np.array([5, 7]), rows[::-1], base)  # other order
    assert elsewhere._base_tree is not kept
