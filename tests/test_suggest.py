import numpy as np
import pytest

from pfn_core import PFNClusterer
from pfn_core.calibration import apply_temperature, regime_temperature
from pfn_core.suggest import (
    FAR_FROM_LABELS,
    UNSURE,
    covering_rows,
    pick_diverse,
    ranked_proba,
    suggest_rows,
    suggestion_kinds,
    suggestion_scores,
)


def _touching_blobs():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(3, 1, (150, 2)),
                        rng.normal([12, 0], 0.5, (50, 2))])
    y = np.full(350, -1)
    y[[0, 150, 300]] = [0, 1, 2]
    return X, y


def test__suggest_rows__returns_distinct_unlabelled_rows_where_the_model_hesitates():
    X, y = _touching_blobs()
    est = PFNClusterer().fit(X, y)
    rows = suggest_rows(est, X, n_rows=5)
    assert len(rows) == 5 and len(set(rows.tolist())) == 5
    assert not est.anchor_mask_[rows].any()
    assert not np.isin(rows, np.arange(300, 350)).any()  # the far, sure blob is never asked
    median_confidence = np.median(est.confidence_[~est.anchor_mask_])
    assert est.confidence_[rows].mean() < median_confidence


def test__ranked_proba__reads_the_regime_temperature_whatever_the_tables_own():
    X, y = _touching_blobs()
    raw = PFNClusterer(calibrate=False).fit(X, y)
    calibrated = PFNClusterer().fit(X, y)
    free = ~raw.anchor_mask_
    n_classes = len(raw.classes_)
    wanted = apply_temperature(raw.proba_[free], regime_temperature(1.0, n_classes))
    assert calibrated.temperature_ != regime_temperature(1.0, n_classes)
    np.testing.assert_allclose(ranked_proba(calibrated)[free], wanted, atol=1e-9)
    np.testing.assert_array_equal(ranked_proba(raw), raw.proba_)  # not calibrated: as it is
    np.testing.assert_array_equal(suggest_rows(calibrated, X, 5),
                                  suggest_rows(calibrated, X, 5))


def test__suggest_rows__is_deterministic():
    X, y = _touching_blobs()
    est = PFNClusterer().fit(X, y)
    np.testing.assert_array_equal(suggest_rows(est, X, 5), suggest_rows(est, X, 5))


def test__pick_diverse__spreads_the_picks_over_equally_good_spots():
    points = np.concatenate([np.zeros((10, 2)) + [0, 0], np.zeros((10, 2)) + [10, 0]])
    points += np.random.default_rng(0).normal(0, 0.01, points.shape)
    scores = np.r_[np.full(10, 1.0), np.full(10, 0.9)]
    picks = pick_diverse(scores, points, 2, radius=1.0)
    assert {p // 10 for p in picks} == {0, 1}  # without diversity both would come from spot 0


def test__pick_diverse__passes_over_a_spot_already_labelled():
    points = np.concatenate([np.zeros((10, 2)) + [0, 0], np.zeros((10, 2)) + [10, 0]])
    points += np.random.default_rng(0).normal(0, 0.01, points.shape)
    scores = np.r_[np.full(10, 1.0), np.full(10, 0.9)]
    assert pick_diverse(scores, points, 1, radius=1.0)[0] < 10
    picks = pick_diverse(scores, points, 1, radius=1.0, taken=np.array([[0.0, 0.0]]))
    assert picks[0] >= 10  # spot 0 already holds a label


def test__suggestion_scores__prefer_uncertain_and_dense_rows():
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    scores = suggestion_scores(proba, np.array([1.0, 1.0, 0.2]))
    assert scores[0] > scores[2] and scores[0] > scores[1]


def test__suggest_rows__refuses_an_unfitted_estimator_or_another_table(two_blobs):
    X, y = two_blobs
    with pytest.raises(ValueError, match="fit the estimator"):
        suggest_rows(PFNClusterer(), X)
    est = PFNClusterer().fit(X, y)
    with pytest.raises(ValueError, match="fitted on 100"):
        suggest_rows(est, X[:60])
    with pytest.raises(ValueError, match="n_rows"):
        suggest_rows(est, X, n_rows=0)


def test__covering_rows__go_to_dense_places_far_from_every_label():
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2)),
                             rng.normal(10, 0.1, (20, 2))])
    density = np.ones(60)
    density[40:] = 0.01  # the third spot is sparse (outliers)
    picks = covering_rows(points, density, taken=np.array([[0.0, 0.0]]), n_rows=2)
    assert 20 <= picks[0] < 40  # dense and unlabelled first
    assert len(set(picks.tolist())) == 2
    assert covering_rows(points, density, taken=np.zeros((0, 2)), n_rows=1)[0] < 40


def test__suggest_rows__reach_a_group_nobody_labelled():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(3, 1, (150, 2)),
                        rng.normal([0, 14], 0.7, (100, 2))])
    y = np.full(400, -1)
    y[[0, 150]] = [0, 1]  # the third group, far from both, has no label
    est = PFNClusterer().fit(X, y)
    rows = suggest_rows(est, X, n_rows=5)
    assert np.isin(rows, np.arange(300, 400)).any()
    assert not est.anchor_mask_[rows].any() and len(set(rows.tolist())) == 5


def test__suggestion_kinds__name_the_uncertain_rows_first_and_the_covering_ones_last():
    X, y = _touching_blobs()
    est = PFNClusterer().fit(X, y)
    rows = suggest_rows(est, X, n_rows=5)
    kinds = suggestion_kinds(5, len(rows))
    assert kinds == [UNSURE] * 3 + [FAR_FROM_LABELS] * 2
    # The covering rows are far from every label; the uncertain ones are less sure.
    assert est.confidence_[rows[:3]].mean() < est.confidence_[rows[3:]].mean()
    assert suggestion_kinds(5, 1) == [FAR_FROM_LABELS]  # one row left: covering only
    # A table with one free row left: that row, called what suggest_rows made it.
    y_most = np.where(np.arange(len(y)) < len(y) - 1, 0, -1)
    y_most[150:300] = 1
    est = PFNClusterer().fit(X, y_most)
    assert len(suggest_rows(est, X, 5)) == 1
