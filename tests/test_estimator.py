import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

import pfn_core.prepared_inputs as prepared_inputs_module
from pfn_core import PFNClusterer
from pfn_core.merging import graph_cut_fraction
from pfn_core.prepared_inputs import prepare_inputs


def test__obvious_case__two_far_blobs_with_one_anchor_each_are_perfect(two_blobs):
    X, y = two_blobs
    labels = PFNClusterer().fit_predict(X, y)
    np.testing.assert_array_equal(labels, np.repeat([0, 1], 50))


def test__fitted_attributes__follow_scikit_learn_conventions(two_blobs):
    X, y = two_blobs
    est = PFNClusterer(context_size=64)
    assert est.get_params()["context_size"] == 64 and not hasattr(est, "labels_")
    est.fit(X, y)
    assert est.proba_.shape == (100, 2) and np.allclose(est.proba_.sum(1), 1)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.n_features_in_ == 2 and est.anchor_mask_.sum() == 2
    np.testing.assert_allclose(est.confidence_, est.proba_.max(1))
    assert clone(est).get_params() == est.get_params()


def test__fit_and_predict__do_not_write_into_the_callers_arrays(two_blobs):
    X, y = two_blobs
    X[3, 1] = np.nan
    X_before, y_before = X.copy(), y.copy()
    PFNClusterer().fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test__anchors_keep_their_own_labels_even_inside_another_cluster(two_blobs):
    X, y = two_blobs
    y = y.copy()
    y[10] = 1  # a deliberate "wrong" anchor inside blob 0
    est = PFNClusterer().fit(X, y)
    assert est.labels_[10] == 1 and est.proba_[10, 1] == 1.0


def test__string_labels__come_back_as_given(two_blobs):
    X, y = two_blobs
    named = np.where(y == 0, "apples", np.where(y == 1, "pears", None)).astype(object)
    labels = PFNClusterer().fit_predict(X, named)
    assert set(labels) == {"apples", "pears"} and labels[0] == "apples"


def test__renaming_labels__only_renames_the_output():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(c, 1.0, (60, 3)) for c in (0, 3, 6)])
    y = np.full(180, None, dtype=object)
    y[[0, 1, 60, 61, 120, 121]] = ["a", "a", "b", "b", "c", "c"]
    renamed = np.array([{"a": "z", "b": "m", "c": "b"}.get(v, v) for v in y], dtype=object)
    first = PFNClusterer().fit(X, y)
    second = PFNClusterer().fit(X, renamed)
    mapping = {"a": "z", "b": "m", "c": "b"}
    np.testing.assert_array_equal([mapping[v] for v in first.labels_], second.labels_)
    order = [list(second.classes_).index(mapping[c]) for c in first.classes_]
    np.testing.assert_allclose(first.proba_, second.proba_[:, order], atol=1e-5)


def test__shuffling_rows__only_shuffles_the_output():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(c, 1.0, (400, 2)) for c in (0, 4)])  # > context size
    y = np.full(800, -1)
    y[[0, 400]] = [0, 1]
    perm = rng.permutation(800)
    a = PFNClusterer().fit(X, y)
    b = PFNClusterer().fit(X[perm], y[perm])
    np.testing.assert_array_equal(a.labels_[perm], b.labels_)
    np.testing.assert_allclose(a.proba_[perm], b.proba_, atol=1e-4)


def test__many_classes__one_hundred_clusters_with_one_anchor_each():
    rng = np.random.default_rng(3)
    centres = rng.uniform(-100, 100, size=(100, 2))
    X = np.concatenate([c + rng.normal(0, 0.5, (6, 2)) for c in centres])
    truth = np.repeat(np.arange(100), 6)
    y = np.full(600, -1)
    y[::6] = truth[::6]
    est = PFNClusterer().fit(X, y)
    assert est.proba_.shape == (600, 100)
    assert adjusted_rand_score(truth, est.labels_) > 0.8


def test__no_anchors__estimates_k_or_takes_n_clusters_and_clusters_separated_data(two_blobs):
    X, _ = two_blobs
    estimated = PFNClusterer().fit(X, np.full(100, -1))
    assert estimated.n_clusters_ == 2
    assert adjusted_rand_score(np.repeat([0, 1], 50), estimated.labels_) == 1.0
    labels = PFNClusterer(n_clusters=2).fit_predict(X)
    assert adjusted_rand_score(np.repeat([0, 1], 50), labels) == 1.0


def _dense_pair_and_three_sparse_blobs(seed: int):
    """A dense cluster with two close modes and three sparse clusters: K=4 density peaks
    put two seeds in the dense one and none in a sparse one. -> X (550, 2), truth (550,)"""
    rng = np.random.default_rng(seed)
    dense = np.concatenate([rng.normal([0, 0], 0.4, (200, 2)), rng.normal([1.6, 0], 0.4, (200, 2))])
    sparse = [rng.normal(c, 1.2, (50, 2)) for c in ([8, 0], [0, 8], [8, 8])]
    return np.concatenate([dense, *sparse]), np.repeat([0, 1, 2, 3], [400, 50, 50, 50])


