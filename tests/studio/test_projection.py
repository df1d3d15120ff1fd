import numpy as np
import pytest

from pfn_core.studio import projection
from pfn_core.studio.projection import project, projection_cache_key


@pytest.fixture(autouse=True)
def empty_memory_cache():
    projection.clear_memory_cache()
    yield
    projection.clear_memory_cache()


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(30, 4))


def test__project__pca_gives_float32_n_by_2(X):
    Y = project(X, "pca")
    assert Y.shape == (30, 2) and Y.dtype == np.float32
    assert Y[:, 0].var() >= Y[:, 1].var()


def test__project__pca_pads_a_single_column_with_zeros():
    Y = project(np.arange(5.0)[:, None], "pca")
    assert Y.shape == (5, 2)
    np.testing.assert_array_equal(Y[:, 1], 0.0)


def test__project__columns_picks_two_columns_and_fills_nan_with_the_median(X):
    X = X.copy()
    X[0, 3] = np.nan
    Y = project(X, "columns", columns=(3, 1))
    np.testing.assert_allclose(Y[1:], X[1:, [3, 1]].astype(np.float32))
    assert Y[0, 0] == np.float32(np.nanmedian(X[:, 3]))


def test__project__columns_needs_valid_indices(X):
    with pytest.raises(ValueError, match="needs two column indices"):
        project(X, "columns")
    with pytest.raises(
        ValueError, match=r"column indices \[9\] are out of range; X has columns 0..3"
    ):
        project(X, "columns", columns=(0, 9))


def test__project__refuses_an_unknown_method(X):
    with pytest.raises(ValueError, match="unknown projection 'tsne'"):
        project(X, "tsne")


def test__projection_cache_key__depends_on_data_method_columns_and_seed(X):
    key = projection_cache_key(X, "pca", None, 0)
    assert key == projection_cache_key(X.copy(), "pca", None, 0)
    assert key != projection_cache_key(X + 1e-9, "pca", None, 0)
    assert key != projection_cache_key(X, "umap", None, 0)
    assert key != projection_cache_key(X, "pca", None, 1)
    assert key != projection_cache_key(X.reshape(60, 2), "pca", None, 0)
    assert projection_cache_key(X, "columns", (0, 1), 0) != projection_cache_key(
        X, "columns", (1, 0), 0
    )


def test__project__a_cache_hit_does_not_recompute(X, tmp_path, monkeypatch):
    calls = []
    real = projection._compute

    def counting(*args):
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(projection, "_compute", counting)
    first = project(X, "pca", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 1
    second = project(X, "pca", cache_dir=tmp_path)  # memory hit
    projection.clear_memory_cache()
    third = project(X, "pca", cache_dir=tmp_path)  # disk hit
    assert calls == ["pca"]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, third)


def test__project__keeps_the_map_folder_under_its_byte_budget(X, tmp_path, monkeypatch):
    project(X, "pca", cache_dir=tmp_path)
    one_map = next(tmp_path.glob("*.npy")).stat().st_size
    monkeypatch.setattr(projection.cache_bounds, "MAPS_DISK_BYTES", 2 * one_map)
    for seed in range(1, 4):
        project(X, "columns", columns=(0, seed % 2), seed=seed, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test__project__returns_copies_so_callers_cannot_corrupt_the_cache(X):
    first = project(X, "pca")
    first[:] = 0
    assert np.abs(project(X, "pca")).sum() > 0


def test__project__recomputes_when_the_cached_file_is_corrupt(X, tmp_path):
    key = projection_cache_key(X, "pca", None, 0)
    (tmp_path / f"{key}.npy").write_bytes(b"garbage")
    np.testing.assert_allclose(project(X, "pca", cache_dir=tmp_path), project(X, "pca"))


def test__project__umap_falls_back_to_pca_for_tiny_or_2d_data(monkeypatch):
    def no_umap(*args):
        raise AssertionError("UMAP should not run here")

    monkeypatch.setattr(projection, "_umap_embedding", no_umap)
    rng = np.random.default_rng(1)
    few_rows = rng.normal(size=(5, 6))
    two_columns = rng.normal(size=(50, 2))
    np.testing.assert_allclose(project(few_rows, "umap"), project(few_rows, "pca"))
    np.testing.assert_allclose(project(two_columns, "umap"), project(two_columns, "pca"))


def test__project__umap_gets_standardised_data_and_the_seed(X, monkeypatch):
    seen = {}

    def fake_umap(Z, seed):
        seen.update(mean=Z.mean(0), std=Z.std(0), seed=seed)
        return Z[:, :2]

    monkeypatch.setattr(projection, "_umap_embedding", fake_umap)
    Y = project(X, "umap", seed=7)
    assert Y.shape == (30, 2) and Y.dtype == np.float32
    assert seen["seed"] == 7
    np.testing.assert_allclose(seen["mean"], 0, atol=1e-9)
    np.testing.assert_allclose(seen["std"], 1)


@pytest.mark.slow
def test__project__real_umap_is_deterministic_for_a_seed():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (40, 5)), rng.normal(6, 1, (40, 5))])
    first = project(X, "umap", seed=3)
    projection.clear_memory_cache()
    second = project(X, "umap", seed=3)
    assert first.shape == (80, 2) and np.isfinite(first).all()
    np.testing.assert_allclose(first, second)
    gap = np.linalg.norm(first[:40].mean(0) - first[40:].mean(0))
    assert gap > first[:40].std(0).max()


def test__extend_map__places_a_row_on_its_twin_and_between_two_neighbours():
    Z_sample = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    Y_sample = np.array([[1.0, 1.0], [5.0, 1.0], [1.0, 5.0]])
    Y = projection.extend_map(Z_sample, Y_sample, np.array([[10.0, 0.0], [5.0, 0.0]]),
                              n_neighbors=2)
    np.testing.assert_allclose(Y[0], [5.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(Y[1], [3.0, 1.0], atol=1e-6)  # equally far from rows 0 and 1


def test__umap_of_a_large_table__fits_a_sample_and_places_the_rest(monkeypatch, tmp_path):
    monkeypatch.setattr(projection, "UMAP_SAMPLE_ABOVE", 100)
    monkeypatch.setattr(projection, "UMAP_SAMPLE_ROWS", 60)
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (80, 5)), rng.normal(12, 1, (80, 5))])
    steps = []
    Y = project(X, "umap", cache_dir=tmp_path, progress=steps.append)
    assert Y.shape == (160, 2) and np.isfinite(Y).all()
    assert [s.split()[0] for s in steps] == ["UMAP", "placing"]
    gap = np.linalg.norm(Y[:80].mean(0) - Y[80:].mean(0))
    assert gap > 3 * max(Y[:80].std(0).max(), Y[80:].std(0).max())  # two blobs stay apart
    assert projection.is_cached(X, "umap", None, 0, tmp_path)
    projection.clear_memory_cache()
    steps.clear()
    np.testing.assert_array_equal(project(X, "umap", cache_dir=tmp_path,
                                          progress=steps.append), Y)
    assert steps == []  # read back from disk, nothing computed
