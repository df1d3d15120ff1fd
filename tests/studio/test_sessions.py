"""The labelling-session store: sessions isolated and kept across restarts, tables opened with
examples, bad changes refused, rename, duplicate and delete."""

import pytest

from pfn_core import limits
from pfn_core.studio.sessions import SessionStore, replay

TABLE = "fp-table-1"


def test__sessions__are_isolated_and_survive_a_restart(db_path):
    store = SessionStore(db_path)
    store.change("alice", TABLE, {1: "cats", 2: "dogs"})
    store.change("bob", TABLE, {7: "birds"})
    store.change("alice", "another-table", {0: "x"})
    again = SessionStore(db_path)
    assert again.anchors("alice", TABLE) == {1: "cats", 2: "dogs"}
    assert again.anchors("bob", TABLE) == {7: "birds"}
    assert again.anchors("alice", "another-table") == {0: "x"}
    assert again.anchors("carol", TABLE) == {}


def test__open_table__places_examples_only_the_first_time_and_never_undoes_them(db_path):
    store = SessionStore(db_path)
    assert store.open_table("alice", TABLE, "iris", examples={0: "a", 5: "b"}) == {0: "a", 5: "b"}
    store.change("alice", TABLE, {0: None})
    assert store.open_table("alice", TABLE, "iris", examples={0: "a", 5: "b"}) == {5: "b"}
    assert store.example_rows("alice", TABLE) == {5}
    store.undo("alice", TABLE)  # the removal
    assert store.anchors("alice", TABLE) == {0: "a", 5: "b"}
    assert not store.can_undo("alice", TABLE)
    assert store.undo("alice", TABLE) == {0: "a", 5: "b"}
    # a second person on the same table starts from the examples, not from alice's anchors
    assert store.open_table("bob", TABLE, "iris", examples={0: "a", 5: "b"}) == {0: "a", 5: "b"}


def test__bad_change__raises_and_changes_nothing(db_path):
    store = SessionStore(db_path)
    store.change("alice", TABLE, {1: "a"})
    for bad in ({2: "  "}, {-1: "a"}):
        with pytest.raises(ValueError, match="label|negative"):
            store.change("alice", TABLE, {3: "kept?", **bad})
    with pytest.raises(ValueError, match="session name"):
        store.change("../etc/passwd", TABLE, {1: "a"})
    assert store.anchors("alice", TABLE) == {1: "a"}
    assert len(store.events("alice")) == 1


def test__change__refuses_more_distinct_labels_than_the_limit(db_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_LABELS", 2)
    store = SessionStore(db_path)
    store.change("alice", TABLE, {1: "a", 2: "b"})
    with pytest.raises(ValueError, match="3 distinct labels, over the limit of 2"):
        store.change("alice", TABLE, {3: "c"})
    assert store.change("alice", TABLE, {1: "b", 3: "b"}) == {1: "b", 2: "b", 3: "b"}
    assert len(store.events("alice")) == 2


def test__rename_duplicate_delete__keep_anchors_and_history(db_path):
    store = SessionStore(db_path)
    store.open_table("alice", TABLE, "iris")
    store.change("alice", TABLE, {1: "a"})
    store.change("alice", TABLE, {2: "b"})
    store.rename("alice", "alice-iris")
    assert not store.exists("alice") and store.anchors("alice-iris", TABLE) == {1: "a", 2: "b"}
    store.duplicate("alice-iris", "copy")
    assert store.undo("copy", TABLE) == {1: "a"}  # the copy's undo goes back in its own log
    assert store.anchors("alice-iris", TABLE) == {1: "a", 2: "b"}
    assert store.undo("copy", TABLE) == {}
    assert replay(store.events("copy", TABLE)) == {}
    summaries = {s.name: s for s in store.list_sessions()}
    assert summaries["alice-iris"].n_anchors == 2 and summaries["alice-iris"].tables == ("iris",)
    assert summaries["copy"].n_events == 4
    with pytest.raises(ValueError, match="exists already"):
        store.rename("copy", "alice-iris")
    with pytest.raises(ValueError, match="no session"):
        store.duplicate("nobody", "x")
    store.delete("alice-iris")
    assert [s.name for s in store.list_sessions()] == ["copy"]
    assert store.anchors("alice-iris", TABLE) == {} and store.events("alice-iris") == []
