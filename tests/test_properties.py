"""Property-based tests (hypothesis): random, messy tables and label vectors fed to the loader,
the feature preparation and the estimator; random anchor files; random sequences of anchor
changes against the session store. Any outcome other than a result or a ValueError with a
message is a failure.

Example counts are small so the default suite stays fast; ``HYPOTHESIS_PROFILE=thorough``
runs ten times as many.
"""

from __future__ import annotations

import io
import os
import tempfile
import unicodedata

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pfn_core import PFNClusterer
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio import tabular_io
from pfn_core.studio.sessions import SessionStore, replay

settings.register_profile("default", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ODD_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-308, 5e-324, 1e308, -1e308, np.nan, np.inf, -np.inf]),
)
ODD_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "n/a", "NaN", "inf", "-1", "1e400", "<b>x</b>", "**y**",
                     "=cmd|' /C calc'!A0", "a,b", 'quote"d', "line\nbreak", "\x00", "ünï"]),
)
CELL = st.one_of(ODD_FLOATS, st.integers(-(2**70), 2**70), ODD_TEXT, st.booleans(), st.none())
COLUMN_NAME = st.one_of(st.text(max_size=8), st.sampled_from(["", "a", "a", "Unnamed: 0",
                                                              "<i>c</i>", " ", "1"]))


@st.composite
def messy_tables(draw) -> pd.DataFrame:
    """(N, C) frames: each column all floats, all text, or mixed cells; odd, repeated names."""
    n_rows = draw(st.integers(1, 12))
    n_columns = draw(st.integers(1, 5))
    names = draw(st.lists(COLUMN_NAME, min_size=n_columns, max_size=n_columns))
    columns = []
    for _ in range(n_columns):
        kind = draw(st.sampled_from([ODD_FLOATS, ODD_TEXT, CELL]))
        columns.append(draw(st.lists(kind, min_size=n_rows, max_size=n_rows)))
    frame = pd.DataFrame(dict(enumerate(columns)))
    frame.columns = names
    return frame


def _message_ok(error: ValueError) -> None:
    assert str(error).strip(), f"{type(error).__name__} without a message"


@given(messy_tables(), st.sampled_from(["t.csv", "t.tsv", "t.parquet"]))
def test__loader__reads_any_table_or_says_why(frame, file_name):
    buffer = io.BytesIO()
    try:
        if file_name.endswith(".parquet"):
            frame.astype(str).to_parquet(buffer)
        else:
            frame.to_csv(buffer, index=False, sep="\t" if file_name.endswith(".tsv") else ",")
    except (ValueError, TypeError):
        return  # pandas itself cannot write this frame; not the loader's concern
    try:
        table = tabular_io.read_table(file_name, buffer.getvalue())
        prepared = tabular_io.prepare_features(table, list(table.columns))
    except ValueError as error:
        _message_ok(error)
        return
    assert len(set(table.columns)) == table.shape[1] and all(table.columns)
    assert prepared.X.shape[0] == len(table) and prepared.X.dtype == np.float64
    assert not np.isinf(prepared.X).any()
    assert len(prepared.feature_names) == prepared.X.shape[1]


@given(messy_tables())
def test__prepare_features__takes_any_frame_or_says_why(frame):
    frame.columns = tabular_io.unique_column_names(frame.columns)
    try:
        prepared = tabular_io.prepare_features(frame, list(frame.columns))
    except ValueError as error:
        _message_ok(error)
        return
    assert prepared.X.shape[0] == len(frame) and not np.isinf(prepared.X).any()


LABEL = st.one_of(st.integers(-1, 3), st.sampled_from(["a", "b", "", "<b>c</b>", None]),
                  st.just(np.nan), st.floats(allow_nan=True, allow_infinity=True))


