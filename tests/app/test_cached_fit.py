"""The studio's cached fit (pages/studio_ui/cached.py): an estimated K keeps its evidence and
its suggestions through the on-disk result cache, and is kept apart from a K given by hand."""

import numpy as np

from pages.studio_ui import cached
from pfn_core.studio import result_cache


def _two_blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (60, 2))])


def test__estimated_k__its_evidence_and_suggestions_come_back_from_the_disk_cache(monkeypatch):
    monkeypatch.setattr(result_cache, "SLOW_FIT_SECONDS", 0.0)  # keep every fit on disk
    X = _two_blobs()
    cached.cluster.clear()
    first = cached.cluster(X, (), None, True, 5)
    assert first["n_clusters"] == len(set(first["labels"]))
    assert first["n_clusters"] in first["n_clusters_scores"]
    assert len(first["suggested"]) == 5
    cached.cluster.clear()  # a new server process: only the disk cache is left
    again = cached.cluster(X, (), None, True, 5)
    assert again["computed_at"] == 0.0  # read back from disk
    assert again["n_clusters"] == first["n_clusters"]
    assert again["n_clusters_scores"] == first["n_clusters_scores"]
    assert again["suggested"].tolist() == list(first["suggested"])

    by_hand = cached.cluster(X, (), 3, True, 5)  # another key: a fit of its own
    assert by_hand["computed_at"] > 0 and by_hand["n_clusters"] == 3
    assert by_hand["n_clusters_scores"] is None


def test__with_anchors__suggestions_are_never_anchors_and_k_comes_from_the_anchors():
    X = _two_blobs()
    anchors = ((0, "left"), (60, "right"))
    result = cached.cluster(X, anchors, None, True, 10)
    assert result["n_clusters"] >= 2 and result["n_clusters_scores"] is None
    assert len(result["suggested"]) == 10 and not {0, 60} & set(result["suggested"].tolist())
    assert cached.cluster(X, anchors, 4, True, 10)["labels"].tolist() == result["labels"].tolist()


def test__anchor_pairs__the_cache_knows_the_same_anchors_by_their_digest():
    X = _two_blobs()
    pairs = cached.AnchorPairs({60: "right", 0: "left"})
    assert pairs == ((0, "left"), (60, "right"))  # sorted pairs, still a tuple
    assert pairs.digest == cached.AnchorPairs({0: "left", 60: "right"}).digest
    assert pairs.digest != cached.AnchorPairs({0: "left", 60: "left"}).digest
    assert pairs.digest != cached.AnchorPairs({0: "left", 61: "right"}).digest
    cached.cluster.clear()
    first = cached.cluster(X, pairs, None, True, 5)
    again = cached.cluster(X, cached.AnchorPairs({0: "left", 60: "right"}), None, True, 5)
    assert again["computed_at"] == first["computed_at"]  # the same entry, not a new fit
    other = cached.cluster(X, cached.AnchorPairs({0: "left", 60: "other"}), None, True, 5)
    assert other["computed_at"] != first["computed_at"] and other["key"] != first["key"]


def test__one_agreeing_anchor_per_cluster__the_result_says_the_models_own_clustering_was_kept():
    X = _two_blobs()
    result = cached.cluster(X, ((0, "left"), (60, "right")), None, True, 5)
    assert result["own_clustering"] is True  # the studio's caption reads this
    many = tuple((row, "left") for row in range(6)) + tuple((row, "right")
                                                            for row in range(60, 66))
    assert cached.cluster(X, many, None, True, 5)["own_clustering"] is False  # 6 per label


def test__one_anchor_in_two_of_three_blobs__the_result_says_the_discovery_pass_is_the_fit():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(c, 0.8, (70, 2)) for c in [(0, 0), (10, 0), (5, 9)]])
    result = cached.cluster(X, ((0, "left"), (70, "right")), None, True, 5)
    assert result["discovery_fit"] is True and result["own_clustering"] is False
    assert set(result["labels"][140:]) == {"new 1"}
    many = tuple((row, "left") for row in range(4)) + tuple((row, "right")
                                                            for row in range(70, 74))
    assert cached.cluster(X, many, None, True, 5)["discovery_fit"] is False  # 4 per label
