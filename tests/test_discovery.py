import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pfn_core import PFNClusterer
from pfn_core import discovery as discovery_module
from pfn_core.discovery import (
    STABLE_AGREEMENT,
    WEAK_EVIDENCE,
    cluster_count_scores,
    evidence_is_weak,
    groups_after,
    merge_heights,
    self_consistent_k,
)
from pfn_core.merging import merge_by_confusion
from pfn_core.table_views import clear_table_views
from tests.test_own_clustering import count_clusterings_without_anchors


def _block_proba(blocks: list[int], rows_per_sub: int = 20, leak: float = 0.3,
                 seed: int = 0) -> np.ndarray:
    """Rows of sub-clusters that leak `leak` of their mass to the other sub-clusters of
    their block and almost nothing across blocks. -> (R, M)"""
    rng = np.random.default_rng(seed)
    block_of = np.repeat(np.arange(len(blocks)), blocks)
    n_sub = len(block_of)
    rows = []
    for sub in range(n_sub):
        for _ in range(rows_per_sub):
            p = np.full(n_sub, 1e-6)
            mates = np.flatnonzero((block_of == block_of[sub]) & (np.arange(n_sub) != sub))
            if len(mates):
                p[mates] = leak * rng.dirichlet(np.ones(len(mates)))
            p[sub] = 1.0 - p.sum() + p[sub]
            rows.append(p / p.sum())
    return np.array(rows)


def test__merge_heights__follow_merge_by_confusion_and_fall_at_the_block_count():
    proba = _block_proba([3, 4, 2, 3])
    heights, merges = merge_heights(proba)
    assert heights.shape == (11,) and len(merges) == 11
    for k in (1, 4, 7):  # same groups as the shipped merging at every level
        ours = groups_after(merges, 12, k)
        assert adjusted_rand_score(merge_by_confusion(proba, k), ours) == 1.0
    scores = cluster_count_scores(heights, max_clusters=10)
    assert set(scores) == set(range(2, 11)) and max(scores, key=scores.get) == 4


def test__merge_heights__never_merges_two_anchored_columns():
    proba = _block_proba([2, 2])  # columns 0 and 1 share a block, as do 2 and 3
    heights, merges = merge_heights(proba, n_anchored=2)
    assert len(merges) == 2 and np.isnan(heights[0])  # stops at two groups
    group = groups_after(merges, 4, 2)
    assert group[0] != group[1]
    with pytest.raises(ValueError, match="at least two"):
        merge_heights(np.ones((3, 1)))


@pytest.fixture
def four_blobs() -> np.ndarray:
    """Four far-apart 2-d blobs of 80 rows each, in order. -> X (320, 2)"""
    rng = np.random.default_rng(3)
    centres = [(0, 0), (12, 0), (0, 12), (12, 12)]
    return np.concatenate([rng.normal(c, 1.0, (80, 2)) for c in centres])


def test__no_anchors_and_no_k__the_model_estimates_k_with_its_evidence(four_blobs):
    X = four_blobs
    truth = np.repeat(np.arange(4), 80)
    est = PFNClusterer().fit(X)
    assert est.n_clusters_ == 4 and len(est.classes_) == 4
    assert max(est.n_clusters_scores_, key=est.n_clusters_scores_.get) == 4
    assert min(est.n_clusters_scores_) == 2
    assert adjusted_rand_score(truth, est.labels_) == 1.0


def test__the_estimate__clusters_the_evidences_k_and_the_fit_reuses_it(
        monkeypatch, four_blobs):
    runs = count_clusterings_without_anchors(monkeypatch)
    clear_table_views()
    est = PFNClusterer().fit(four_blobs)
    # The evidence's K agrees with itself: the only one clustered, and the fit returns that
    # clustering as it is (no second run).
    assert runs == [4] and est.n_clusters_agreement_.keys() == {4}
    assert est.n_clusters_ == 4 and est.n_clusters_agreement_[4] >= STABLE_AGREEMENT


def test__where_the_evidences_k_disagrees_with_itself__the_next_candidates_are_tried(
        monkeypatch, four_blobs):
    X = four_blobs
    asked = []

    def agreement(estimator, prepared, k):  # the evidence's K (4) unstable, the next stable
        asked.append(k)
        return 0.1 if k == 4 else (0.9 if len(asked) == 2 else 0.5)

    monkeypatch.setattr(discovery_module, "starts_agreement", agreement)
    est = PFNClusterer().fit(X)
    assert asked[0] == 4 and len(asked) == 4 and len(set(asked)) == 4
    assert est.n_clusters_ == asked[1] and len(est.classes_) == asked[1]
    assert est.n_clusters_agreement_ == {4: 0.1, asked[1]: 0.9, asked[2]: 0.5, asked[3]: 0.5}
    # Candidates are taken by evidence, none below the graph's pieces.
    scores = est.n_clusters_scores_
    assert scores[asked[1]] >= scores[asked[2]] >= scores[asked[3]]