@given(
    X=st.integers(2, 30).flatmap(lambda n: st.integers(1, 4).flatmap(
        lambda d: st.lists(st.lists(ODD_FLOATS, min_size=d, max_size=d), min_size=n,
                           max_size=n))),
    labels=st.lists(LABEL, min_size=0, max_size=30),
    n_clusters=st.integers(1, 5),
)
@settings(max_examples=25)
def test__estimator__clusters_any_table_and_labels_or_says_why(X, labels, n_clusters):
    X = np.array(X, dtype=np.float64)
    y = (labels + [-1] * len(X))[: len(X)] if labels else None
    try:
        estimator = PFNClusterer(n_clusters=n_clusters).fit(X, y)
    except ValueError as error:
        _message_ok(error)
        return
    assert estimator.labels_.shape == (len(X),)
    assert np.isfinite(estimator.proba_).all()
    assert np.allclose(estimator.proba_.sum(1), 1, atol=1e-4)


LABEL_TEXT = st.text(min_size=1, max_size=40).filter(
    lambda s: s == s.strip() and s and not any(c in s for c in "\r\n\t\x00")
    and all(ord(c) >= 32 and not 127 <= ord(c) < 160 for c in s))
# A label as the studio keeps it: in Unicode's composed form (``anchors.label_name``).
VALID_LABEL = LABEL_TEXT.filter(lambda s: unicodedata.is_normalized("NFC", s))


@given(st.dictionaries(st.integers(0, 499), VALID_LABEL, max_size=30))
def test__anchors_csv__round_trips_any_valid_anchors(anchors):
    assert anchor_ops.anchors_from_csv(anchor_ops.anchors_to_csv(anchors), 500) == anchors


@given(st.dictionaries(st.integers(0, 499), LABEL_TEXT, max_size=30))
@example({0: "\uf900", 1: "cafe\u0301"})  # a compatibility ideograph (CI found it), e + accent
def test__anchors_csv__gives_any_label_back_in_its_composed_form(anchors):
    composed = {row: unicodedata.normalize("NFC", label).strip()
                for row, label in anchors.items()}
    assert anchor_ops.anchors_from_csv(anchor_ops.anchors_to_csv(anchors), 500) == composed


@given(st.text(max_size=200), st.integers(1, 50))
def test__anchors_from_csv__any_text_gives_anchors_in_range_or_a_message(text, n_rows):
    try:
        anchors = anchor_ops.anchors_from_csv(text, n_rows)
    except ValueError as error:
        _message_ok(error)
        return
    assert all(0 <= r < n_rows and label == label.strip() and label
               for r, label in anchors.items())


OPERATION = st.one_of(
    st.tuples(st.just("assign"), st.lists(st.integers(0, 9), max_size=4),
              st.sampled_from(["a", "b", "c"])),
    st.tuples(st.just("remove"), st.lists(st.integers(0, 9), max_size=4), st.none()),
    st.tuples(st.just("clear"), st.none(), st.none()),
    st.tuples(st.just("undo"), st.none(), st.none()),
    st.tuples(st.just("restart"), st.none(), st.none()),
)


@given(st.lists(OPERATION, max_size=15))
@settings(max_examples=20)
def test__session_store__matches_an_in_memory_undo_stack_after_any_changes(operations):
    """Reference: a list of states where every change pushes and undo pops (not below the
    start), as the studio's undo worked in memory; the store must agree after every step,
    across restarts, and its event log must replay to its anchors."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "sessions.sqlite")
        store = SessionStore(path)
        states: list[dict[int, str]] = [{}]
        for action, rows, label in operations:
            current = states[-1]
            if action == "assign":
                new = {**current, **{r: label for r in rows}}
                store.change("s", "t", {r: label for r in rows})
            elif action == "remove":
                new = {r: v for r, v in current.items() if r not in rows}
                store.change("s", "t", {r: None for r in rows})
            elif action == "clear":
                new = {}
                store.change("s", "t", {r: None for r in current})
            elif action == "undo":
                if len(states) > 1:
                    states.pop()
                new = states[-1]
                store.undo("s", "t")
            else:
                store, new = SessionStore(path), current
            if action in ("assign", "remove", "clear") and new != current:
                states.append(new)
            assert store.anchors("s", "t") == states[-1]
            assert replay(store.events("s", "t")) == states[-1]
            assert store.can_undo("s", "t") == (len(states) > 1)