def test__no_anchors__over_seeding_finds_the_cluster_density_peaks_miss():
    X, truth = _dense_pair_and_three_sparse_blobs(0)
    plain = PFNClusterer(n_clusters=4, overseed=1).fit_predict(X)  # density peaks alone
    both = PFNClusterer(n_clusters=4).fit(X)
    assert adjusted_rand_score(truth, plain) < 0.6
    assert adjusted_rand_score(truth, both.labels_) == 1.0
    graph = prepare_inputs(X, None).views.base_graph
    assert graph_cut_fraction(both.labels_, graph) < graph_cut_fraction(plain, graph)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((0, 2)), None, "empty"),
        (np.zeros((1, 2)), [0], "single row"),
        (np.zeros((5, 2)), [0, 1], "y has length 2 but X has 5 rows"),
        (pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}), [0, 1, -1], "'b' has 3 non-numeric"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), [0, 1], "infinite"),
        (np.zeros((3, 2)), np.array(["a", 2, -1], dtype=object), "mixes strings and numbers"),
    ],
)
def test__bad_input__raises_a_value_error_that_says_what_is_wrong(X, y, message):
    with pytest.raises(ValueError, match=message):
        PFNClusterer().fit(X, y)


def test__missing_values__are_imputed_not_refused(two_blobs):
    X, y = two_blobs
    X[5, 0] = np.nan
    labels = PFNClusterer().fit_predict(X, y)
    assert len(labels) == 100 and labels[60] == 1


def test__prepare_inputs__gives_the_model_views_and_the_anchors():
    X = np.random.default_rng(0).normal(size=(30, 5))
    y = np.full(30, -1, dtype=object)
    y[[2, 9]] = ["b", "a"]
    prepared = prepare_inputs(X, y)
    assert prepared.features.shape == (30, prepared.model.config.input_dim)
    assert prepared.geometry.shape[0] == 30
    np.testing.assert_array_equal(prepared.anchor_index, [2, 9])
    assert list(prepared.anchor_labels) == ["b", "a"]
    with pytest.raises(ValueError, match="length"):
        prepare_inputs(X, y[:10])


def test__scale_columns_false__lets_a_strong_direction_outweigh_faint_noisy_ones():
    rng = np.random.default_rng(3)
    # Two groups 20 apart along one column; 20 more columns in the same unit are pure noise,
    # each much narrower. Z-scoring blows every noise column up to the size of the split.
    side = np.repeat([0, 1], 150)
    X = np.c_[side * 20.0 + rng.normal(0, 1, 300), rng.normal(0, 0.3, (300, 20))]
    y = np.full(300, -1)
    y[[0, 150]] = [0, 1]
    kept = PFNClusterer(scale_columns=False).fit_predict(X, y)
    z_scored = PFNClusterer().fit_predict(X, y)
    assert (kept == side).mean() > 0.95
    assert (z_scored == side).mean() < 0.8  # what the default does to such a table


def test__refinement__runs_a_second_pass_with_extra_anchors_and_keeps_the_real_ones():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal([3.2, 0], 1, (150, 2))])
    y = np.full(300, -1)
    y[[int(np.argmax(X[:150, 0])), 150 + int(np.argmin(X[150:, 0]))]] = [0, 1]
    # The usual anchored fit (with few anchors and discovery on, one pass is the fit).
    single = PFNClusterer(refine_rounds=0, discover=False).fit(X, y)
    refined = PFNClusterer(discover=False).fit(X, y)
    assert refined.get_params()["refine_rounds"] == 1
    assert not np.allclose(single.proba_, refined.proba_, atol=1e-3)
    assert refined.anchor_mask_.sum() == 2  # pseudo-anchors are not reported as anchors
    np.testing.assert_array_equal(refined.labels_[y >= 0], y[y >= 0])


@pytest.mark.parametrize("setting", [{"refine_rounds": -1}, {"refine_anchors": 0},
                                     {"n_ensemble": 0}, {"context_size": 2.5},
                                     {"overseed": 0}])
def test__bad_settings__raise_a_value_error_naming_the_setting(two_blobs, setting):
    X, y = two_blobs
    name = next(iter(setting))
    with pytest.raises(ValueError, match=f"{name} must be a whole number"):
        PFNClusterer(**setting).fit(X, y)


@pytest.mark.parametrize("n_clusters", [0, 21, 2.5, True])
def test__n_clusters_outside_one_to_the_row_count__is_refused_with_the_range(n_clusters):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"n_clusters must be None \(estimated\) or a whole "
                                         r"number from 1 to the number of rows \(20\)"):
        PFNClusterer(n_clusters=n_clusters).fit(X)


@pytest.mark.parametrize("device", ["tpu", "cuda0", 0])
def test__an_unknown_device__is_refused_before_any_work(two_blobs, device):
    X, y = two_blobs
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda' or 'cuda:N'"):
        PFNClusterer(device=device).fit(X, y)


def test__cuda_without_a_gpu__says_to_use_the_cpu(two_blobs, monkeypatch):
    monkeypatch.setattr(prepared_inputs_module.torch.cuda, "is_available", lambda: False)
    X, y = two_blobs
    with pytest.raises(ValueError, match="sees no CUDA GPU.*use device='cpu'"):
        PFNClusterer(device="cuda").fit(X, y)


@pytest.mark.parametrize("magnitude", [1e-300, 1e-13, 1e290])
def test__values_of_any_magnitude__cluster_as_the_same_values_near_one(magnitude):
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (60, 2))])
    y = np.full(120, -1)
    y[[0, 60]] = [0, 1]
    expected = PFNClusterer().fit(X, y)
    scaled = PFNClusterer().fit(X * magnitude, y)
    np.testing.assert_array_equal(scaled.labels_, expected.labels_)
    np.testing.assert_allclose(scaled.proba_, expected.proba_, atol=1e-3)  # float rounding
