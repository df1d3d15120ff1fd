"""The lasso benchmark's anchors: one patch of nearest fellow members per cluster."""

import numpy as np

from pfn_core.bench.lasso_anchors import METHODS, lasso_anchors, report, score_table


def test__lasso_anchors__are_one_patch_of_each_cluster():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (40, 2)),
                        rng.normal(-8, 1, (3, 2))])
    y = np.repeat([0, 1, 2], [60, 40, 3])
    anchors = lasso_anchors(X, y, 10, seed=1)
    assert np.bincount(y[anchors]).tolist() == [10, 10, 2]  # at most size - 1, as the protocol
    for label in (0, 1):
        patch = anchors[y[anchors] == label]
        members = np.flatnonzero(y == label)
        # the patch is the nearest members of one of them: no member outside it is closer to
        # the patch's first row than the patch's farthest
        centre = X[patch[0]]
        farthest = np.linalg.norm(X[patch] - centre, axis=1).max()
        outside = np.setdiff1d(members, patch)
        assert np.linalg.norm(X[outside] - centre, axis=1).min() >= farthest
    np.testing.assert_array_equal(anchors, lasso_anchors(X, y, 10, seed=1))


def test__score_table_and_report__cover_every_method():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, (80, 2)), rng.normal(7, 1, (80, 2))])
    y = np.repeat([0, 1], 80)
    scores = score_table(X, y, 6, [0], {})
    assert set(scores) == set(METHODS) and scores["model"] > 0.9
    text = report({"two blobs": scores}, "dataset")
    assert "| **mean** |" in text and "of 1." in text
