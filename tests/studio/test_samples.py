import numpy as np
import pytest

from pfn_core.studio.samples import SAMPLE_NAMES, example_anchors, load_sample


def test__sample_names__include_the_sklearn_and_synthetic_sets():
    expected = {"iris", "wine", "breast cancer", "digits", "blobs", "rings", "moons"}
    assert expected | {"chains", "spirals"} <= set(SAMPLE_NAMES)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test__load_sample__gives_numeric_features_and_a_truth_column(name):
    sample = load_sample(name)
    frame = sample.frame
    assert list(frame.columns) == [*sample.feature_columns, sample.truth_column]
    features = frame[sample.feature_columns].to_numpy(dtype=float)
    assert np.isfinite(features).all()
    assert frame[sample.truth_column].nunique() >= 2
    assert sample.description


def test__load_sample__synthetic_sets_are_2d_and_reproducible():
    first, second = load_sample("spirals"), load_sample("spirals")
    assert first.feature_columns == ["x", "y"]
    assert first.frame.equals(second.frame)
    assert first.frame["cluster"].nunique() == 2


@pytest.mark.parametrize("name", ["rings", "moons", "chains", "spirals"])
def test__synthetic_samples__show_clusters_that_do_not_touch(name):
    """No link of the 8-nearest-neighbour graph joins two true clusters: the picture shows
    what the description promises (a change to a prior family can break this)."""
    from sklearn.neighbors import kneighbors_graph

    frame = load_sample(name).frame
    graph = kneighbors_graph(frame[["x", "y"]].to_numpy(), 8)
    rows, columns = graph.nonzero()
    truth = frame["cluster"].to_numpy()
    assert (truth[rows] == truth[columns]).all()


def test__load_sample__iris_truth_holds_species_names():
    truth = load_sample("iris").frame["species"]
    assert set(truth) == {"setosa", "versicolor", "virginica"}


def test__load_sample__unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown sample 'titanic'.*'iris'"):
        load_sample("titanic")


def test__example_anchors__picks_per_class_rows_labelled_by_their_truth():
    truth = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    anchors = example_anchors(truth, np.random.default_rng(0), per_class=2)
    assert len(anchors) == 6
    assert all(label == str(truth[row]) for row, label in anchors.items())
    assert sorted(set(anchors.values())) == ["0", "1", "2"]
    assert list(anchors) == sorted(anchors)


def test__example_anchors__is_deterministic_for_a_seed_and_skips_missing_truth():
    truth = np.array(["a", None, "b", np.nan, "a", "b"], dtype=object)
    first = example_anchors(truth, np.random.default_rng(3))
    assert first == example_anchors(truth, np.random.default_rng(3))
    assert set(first.values()) == {"a", "b"}
    assert not {1, 3} & set(first)


def test__example_anchors__small_classes_give_what_they_have():
    anchors = example_anchors(np.array([5, 7, 7, 7]), np.random.default_rng(0), per_class=3)
    assert sorted(anchors.values()) == ["5", "7", "7", "7"]
