import numpy as np

from pfn_core.bench import few_anchors
from pfn_core.prior import FAMILIES


def test__few_anchor_tasks__draw_mixtures_and_each_prior_family_reproducibly():
    tasks = few_anchors.few_anchor_tasks(1)
    assert [family for family, _, _ in tasks] == (
        ["Gaussian mixtures"] + [f"prior: {name}" for name in FAMILIES])
    again = few_anchors.few_anchor_tasks(1)
    for (_, X, y), (_, X2, y2) in zip(tasks, again, strict=True):
        np.testing.assert_array_equal(y, y2)
        assert len(X) == len(y) and len(np.unique(y)) >= 2
        np.testing.assert_array_equal(X, X2)


def test__score_task__scores_both_model_arms_the_baselines_and_the_share_kept(two_blobs):
    X, _ = two_blobs
    y = np.repeat([0, 1], 50)
    scores = few_anchors.score_task(X, y, levels=(1,), seeds=(0,))
    assert scores[(1, "model")] == 1.0 and scores[(1, "model, own clustering off")] == 1.0
    assert 0.0 <= scores[(1, "kept")] <= 1.0
    assert (1, "seeded K-means") in scores


def test__score_task__passes_model_settings_to_both_model_arms(two_blobs, monkeypatch):
    X, _ = two_blobs
    y = np.repeat([0, 1], 50)
    seen = []
    original = few_anchors.PFNClusterer.__init__

    def recording(self, **kwargs):
        seen.append(kwargs)
        original(self, **kwargs)

    monkeypatch.setattr(few_anchors.PFNClusterer, "__init__", recording)
    few_anchors.score_task(X, y, levels=(1,), seeds=(0,), settings={"anchor_metric": False})
    assert seen == [{"anchor_metric": False},
                    {"anchor_metric": False, "own_clustering": False}]


def test__few_anchor_tasks__with_rows__are_prior_draws_of_that_length():
    tasks = few_anchors.few_anchor_tasks(1, n_rows=500)
    assert len(tasks) == len(FAMILIES) and all(f.startswith("prior: ") for f, _, _ in tasks)
    assert all(len(X) == len(y) == 500 for _, X, y in tasks)
    # The same draw as the default length otherwise: same clusters, same columns.
    short = dict((f, (X, y)) for f, X, y in few_anchors.few_anchor_tasks(1)[1:])
    for family, X, y in tasks:
        assert X.shape[1] == short[family][0].shape[1]
        assert len(np.unique(y)) == len(np.unique(short[family][1]))
