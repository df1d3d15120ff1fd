import numpy as np

from pfn_core.calibrate import RawOutput, calibrated, fit_regimes, held_out_report, raw_output
from pfn_core.calibration import apply_temperature


def _three_blobs(n_per: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    y = np.repeat(np.arange(3), n_per)
    return centres[y] + rng.normal(0, 1, (len(y), 2)), y


def test__raw_output__without_anchors_matches_columns_to_classes_and_with_anchors_names_them():
    X, y = _three_blobs()
    none = raw_output(X, y, 0, seed=0)
    assert none.per_class == 0.0 and len(none.truth) == len(X)  # every class matched
    assert (none.proba.argmax(1) == none.truth).mean() > 0.98 and none.cut < 0.05
    one = raw_output(X, y, 1, seed=0, task=7)
    assert one.task == 7 and one.level == 1 and len(one.truth) == len(X) - 3  # anchors out
    assert one.per_class <= 1.0 and (one.proba.argmax(1) == one.truth).mean() > 0.98


def test__raw_output__fits_on_the_anchors_it_is_given_instead_of_drawing_them():
    X, y = _three_blobs()
    patch = np.array([0, 1, 2, 60, 61, 62, 120, 121, 122])  # three rows of each blob
    given = raw_output(X, y, 3, seed=0, anchors=patch)
    assert len(given.truth) == len(X) - len(patch) and given.per_class == 3.0
    drawn = raw_output(X, y, 3, seed=0)
    assert not np.array_equal(given.proba, drawn.proba)  # other anchors, another fit


def _overconfident(task: int, level: int, cut: float) -> RawOutput:
    """A task whose answers were sharpened more the larger its cut."""
    rng = np.random.default_rng(task)
    logits = rng.normal(0, 2.0, (300, 3))
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    truth = np.array([rng.choice(3, p=p) for p in proba])
    sharpened = apply_temperature(proba, 1 / np.exp(0.3 + 2.0 * np.sqrt(cut)))
    return RawOutput(task, level, sharpened, truth, float(level), cut)


def test__fit_regimes__fits_each_regime_on_even_tasks_and_the_report_checks_the_odd_ones():
    outputs = [_overconfident(task, level, cut)
               for task, cut in enumerate(np.linspace(0.0, 0.3, 8)) for level in (1, 10)]
    rule = fit_regimes(outputs)
    assert set(rule) == {"1", "5+"}  # no task had 0 or 2-4 anchors per class
    report = held_out_report(outputs, rule)
    for level in ("1", "10"):
        assert report[level]["after, mean over tasks"] < report[level]["before, mean over tasks"]
    odd = next(o for o in outputs if o.task % 2 == 1)
    assert calibrated(odd, rule).max(1).mean() < odd.proba.max(1).mean()  # softened
    assert calibrated(odd, {}) is odd.proba  # no rule: as it was
    assert fit_regimes([]) == {}  # nothing to fit: no regime
