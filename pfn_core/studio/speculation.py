"""The next labelling fitted while the analyst types its name.

A lasso on the map is almost always followed by a name for it: the selected rows become the
anchors of one new label. Which name does not matter to the model: labels are only classes to
it, and their codes are handed out by where their anchors lie
(``inference.canonical_class_order``), so a fit of the selection under a stand-in name
(``PLACEHOLDER``) and the fit under the name typed later give the same probabilities to the
last bit and the same clusters, renamed (``tests/studio/test_speculation.py`` checks it).
So the studio starts that fit in the background as soon as a selection is made
(``Speculator.guess``), and the click on Assign finds it done, or waits for the rest of it
(``Speculator.result_for``), instead of starting the fit then.

A selection named with a label used nowhere else among the anchors matches that guess.
Where most of the selected rows are already in one of the user's labels (a lasso that
extends or corrects a label), the studio offers that label first, and the selection named
with it is guessed too, before the new-label guess (``guess(existing=...)``). Any other
change (another existing label, unlabelling, undo) fits on the click as before. Guesses run
one at a time on one background thread: a newer selection drops the guesses not yet
started, and the last ``KEPT_GUESSES`` are kept (for the studio's sessions together).

Legend: N=rows, D=columns, K=clusters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from pfn_core.studio import cache_bounds, result_cache
from pfn_core.studio.fit_result import studio_fit

PLACEHOLDER = "\x00selection"  # no label can hold a control character (anchors.label_name)
KEPT_GUESSES = cache_bounds.GUESSES  # each holds one fit's result and its anchors


@dataclass(frozen=True)
class Guess:
    """One background fit: `base` anchors with the rows `selection` named `name` (None:
    ``PLACEHOLDER``, any new label), on the table whose ``table_key`` the future's result
    carries."""

    base: Mapping[int, str]
    selection: frozenset
    settings: tuple  # (scale_columns, n_suggestions)
    future: Future | None
    name: str | None = None


def table_key(X: np.ndarray, scale_columns: bool) -> str:
    """Names the table X (N, D) and its scaling (the model's identity included)."""
    return result_cache.fit_key(X, (), None, scale_columns)


def named_selection(anchors: Mapping[int, str], guess: Guess) -> str | None:
    """The label `anchors` give the guess's selection, when they are exactly the guess's base
    anchors with the selection named by one label: the guess's own name, or for a new-label
    guess any label used nowhere else; else None."""
    names = {anchors.get(row) for row in guess.selection}
    if len(names) != 1 or None in names:
        return None
    (name,) = names
    if guess.name is not None and name != guess.name:
        return None
    rest = {row: label for row, label in anchors.items() if row not in guess.selection}
    base_rest = {row: label for row, label in guess.base.items() if row not in guess.selection}
    if rest != base_rest or (guess.name is None and name in rest.values()):
        return None
    return name


def renamed(result: dict, name: str) -> dict:
    """A guessed fit's result with ``PLACEHOLDER`` renamed `name` (labels only: the page reads
    the probabilities per row, whatever their column order), marked "guessed"."""
    labels = result["labels"]
    return {**result, "guessed": True, "labels": result_cache.shared_labels(
        np.where(labels == PLACEHOLDER, name, labels))}


class Speculator:
    """Background fits of "the selection named as a new label" (see the module docstring).

    fit: ``studio_fit``'s signature (X, anchor pairs, n_clusters, scale_columns,
    n_suggestions) -> result dict."""

    def __init__(self, fit: Callable = studio_fit, kept: int = KEPT_GUESSES):
        self._fit = fit
        self._kept = kept
        self._guesses: OrderedDict[tuple, Guess] = OrderedDict()
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="pfn-guess")

    def guess(self, X: np.ndarray, anchors: Mapping[int, str], selection: Iterable[int],
              scale_columns: bool, n_suggestions: int, existing: str | None = None) -> None:
        """Start fitting `anchors` with `selection` named as one new label, after fitting it
        named `existing` (one of the anchors' labels) when given; guesses that exist already
        are not fitted again, and those of other selections still waiting are dropped."""
        selection = frozenset(int(r) for r in selection)
        if not selection:
            return
        base = dict(anchors)
        settings = (bool(scale_columns), int(n_suggestions))
        this = (tuple(sorted(base.items())), tuple(sorted(selection)), settings)
        with self._lock:
            for waiting in [key for key, g in self._guesses.items()
                            if key[:3] != this and g.future.cancel()]:
                del self._guesses[waiting]  # not started: the newer selection goes first
            for name in ([existing] if existing is not None else []) + [None]:
                if (*this, name) in self._guesses:
                    continue
                guessed = {**base, **{row: name or PLACEHOLDER for row in selection}}
                future = self._worker.submit(self._run, X, tuple(sorted(guessed.items())),
                                             settings)
                self._guesses[(*this, name)] = Guess(base, selection, settings, future, name)
            while len(self._guesses) > self._kept:
                self._guesses.popitem(last=False)

    def _run(self, X, pairs, settings) -> tuple[str, dict]:
        scale_columns, n_suggestions = settings
        return table_key(X, scale_columns), self._fit(X, pairs, None, scale_columns,
                                                      n_suggestions)

    def result_for(self, X: np.ndarray, anchors: Mapping[int, str], scale_columns: bool,
                   n_suggestions: int) -> dict | None:
        """The fit of `anchors` on X if a guess made it (waiting for it if it is running),
        with the selection's label renamed; None when no guess matches, it failed, or the
        selection's new label is a name the guess gave a new cluster."""
        settings = (bool(scale_columns), int(n_suggestions))
        with self._lock:
            matches = [(g, name) for g in reversed(self._guesses.values())
                       if g.settings == settings and not g.future.cancelled()
                       and (name := named_selection(anchors, g)) is not None]
        if not matches:
            return None
        key = table_key(X, scale_columns)
        for guess, name in matches:
            try:
                guessed_key, result = guess.future.result()
            except Exception:  # the fit asked for reports its own error
                continue
            if guessed_key != key:
                continue
            if guess.name is not None:
                return {**result, "guessed": True}
            if not (result["labels"] == name).any():
                return renamed(result, name)
            # The typed name is one the guess gave a cluster nobody labelled ("new 1"): the
            # fit under that name numbers its new clusters past it, so the click fits.
        return None
