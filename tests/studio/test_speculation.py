"""The next labelling fitted in the background: a guess is the fit itself, renamed."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pfn_core.bench.speed import blobs
from pfn_core.studio import speculation
from pfn_core.studio.fit_result import studio_fit
from pfn_core.studio.samples import load_sample
from pfn_core.studio.speculation import PLACEHOLDER, Guess, Speculator, named_selection


def _pairs(anchors: dict) -> tuple:
    return tuple(sorted(anchors.items()))


def _tables():
    """(X, base anchors, selection): a lasso of one blob beside two labelled blobs, and a
    sample with one to three anchors per class (the discovery reading's range)."""
    rng = np.random.default_rng(3)
    X, truth = blobs(2000)
    base = {int(r): f"blob {c}" for c in (0, 1)
            for r in rng.choice(np.flatnonzero(truth == c), 30, replace=False)}
    yield X, base, rng.choice(np.flatnonzero(truth == 2), 40, replace=False)
    moons = load_sample("moons")
    X = moons.frame[moons.feature_columns].to_numpy(float)
    truth = moons.frame[moons.truth_column].to_numpy()
    yield X, {int(np.flatnonzero(truth == 0)[0]): "left"}, np.flatnonzero(truth == 1)[:2]


@pytest.mark.parametrize("table", range(2))
def test__a_fit_under_the_placeholder__is_the_fit_under_any_name_renamed(table):
    X, base, selection = list(_tables())[table]
    guessed = studio_fit(X, _pairs({**base, **{int(r): PLACEHOLDER for r in selection}}),
                         None, True, 10)
    for name in ("A", "zz top", "blob 0b"):
        real = studio_fit(X, _pairs({**base, **{int(r): name for r in selection}}),
                          None, True, 10)
        renamed = speculation.renamed(guessed, name)
        assert (renamed["labels"] == real["labels"]).all()
        np.testing.assert_array_equal(np.sort(renamed["proba"], 1), np.sort(real["proba"], 1))
        np.testing.assert_array_equal(renamed["suggested"], real["suggested"])


def test__named_selection__matches_only_the_selection_named_by_a_new_label():
    guess = Guess({1: "a", 2: "b", 5: "a"}, frozenset({3, 4, 5}), (True, 10), None)
    assert named_selection({1: "a", 2: "b", 3: "c", 4: "c", 5: "c"}, guess) == "c"
    assert named_selection({1: "a", 2: "b", 3: "a", 4: "a", 5: "a"}, guess) is None  # existing
    assert named_selection({1: "a", 2: "b", 3: "c", 4: "d", 5: "c"}, guess) is None  # two names
    assert named_selection({1: "a", 3: "c", 4: "c", 5: "c"}, guess) is None  # 2 unlabelled
    assert named_selection({1: "a", 2: "b", 3: "c", 4: "c"}, guess) is None  # 5 left out
    existing = Guess({1: "a", 2: "b", 5: "a"}, frozenset({3, 4, 5}), (True, 10), None, "a")
    assert named_selection({1: "a", 2: "b", 3: "a", 4: "a", 5: "a"}, existing) == "a"
    assert named_selection({1: "a", 2: "b", 3: "b", 4: "b", 5: "b"}, existing) is None
    assert named_selection({1: "a", 2: "b", 3: "c", 4: "c", 5: "c"}, existing) is None


def _counting_fit(calls: list, gate: threading.Event | None = None):
    def fit(X, pairs, n_clusters, scale_columns, n_suggestions):
        if gate is not None:
            gate.wait(10)
        calls.append(dict(pairs))
        labels = np.array([dict(pairs).get(r, "other") for r in range(len(X))], dtype=object)
        return {"labels": labels, "proba": np.ones((len(X), 1), np.float32)}
    return fit


def test__result_for__waits_for_the_guess_and_renames_it():
    calls = []
    gate = threading.Event()
    speculator = Speculator(_counting_fit(calls, gate))
    X = np.arange(12.0).reshape(6, 2)
    speculator.guess(X, {0: "a"}, [2, 3], True, 10)
    threading.Timer(0.2, gate.set).start()  # the guess is still running when asked for
    result = speculator.result_for(X, {0: "a", 2: "new", 3: "new"}, True, 10)
    assert list(result["labels"]) == ["a", "other", "new", "new", "other", "other"]
    assert result["guessed"] and calls == [{0: "a", 2: PLACEHOLDER, 3: PLACEHOLDER}]


def test__result_for__gives_none_for_another_table_setting_or_labelling():
    speculator = Speculator(_counting_fit([]))
    X = np.arange(12.0).reshape(6, 2)
    speculator.guess(X, {0: "a"}, [2, 3], True, 10)
    assert speculator.result_for(X + 1, {0: "a", 2: "n", 3: "n"}, True, 10) is None
    assert speculator.result_for(X, {0: "a", 2: "n", 3: "n"}, False, 10) is None
    assert speculator.result_for(X, {0: "a", 2: "a", 3: "a"}, True, 10) is None
    assert speculator.result_for(X, {0: "a", 2: "n", 3: "n"}, True, 10) is not None
    # "other" is a cluster of the guess: the fit under that name is not the guess renamed.
    assert speculator.result_for(X, {0: "a", 2: "other", 3: "other"}, True, 10) is None


def test__a_selection_named_like_a_discovered_cluster__is_fitted_not_renamed():
    """Under the placeholder the model finds a cluster nobody labelled, "new 1"; named
    "new 1" itself, the selection's fit calls that cluster "new 2"."""
    moons = load_sample("moons")
    X = moons.frame[moons.feature_columns].to_numpy(float)
    truth = moons.frame[moons.truth_column].to_numpy()
    selection = np.flatnonzero(truth == 0)[:3]
    speculator = Speculator()
    speculator.guess(X, {}, selection, True, 10)
    assert speculator.result_for(X, {int(r): "new 1" for r in selection}, True, 10) is None
    real = studio_fit(X, _pairs({int(r): "new 1" for r in selection}), None, True, 10)
    assert sorted(set(real["labels"])) == ["new 1", "new 2"]


def test__a_newer_selection_replaces_a_guess_not_yet_started():
    calls = []
    gate = threading.Event()
    speculator = Speculator(_counting_fit(calls, gate))
    X = np.arange(12.0).reshape(6, 2)
    speculator.guess(X, {}, [1], True, 10)  # running (held at the gate)
    speculator.guess(X, {}, [2], True, 10)  # waiting: dropped for the next one
    speculator.guess(X, {}, [3], True, 10)
    gate.set()
    assert speculator.result_for(X, {3: "n"}, True, 10) is not None
    assert speculator.result_for(X, {2: "n"}, True, 10) is None
    assert [sorted(c) for c in calls] == [[1], [3]]


def test__a_guess_that_fails__leaves_the_fit_to_the_caller():
    def failing(*args):
        raise ValueError("too many labels")

    speculator = Speculator(failing)
    X = np.arange(12.0).reshape(6, 2)
    speculator.guess(X, {}, [1], True, 10)
    assert speculator.result_for(X, {1: "n"}, True, 10) is None


def test__an_existing_label_is_guessed_first__and_matched_by_its_own_name():
    calls = []
    gate = threading.Event()
    speculator = Speculator(_counting_fit(calls, gate))
    X = np.arange(12.0).reshape(6, 2)
    speculator.guess(X, {0: "a"}, [2, 3], True, 10, existing="a")
    speculator.guess(X, {0: "a"}, [2, 3], True, 10, existing="a")  # the same: not again
    gate.set()
    extended = speculator.result_for(X, {0: "a", 2: "a", 3: "a"}, True, 10)
    assert list(extended["labels"][:4]) == ["a", "other", "a", "a"] and extended["guessed"]
    assert speculator.result_for(X, {0: "a", 2: "n", 3: "n"}, True, 10) is not None
    assert calls == [{0: "a", 2: "a", 3: "a"}, {0: "a", 2: PLACEHOLDER, 3: PLACEHOLDER}]
