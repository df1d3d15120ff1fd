from unittest.mock import patch

import numpy as np

from pfn_core import PFNClusterer
from pfn_core.geodesic import MAX_LANDMARKS, base_graph
from pfn_core.table_views import (
    CACHED_TABLES,
    clear_table_views,
    column_scaling,
    content_key,
    table_views,
)


def _table(seed=0, rows=60):
    return np.random.default_rng(seed).normal(size=(rows, 3))


def test__table_views__are_computed_once_per_table_and_settings():
    X = _table()
    first = table_views(X, 16, True)
    assert table_views(X.copy(), 16, True) is first
    assert table_views(X, 16, False) is not first
    assert table_views(X[::-1], 16, True) is not first


def test__table_views__keep_their_own_copy_of_the_values():
    X = _table(1)
    views = table_views(X, 16, True)
    X[0, 0] = 1e6
    assert views.X[0, 0] != 1e6
    assert table_views(X, 16, True) is not views


def test__table_views__keep_only_the_last_few_tables():
    first = table_views(_table(2), 16, True)
    for seed in range(3, 3 + CACHED_TABLES):
        table_views(_table(seed), 16, True)
    assert table_views(_table(2), 16, True) is not first


def test__fit__gives_the_same_result_from_cached_and_fresh_views():
    X = _table(9, 120)
    X[:60] += 5.0
    y = np.full(120, -1)
    y[[0, 1, 60, 61]] = [0, 0, 1, 1]
    cached = PFNClusterer().fit(X, y)
    again = PFNClusterer().fit(X, y)  # served from the cache
    clear_table_views()
    fresh = PFNClusterer().fit(X, y)
    np.testing.assert_array_equal(again.proba_, cached.proba_)
    np.testing.assert_allclose(fresh.proba_, cached.proba_, rtol=0, atol=1e-12)


def test__table_views__serve_concurrent_fits_from_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    tables = [_table(seed, 40) for seed in range(20, 20 + 3 * CACHED_TABLES)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        views = list(pool.map(lambda X: table_views(X, 16, True), tables * 3))
    for X, view in zip(tables * 3, views, strict=True):
        np.testing.assert_array_equal(view.X, X)


def test__in_metric__on_a_short_table_searches_the_landmark_links_again():
    views = table_views(_table(3), 16, True)
    stretch = np.diag(np.arange(1.0, views.geometry.shape[1] + 1))
    seen = views.in_metric(stretch, 16)
    fresh = base_graph(seen.geometry, seen.content_order[:MAX_LANDMARKS])
    np.testing.assert_array_equal(seen.base_graph.neighbours, fresh.neighbours)


def test__in_metric__on_a_long_table_keeps_its_links_and_measures_them_again():
    X = _table(3)
    views = table_views(X, 16, True)
    stretch = np.diag(np.arange(1.0, views.geometry.shape[1] + 1))
    with patch("pfn_core.table_views.RELINK_LANDMARKS", 10):
        seen = views.in_metric(stretch, 16)
    assert seen.content_order is views.content_order
    np.testing.assert_array_equal(seen.base_graph.neighbours, views.base_graph.neighbours)
    np.testing.assert_array_equal(seen.attachment.rows, views.attachment.rows)
    rows, first = seen.base_graph.rows, seen.base_graph.neighbours[:, 0]
    np.testing.assert_allclose(
        seen.base_graph.edge[:, 0],
        np.linalg.norm(seen.geometry[rows] - seen.geometry[rows[first]], axis=1), rtol=1e-5)
    np.testing.assert_allclose(
        seen.attachment.hop[:, 1],
        np.linalg.norm(seen.geometry - seen.geometry[seen.attachment.rows[:, 1]], axis=1),
        rtol=1e-5)


def test__table_views__keep_only_what_fits_their_byte_budget_and_always_the_newest(
        monkeypatch):
    import pfn_core.table_views as table_views_module

    clear_table_views()
    one = table_views_module.views_bytes(60, 3, 16, 3)
    monkeypatch.setattr(table_views_module, "CACHED_BYTES", 2 * one)  # room for two tables
    first = table_views(_table(20), 16, True)
    second = table_views(_table(21), 16, True)
    table_views(_table(22), 16, True)
    assert table_views(_table(21), 16, True) is second  # the two newest stay
    assert table_views(_table(20), 16, True) is not first  # the oldest went
    monkeypatch.setattr(table_views_module, "CACHED_BYTES", 1)  # no room at all
    newest = table_views(_table(23), 16, True)
    assert table_views(_table(23), 16, True) is newest  # the newest is always kept


def test__copy_of__groups_identical_rows_even_where_round_values_share_hash_keys():
    from pfn_core.table_views import TableViews

    rng = np.random.default_rng(0)
    X = rng.integers(1, 6, (3000, 6)).astype(np.float64)  # ratings: many copies, many keys shared
    X[5] = np.nan  # a row with a gap is nobody's copy
    views = TableViews(X, X.astype(np.float32), X.astype(np.float32))
    copy_of = views.copy_of
    assert len(np.unique(copy_of)) == len(np.unique(X[np.isfinite(X).all(1)], axis=0)) + 1
    np.testing.assert_array_equal(X[copy_of][np.arange(3000) != 5],
                                  X[np.arange(3000) != 5])
    rank = views.content_rank
    assert (rank[copy_of] <= rank).all()  # the first copy in content order
    continuous = TableViews(rng.normal(size=(50, 2)), np.zeros((50, 2), np.float32),
                            np.zeros((50, 2), np.float32))
    np.testing.assert_array_equal(continuous.copy_of, np.arange(50))


def test__auto_scaling__is_resolved_once_per_table(monkeypatch):
    import pfn_core.table_views as table_views_module

    calls = []
    resolve = table_views_module.resolve_column_scaling

    def counted(X, scale_columns):
        calls.append(scale_columns)
        return resolve(X, scale_columns)

    monkeypatch.setattr(table_views_module, "resolve_column_scaling", counted)
    clear_table_views()
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(300, 4))
    X = np.linalg.qr(raw - raw.mean(0))[0] * [1.0, 2.0, 3.0, 4.0]  # uncorrelated, unequal
    key = content_key(X)
    assert column_scaling(X, "auto", key) is False and column_scaling(X, "auto", key) is False
    assert calls == ["auto"]
    assert column_scaling(X, True, key) is True  # a bool is no question: passed through
    other = X + 1.0
    assert column_scaling(other, "auto", content_key(other)) is False
    assert calls == ["auto", True, "auto"]
    clear_table_views()
    column_scaling(X, "auto", key)
    assert calls[-1] == "auto" and len(calls) == 4
