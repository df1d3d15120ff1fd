import numpy as np
import pytest

from pfn_core.studio.comparison import (
    agreement,
    classical_methods,
    cluster_sizes,
    expected_share_right,
    kmeans_labels,
    match_labels,
    method_table,
    scores_against_truth,
)


@pytest.fixture
def three_blobs():
    """90 rows in three far-apart blobs.  X (90, 3), truth (90,) strings."""
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0]])
    X = np.concatenate([c + rng.normal(size=(30, 3)) for c in centers])
    truth = np.repeat(np.array(["red", "green", "blue"]), 30)
    return X, truth


def test__match_labels__recovers_a_permutation():
    reference = np.array(["a", "a", "b", "b", "c", "c"])
    other = np.array([2, 2, 0, 0, 1, 1])
    matched = match_labels(reference, other)
    assert matched.tolist() == reference.tolist()
    assert matched.dtype == reference.dtype


def test__match_labels__keeps_int_dtype_and_maximises_overlap():
    reference = np.array([0, 0, 0, 1, 1, 1])
    other = np.array([5, 5, 7, 7, 7, 7])
    np.testing.assert_array_equal(match_labels(reference, other), [0, 0, 1, 1, 1, 1])


def test__match_labels__names_extra_clusters_with_the_prefix():
    reference = np.array(["a", "a", "b", "b", "b", "b"])
    other = np.array([0, 0, 1, 1, 7, 7])
    matched = match_labels(reference, other)
    assert matched.dtype == object
    assert matched.tolist()[:2] == ["a", "a"]
    assert {matched[2], matched[4]} == {"b", "k-means 1"} or {matched[2], matched[4]} == {
        "b",
        "k-means 7",
    }
    assert match_labels(reference, other, prefix="GMM")[4] in {"b", "GMM 7"}


def test__match_labels__refuses_different_lengths():
    with pytest.raises(ValueError, match="equal length"):
        match_labels([0, 1], [0, 1, 2])


def test__kmeans_labels__separates_blobs_and_handles_nan(three_blobs):
    X, truth = three_blobs
    X = X.copy()
    X[0, 1] = np.nan
    labels = kmeans_labels(X, 3, seed=0)
    assert labels.dtype == np.int64 and set(labels) == {0, 1, 2}
    assert agreement(truth, labels) == pytest.approx(1.0)
    np.testing.assert_array_equal(labels, kmeans_labels(X, 3, seed=0))


def test__kmeans_labels__on_a_large_table_fits_a_sample_and_labels_every_row(three_blobs,
                                                                           monkeypatch):
    from pfn_core.studio import comparison

    monkeypatch.setattr(comparison, "KMEANS_SAMPLE_ABOVE", 60)
    monkeypatch.setattr(comparison, "KMEANS_SAMPLE_ROWS", 30)
    X, truth = three_blobs
    labels = kmeans_labels(X, 3, seed=0)  # centroids from 30 rows: a border row may flip
    assert labels.shape == (90,) and set(labels) == {0, 1, 2}
    assert agreement(truth, labels) > 0.9


def test__kmeans_labels__refuses_impossible_cluster_counts(three_blobs):
    with pytest.raises(ValueError, match="n_clusters must be between 1 and the number of rows"):
        kmeans_labels(three_blobs[0], 0)
    with pytest.raises(ValueError, match=r"rows \(90\), got 91"):
        kmeans_labels(three_blobs[0], 91)


def test__agreement_and_scores__are_one_for_a_renamed_copy_and_mix_types():
    truth = np.array(["x", "x", "y", "y", None], dtype=object)
    predicted = np.array([1, 1, "noise", "noise", 3], dtype=object)
    assert agreement(truth[:4], predicted[:4]) == pytest.approx(1.0)
    scores = scores_against_truth(truth, predicted)
    assert set(scores) == {"ARI", "NMI", "V-measure"}
    assert all(value == pytest.approx(1.0) for value in scores.values())


def test__expected_share_right__is_the_mean_confidence_of_the_rows_nobody_labelled():
    confidence = np.array([1.0, 1.0, 0.9, 0.5, 0.7])
    assert expected_share_right(confidence, {0: "a", 1: "b"}) == pytest.approx(0.7)
    assert expected_share_right(confidence, [0, 1]) == pytest.approx(0.7)
    assert expected_share_right(confidence, {}) is None  # no anchors: not calibrated
    assert expected_share_right(confidence, range(5)) is None  # nobody left unlabelled


def test__cluster_sizes__counts_each_label_largest_first():
    sizes = cluster_sizes(np.array(["b", "a", "b", "noise", "b"], dtype=object))
    assert sizes.columns.tolist() == ["label", "count"]
    assert sizes.to_dict("records")[0] == {"label": "b", "count": 3}
    assert sizes["count"].sum() == 5


def test__classical_methods__run_all_methods_and_label_every_row(three_blobs):
    X, truth = three_blobs
    anchors_y = np.full(90, -1, dtype=object)
    anchors_y[[0, 30, 60]] = ["red", "green", "blue"]
    results = classical_methods(X, anchors_y, n_clusters=3, seed=0)
    assert list(results) == [
        "K-means",
        "Gaussian mixture",
        "Agglomerative (Ward)",
        "HDBSCAN",
        "Label spreading",
    ]
    for name, labels in results.items():
        assert labels.shape == (90,)
        assert agreement(truth, labels) > (0.8 if name == "HDBSCAN" else 0.99), name
    assert set(results["Label spreading"]) == {"red", "green", "blue"}


def test__classical_methods__skip_label_spreading_without_two_labels_and_keep_noise(three_blobs):
    X, _ = three_blobs
    X = np.concatenate([X, [[100.0, 100.0, 100.0]]])  # one far outlier
    anchors_y = np.full(91, -1, dtype=object)
    anchors_y[[0, 1]] = "red"
    results = classical_methods(X, anchors_y, n_clusters=3, seed=0)
    assert "Label spreading" not in results
    assert results["HDBSCAN"][-1] == "noise"


def test__classical_methods__refuses_anchors_of_the_wrong_length(three_blobs):
    with pytest.raises(ValueError, match=r"one entry per row \(90\)"):
        classical_methods(three_blobs[0], np.full(5, -1), n_clusters=3)


def test__method_table__reports_cluster_counts_agreement_and_truth_scores(three_blobs):
    X, truth = three_blobs
    results = {
        "K-means": kmeans_labels(X, 3),
        "HDBSCAN": np.array([*["noise"] * 3, *range(87)], dtype=object),
    }
    table = method_table(results, truth=truth, reference=truth)
    assert table.columns.tolist() == [
        "method",
        "n_clusters",
        "agreement (ARI)",
        "ARI",
        "NMI",
        "V-measure",
    ]
    assert table.loc[0, "agreement (ARI)"] == pytest.approx(1.0)
    assert table["n_clusters"].tolist() == [3, 87]
    assert method_table(results).columns.tolist() == ["method", "n_clusters"]


def test__kmeans_labels__with_one_common_unit__follows_the_wide_column_not_the_noise():
    rng = np.random.default_rng(4)
    side = np.repeat([0, 1], 100)
    # Split 20 wide along column 0; 20 narrow noise columns in the same unit.
    X = np.c_[side * 20.0 + rng.normal(0, 1, 200), rng.normal(0, 0.3, (200, 20))]
    kept = kmeans_labels(X, 2, scale_columns=False)
    assert agreement(kept, side) == 1.0
    assert agreement(kmeans_labels(X, 2), side) < 0.5
