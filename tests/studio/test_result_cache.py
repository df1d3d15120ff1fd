import numpy as np

from pfn_core.studio import result_cache


def _fit():
    return {"labels": np.array(["a", "b", "a"], dtype=object),
            "proba": np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]),
            "confidence": np.array([0.9, 0.8, 0.6]), "seconds": 12.5, "in_metric": True,
            "model_anchors": 1, "own_clustering": True, "discovery_fit": True, "n_clusters": 2,
            "n_clusters_scores": None, "k_evidence_weak": True, "n_distinct_rows": 2,
            "suggested": np.array([2, 0])}


def test__save_then_load__gives_the_same_fit(tmp_path):
    X = np.arange(6.0).reshape(3, 2)
    key = result_cache.fit_key(X, ((0, "a"),), 2, True)
    result_cache.save(tmp_path, key, _fit())
    loaded = result_cache.load(tmp_path, key)
    assert loaded["labels"].tolist() == ["a", "b", "a"] and loaded["labels"].dtype == object
    np.testing.assert_allclose(loaded["proba"], _fit()["proba"], rtol=1e-6)
    assert loaded["seconds"] == 12.5 and loaded["in_metric"] is True
    assert loaded["model_anchors"] == 1 and loaded["own_clustering"] is True
    assert loaded["discovery_fit"] is True and loaded["k_evidence_weak"] is True
    assert loaded["n_distinct_rows"] == 2
    assert loaded["n_clusters"] == 2 and loaded["n_clusters_scores"] is None
    assert loaded["suggested"].tolist() == [2, 0]


def test__a_fit_saved_before_discovery_fits__loads_as_not_one(tmp_path):
    X = np.arange(6.0).reshape(3, 2)
    key = result_cache.fit_key(X, ((0, "a"),), 2, True)
    result_cache.save(tmp_path, key, _fit())
    path = tmp_path / f"{key}.npz"
    with np.load(path) as stored:
        older = {name: stored[name] for name in stored.files
                 if name not in ("discovery_fit", "k_evidence_weak", "n_distinct_rows")}
    np.savez(path, **older)
    loaded = result_cache.load(tmp_path, key)
    assert loaded["discovery_fit"] is False and loaded["k_evidence_weak"] is False
    assert loaded["n_distinct_rows"] == 3  # every row


def test__save_then_load__keeps_the_evidence_for_an_estimated_k(tmp_path):
    X = np.arange(6.0).reshape(3, 2)
    key = result_cache.fit_key(X, (), None, True)
    result_cache.save(tmp_path, key, {**_fit(), "n_clusters_scores": {2: 1.5, 3: -0.25},
                                      "n_clusters_agreement": {2: 0.02, 3: 0.97}})
    loaded = result_cache.load(tmp_path, key)
    assert loaded["n_clusters_scores"] == {2: 1.5, 3: -0.25}
    assert all(type(k) is int for k in loaded["n_clusters_scores"])
    assert loaded["n_clusters_agreement"] == {2: 0.02, 3: 0.97}
    # A fit without an estimate keeps none.
    result_cache.save(tmp_path, key, _fit())
    assert result_cache.load(tmp_path, key)["n_clusters_agreement"] is None


def test__load__a_file_from_before_the_estimated_k__is_a_miss(tmp_path):
    np.savez(tmp_path / "old.npz", labels=np.array(["a"]), proba=np.ones((1, 1)),
             confidence=np.ones(1), seconds=3.0, in_metric=False, model_anchors=0)
    assert result_cache.load(tmp_path, "old") is None


def test__fit_key__changes_with_the_data_the_anchors_k_and_the_scaling():
    X = np.arange(6.0).reshape(3, 2)
    base = result_cache.fit_key(X, (), 3, True)
    assert base == result_cache.fit_key(X.copy(), (), 3, True)
    assert len({base, result_cache.fit_key(X + 1, (), 3, True),
                result_cache.fit_key(X, ((0, "a"),), 3, True),
                result_cache.fit_key(X, (), 4, True),
                result_cache.fit_key(X, (), 3, False),
                result_cache.fit_key(X, (), None, True)}) == 6


def test__load__a_missing_or_broken_file_is_a_miss(tmp_path):
    assert result_cache.load(tmp_path, "absent") is None
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert result_cache.load(tmp_path, "broken") is None


def test__save__keeps_the_folder_under_its_budget_dropping_the_least_recently_used(tmp_path):
    import os

    keys = [result_cache.fit_key(np.full((3, 2), float(i)), (), 2, True) for i in range(3)]
    result_cache.save(tmp_path, keys[0], _fit())
    one_file = (tmp_path / f"{keys[0]}.npz").stat().st_size
    result_cache.save(tmp_path, keys[1], _fit(), max_bytes=2 * one_file)
    for age, key in enumerate(keys[:2]):  # keys[0] saved first, then read again (used last)
        os.utime(tmp_path / f"{key}.npz", ns=(10**9 * (age + 1),) * 2)
    assert result_cache.load(tmp_path, keys[0]) is not None
    result_cache.save(tmp_path, keys[2], _fit(), max_bytes=2 * one_file)
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == sorted([keys[0], keys[2]])


def test__shared_labels__gives_strings_with_one_object_per_distinct_label():
    labels = result_cache.shared_labels(np.array([1, 2, 1, 1]))
    assert labels.tolist() == ["1", "2", "1", "1"] and labels.dtype == object
    assert labels[0] is labels[2] is labels[3]
