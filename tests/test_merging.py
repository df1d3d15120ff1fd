import numpy as np
import pytest

from pfn_core.geodesic import base_graph
from pfn_core.merging import graph_cut_fraction, merge_by_confusion


def _proba(rows_per_sub: int, confusion: np.ndarray) -> np.ndarray:
    """rows_per_sub rows predicted in each sub-cluster; row distribution = confusion[sub]."""
    return np.repeat(confusion / confusion.sum(1, keepdims=True), rows_per_sub, axis=0)


def test__merge__joins_the_sub_clusters_the_model_hesitates_between():
    # 0 <-> 2 and 1 <-> 3 share mass; every other pair is nearly clean.
    confusion = np.array([[0.70, 0.01, 0.28, 0.01],
                          [0.01, 0.70, 0.01, 0.28],
                          [0.28, 0.01, 0.70, 0.01],
                          [0.01, 0.28, 0.01, 0.70]])
    assert merge_by_confusion(_proba(10, confusion), 2).tolist() == [0, 1, 0, 1]


def test__merge__average_linkage_keeps_a_big_group_from_absorbing_the_rest():
    # Sub-clusters 0 and 1 are one cluster (strongly confused); 2 and 3 are another, but
    # each leaks a little mass towards the big group, summed over many rows.
    confusion = np.array([[0.6, 0.38, 0.01, 0.01],
                          [0.38, 0.6, 0.01, 0.01],
                          [0.03, 0.03, 0.74, 0.20],
                          [0.03, 0.03, 0.20, 0.74]])
    proba = np.concatenate([_proba(100, confusion[:2]), _proba(10, confusion[2:])])
    assert merge_by_confusion(proba, 2).tolist() == [0, 0, 1, 1]


def test__merge__numbers_groups_by_their_lowest_sub_cluster_and_refuses_bad_counts():
    proba = _proba(5, np.eye(3) + 0.01)
    merged = merge_by_confusion(proba, 3)
    assert merged.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="cannot merge 3 sub-clusters into 4"):
        merge_by_confusion(proba, 4)
    with pytest.raises(ValueError, match="into 0"):
        merge_by_confusion(proba, 0)


def test__graph_cut__is_zero_for_separated_blobs_and_large_for_a_cut_through_them():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(20, 1, (60, 2))]).astype(np.float32)
    graph = base_graph(X, np.arange(len(X)))
    by_blob = np.repeat([0, 1], 60)
    across = (X[:, 0] > np.repeat([0.0, 20.0], 60)).astype(int)  # cuts each blob in half
    assert graph_cut_fraction(by_blob, graph) == 0.0
    assert graph_cut_fraction(across, graph) > 0.05