def test__self_consistent_k__keeps_the_evidence_unless_another_k_agrees_far_better():
    scores = {2: 0.92, 31: 0.71, 5: 0.51, 13: 0.50}
    # The evidence's K agrees with itself: it stands, whatever the others do.
    assert self_consistent_k(2, {2: 0.85, 31: 0.99, 5: 0.2, 13: 0.3}, scores) == 2
    # It does not, and another does, far better: that one (many touching clusters).
    assert self_consistent_k(2, {2: 0.02, 31: 0.97, 5: 0.40, 13: 0.55}, scores) == 31
    # Another agrees better but not well enough, or not by enough: the evidence stands.
    assert self_consistent_k(2, {2: 0.10, 31: 0.75, 5: 0.4, 13: 0.5}, scores) == 2
    assert self_consistent_k(2, {2: 0.70, 31: 0.85, 5: 0.4, 13: 0.5}, scores) == 2
    # A tie in agreement goes to more evidence.
    assert self_consistent_k(2, {2: 0.1, 31: 0.9, 5: 0.9, 13: 0.5}, scores) == 31


def test__given_k_or_anchors__no_estimate_is_made(two_blobs):
    X, y = two_blobs
    given = PFNClusterer(n_clusters=2).fit(X)
    anchored = PFNClusterer().fit(X, y)
    assert given.n_clusters_scores_ is None and given.n_clusters_ == 2
    assert anchored.n_clusters_scores_ is None and anchored.n_clusters_ == 2
    assert given.n_clusters_agreement_ is None and anchored.n_clusters_agreement_ is None


def test__max_clusters__bounds_the_candidates_and_is_validated(two_blobs):
    X, _ = two_blobs
    est = PFNClusterer(max_clusters=3).fit(X)
    assert max(est.n_clusters_scores_) <= 3
    with pytest.raises(ValueError, match="max_clusters"):
        PFNClusterer(max_clusters=1).fit(X)


def test__candidates_leave_at_least_two_sub_clusters_per_cluster():
    """A 300-row table gets 15 sub-clusters, so no candidate above 7: a K that leaves most
    clusters one sub-cluster has no merges inside them to rest on (the spirals sample read
    as 29 clusters of 30 sub-clusters): three spiral arms touching at their centre."""
    from pfn_core.prior import FAMILIES

    X, _ = FAMILIES["curves"](np.random.default_rng(6), 600, 3, 2)
    X = X[::2]  # 300 rows
    est = PFNClusterer().fit(X)
    assert max(est.n_clusters_scores_) == 300 // 20 // 2
    assert est.n_clusters_ <= 7


def test__k_is_at_least_the_number_of_pieces_of_the_neighbour_graph():
    # Three parallel strokes with gaps between them: the model's confusion alone read
    # two clusters here (the coarsest fall in its merges), merging two strokes no path joins.
    rng = np.random.default_rng(2)
    X = np.concatenate([np.stack([rng.uniform(0, 10, 150), rng.normal(0, 0.1, 150) + offset], 1)
                        for offset in (0, 2.5, 5)])
    est = PFNClusterer().fit(X)
    assert est.n_clusters_ == 3  # the least K the pieces allow, not the best-scored above it
    strokes = np.repeat([0, 1, 2], 150)
    for stroke in range(3):  # no cluster spans two strokes
        assert not set(est.labels_[strokes == stroke]) & set(est.labels_[strokes != stroke])


def test__a_table_too_short_to_over_seed__takes_the_pieces_of_its_graph_as_k():
    # 3 x 12 rows: too few for sub-clusters of 20 rows, but three groups no link joins.
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(c, 0.1, (12, 2)) for c in (0, 10, 20)])
    est = PFNClusterer().fit(X)
    assert est.n_clusters_ == 3 and est.n_clusters_scores_ == {}
    assert adjusted_rand_score(np.repeat([0, 1, 2], 12), est.labels_) == 1.0


def test__a_table_whose_rows_are_all_the_same__is_one_cluster():
    for row in ((1.0, 1.0), (1.0, 0.0)):  # 100 copies of one row, constant columns either way
        est = PFNClusterer().fit(np.tile(row, (100, 1)))
        assert est.n_clusters_ == 1 and est.k_evidence_is_weak_
        assert (est.labels_ == est.labels_[0]).all()


def test__a_table_with_no_clusters__is_flagged_as_weak_evidence_and_blobs_are_not():
    noise = np.random.default_rng(0).uniform(size=(400, 3))  # one uniform cloud
    est = PFNClusterer().fit(noise)
    assert est.k_evidence_is_weak_ and max(est.n_clusters_scores_.values()) < WEAK_EVIDENCE
    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(c, 0.5, (100, 2)) for c in ((0, 0), (6, 0), (3, 5))])
    assert not PFNClusterer().fit(blobs).k_evidence_is_weak_
    assert not PFNClusterer(n_clusters=3).fit(noise).k_evidence_is_weak_  # K given: no claim


def test__evidence_is_weak__only_below_the_bound_and_in_one_piece():
    assert evidence_is_weak({2: 0.3, 3: 0.5}, pieces=1)
    assert not evidence_is_weak({2: 0.3, 3: WEAK_EVIDENCE}, pieces=1)
    assert not evidence_is_weak({2: 0.3}, pieces=2)  # separate pieces are clusters
    assert not evidence_is_weak({}, pieces=1)  # no estimate, no claim
