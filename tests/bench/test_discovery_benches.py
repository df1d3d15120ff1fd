"""The discovery benchmarks' helpers, on tiny data (none of them needs ../shared)."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from pfn_core.bench import calibration, discovery, many_anchors, new_clusters, suggest
from pfn_core.bench.cliffs import (
    OVERLAP_DISTANCE,
    many_blobs_task,
    overlapping_gaussians_task,
    principal_components_task,
)


def test__discovery_summary__counts_exact_and_within_one_per_dataset():
    records = [
        {"dataset": "a", "method": "model", "true_k": 3, "k": 3, "ari": 1.0},
        {"dataset": "b", "method": "model", "true_k": 5, "k": 4, "ari": 0.5},
        {"dataset": "c", "method": "model", "true_k": 2, "k": 6, "ari": 0.0},
    ]
    lines = discovery.summarise(records, ["model"])
    assert lines[2] == "| model (own K) | 1 / 3 | 2 / 3 | 0.500 |"
    assert list(discovery.candidate_ks(10)) == list(range(2, 10))


def test__k_scanning_baselines__find_three_far_blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.3, (40, 2)) for c in (0, 6, 12)])
    assert len(np.unique(discovery.kmeans_silhouette(X, 0))) == 3
    assert len(np.unique(discovery.gmm_bic(X, 0))) == 3


def test__new_clusters_bench__anchors_half_the_clusters_and_kmeans_gets_every_centre():
    y = np.repeat([1, 2, 3, 4], 30)
    anchors = new_clusters.half_the_clusters(y, 0)
    assert len(np.unique(y[anchors])) == 2 and len(anchors) == 6
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(c, 0.3, (30, 2)) for c in (0, 5, 10, 15)])
    y_partial = np.full(120, -1)
    y_partial[anchors] = y[anchors]
    labels = new_clusters.seeded_kmeans_true_k(X, y_partial, 4, 0)
    assert len(np.unique(labels)) == 4


def test__new_clusters_synthetic__draws_are_fixed_mixtures_and_need_no_shared_folder(capsys):
    X, y = new_clusters.synthetic_mixture(500)
    again, y_again = new_clusters.synthetic_mixture(500)
    np.testing.assert_array_equal(X, again)
    np.testing.assert_array_equal(y, y_again)
    assert 4 <= len(np.unique(y)) <= 8 and X.shape[1] in (2, 4, 8) and 600 <= len(X) < 3000
    assert new_clusters.main(["--synthetic", "1", "--seeds", "0", "--shared", "/nowhere"]) == 0
    out = capsys.readouterr().out
    assert "| model, discover |" in out and "skipped" not in out


def test__cliff_families__are_what_they_claim():
    X, y = principal_components_task(np.random.default_rng(0))
    assert X.shape == (800, 50) and set(y) == {0, 1}
    assert X[:, 0].std() > 1.5 * X[:, 10].std()  # the first component carries the clusters
    X, y = overlapping_gaussians_task(np.random.default_rng(0), 3, 8, 6000)
    means = np.array([X[y == c].mean(0) for c in range(3)])
    np.testing.assert_allclose(pdist(means), OVERLAP_DISTANCE, atol=0.12)


def test__many_blobs__have_10_to_30_clusters_with_centres_at_least_the_separation_apart():
    for seed in range(3):
        X, y = many_blobs_task(np.random.default_rng(seed), (3.0, 3.0))
        k = len(np.unique(y))
        assert 10 <= k <= 30 and 2 <= X.shape[1] <= 8
        sizes = np.bincount(y)
        assert sizes.min() >= 40 and sizes.max() <= 160
        means = np.array([X[y == c].mean(0) for c in range(k)])
        assert pdist(means).min() > 3.0 - 0.6  # sample means of >= 40 rows stay near


def test__dev_suite_benches__skip_with_a_message_without_the_shared_folder(tmp_path, capsys):
    for module in (discovery, new_clusters, suggest, calibration, many_anchors):
        assert module.main(["--shared", str(tmp_path)]) == 0
        assert "skipped" in capsys.readouterr().out


def test__many_anchors__draws_a_share_of_the_rows_and_scores_every_method():
    rows = many_anchors.random_anchors(1000, 0.1, seed=0)
    assert len(rows) == 100 and len(set(rows)) == 100
    assert (rows == many_anchors.random_anchors(1000, 0.1, seed=0)).all()
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 150)
    X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(8, 1, (150, 2))])
    got = many_anchors.scores(X, y, many_anchors.random_anchors(300, 0.1, seed=1))
    assert set(got) == set(many_anchors.METHODS)
    assert all(value > 0.95 for value in got.values())


def test__many_anchors__takes_held_out_tables_and_hands_the_model_its_settings():
    args = many_anchors.build_parser().parse_args(
        ["--heldout", "1", "--model-kwargs", '{"anchor_votes": false}'])
    assert args.heldout == 1 and args.model_kwargs == {"anchor_votes": False}
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 150)
    X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(8, 1, (150, 2))])
    anchors = many_anchors.random_anchors(300, 0.3, seed=1)
    with pytest.raises(ValueError, match="refine_rounds"):  # the settings reach the model
        many_anchors.scores(X, y, anchors, {"refine_rounds": -1})


def test__suggest_room_line__counts_wins_only_where_the_start_left_something_to_gain():
    gains = {"solved": {"start": 1.0, "suggested": 0.0, "random": 0.0},
             "won": {"start": 0.6, "suggested": 0.2, "random": 0.1},
             "lost": {"start": 0.7, "suggested": 0.0, "random": 0.1}}
    line = suggest.room_line(gains)
    assert "beat random on 1 / 2 (50%)" in line and "1 datasets started solved" in line


def test__suggest_heldout__runs_on_held_out_tables_without_the_shared_folder(tmp_path):
    args = suggest.build_parser().parse_args(["--shared", str(tmp_path), "--heldout", "1"])
    tables = list(suggest.suite_or_heldout_tables(args))
    names = [name for name, _, _ in tables]
    assert "Gaussian mixtures #1" in names and "prior: rings #1" in names
    assert all(len(X) == len(y) and len(np.unique(y)) >= 2 for _, X, y in tables)
