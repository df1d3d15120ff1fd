import time

import numpy as np

from pfn_core.studio import background_map, projection


def test__needs_background__for_every_real_umap_and_nothing_else():
    assert background_map.needs_background(500, 4, "umap")
    assert not background_map.needs_background(500, 2, "umap")  # falls back to PCA
    assert not background_map.needs_background(projection.UMAP_MIN_ROWS - 1, 4, "umap")
    assert not background_map.needs_background(10**6, 50, "pca")


def test__main__writes_the_map_into_the_cache_and_removes_its_input(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 3))
    source = tmp_path / "x.input.npy"
    np.save(source, X)
    assert background_map.main([str(source), "pca", "0", str(tmp_path)]) == 0
    key = projection.projection_cache_key(X, "pca", None, 0)
    np.testing.assert_allclose(np.load(tmp_path / f"{key}.npy"), projection.project(X, "pca"))
    assert not source.exists()


def test__start__computes_in_another_process_and_reports_done(tmp_path):
    X = np.random.default_rng(1).normal(size=(50, 4))
    key = background_map.start(X, "pca", None, 0, tmp_path)
    status, _, _ = background_map.state(key, tmp_path)
    assert status in ("running", "done")
    deadline = time.monotonic() + 120
    while background_map.state(key, tmp_path)[0] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert background_map.state(key, tmp_path)[0] == "done"
    assert background_map.start(X, "pca", None, 0, tmp_path) == key  # cached: not started again


def test__state__reports_a_failed_run_with_the_last_line_of_its_log(tmp_path):
    X = np.random.default_rng(2).normal(size=(20, 3))
    key = background_map.start(X, "columns", None, 0, tmp_path)  # "columns" needs two indices
    deadline = time.monotonic() + 120
    while background_map.state(key, tmp_path)[0] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    status, detail, _ = background_map.state(key, tmp_path)
    assert status == "failed" and "two column indices" in detail
