"""The labelling-session store on a real SQLite file: WAL, events, replay, undo across restarts,
corrupt files, and concurrent writers (threads and processes)."""

import multiprocessing
import sqlite3
import threading
from contextlib import closing

import numpy as np
import pytest

from pfn_core import limits
from pfn_core.studio.sessions import (
    SessionStore,
    changes_between,
    check_session_name,
    random_session_name,
    replay,
)

TABLE = "fp-table-1"


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "state" / "sessions.sqlite"


def test__store__uses_wal_mode_on_a_real_file(db_path):
    SessionStore(db_path).change("alice", TABLE, {1: "a"})
    with closing(sqlite3.connect(db_path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT row_id, label FROM session_anchors").fetchall() == [
            (1, "a")]


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


def test__every_change_is_an_event_and_replaying_them_gives_the_anchors(db_path):
    store = SessionStore(db_path)
    store.open_table("alice", TABLE, "t", examples={9: "ex"})
    store.change("alice", TABLE, {1: "a", 2: "a"})
    store.change("alice", TABLE, {2: "b", 3: "b"})
    store.change("alice", TABLE, {1: None})
    store.change("alice", TABLE, {3: "b"})  # changes nothing: logs nothing
    store.undo("alice", TABLE)
    events = store.events("alice", TABLE)
    assert [e.action for e in events] == ["examples", "assign", "assign", "remove", "undo"]
    third = events[2]
    assert third.rows == (2, 3) and third.labels == ("b", "b") and third.before == ("a", None)
    assert events[-1].undoes == events[3].id
    assert all(e.at.endswith("+00:00") for e in events)
    assert replay(events) == store.anchors("alice", TABLE) == {1: "a", 2: "b", 3: "b", 9: "ex"}
    assert replay(events, upto=events[1].id) == {1: "a", 2: "a", 9: "ex"}


def test__undo__works_newest_first_across_restarts_and_after_new_changes(db_path):
    SessionStore(db_path).change("alice", TABLE, {1: "a"})
    SessionStore(db_path).change("alice", TABLE, {2: "b"})
    SessionStore(db_path).change("alice", TABLE, {}, action="clear")  # nothing: no event
    store = SessionStore(db_path)
    store.change("alice", TABLE, changes_between({1: "a", 2: "b"}, {}))  # Clear
    assert store.anchors("alice", TABLE) == {}
    assert SessionStore(db_path).undo("alice", TABLE) == {1: "a", 2: "b"}  # after a restart
    assert SessionStore(db_path).undo("alice", TABLE) == {1: "a"}
    store.change("alice", TABLE, {3: "c"})
    assert store.undo("alice", TABLE) == {1: "a"}
    assert store.undo("alice", TABLE) == {}
    assert not store.can_undo("alice", TABLE)
    assert store.undo("alice", TABLE) == {}


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


@pytest.mark.parametrize("name", ["", " ", "-lead", "a/b", "a b", "é", "x" * 49, "<b>", None])
def test__check_session_name__refuses_names_unsafe_in_a_url(name):
    with pytest.raises(ValueError, match="is not a session name"):
        check_session_name(name)


def test__random_session_name__is_a_valid_name():
    rng = np.random.default_rng(0)
    names = {random_session_name(rng) for _ in range(50)}
    assert len(names) == 50 and all(check_session_name(n) == n for n in names)


def test__garbage_file__is_moved_aside_with_a_message_and_a_fresh_store_works(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    store = SessionStore(db_path)
    assert store.moved_to is not None and store.moved_to.exists()
    assert store.moved_to.read_bytes().startswith(b"this is not a database")
    assert str(store.moved_to) in store.recovery_message
    assert str(db_path) in store.recovery_message
    assert store.change("alice", TABLE, {1: "a"}) == {1: "a"}
    assert SessionStore(db_path).recovery_message is None


def test__damaged_pages_in_a_real_database__are_detected_at_start(db_path):
    store = SessionStore(db_path)
    for number in range(300):
        store.change(f"user-{number % 5}", TABLE, {number: "label " * 20})
    with closing(sqlite3.connect(db_path)) as connection:  # fold the WAL into the main file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db_path.read_bytes())
    assert len(data) > 4 * 4096
    data[4096:len(data) - 4096] = bytes(len(data) - 8192)  # zero every page but first and last
    db_path.write_bytes(bytes(data))
    recovered = SessionStore(db_path)
    assert recovered.moved_to is not None
    assert recovered.list_sessions() == []
    assert recovered.change("alice", TABLE, {1: "a"}) == {1: "a"}


def test__threads__writing_many_sessions_and_one_shared_session__lose_nothing(db_path):
    store = SessionStore(db_path)
    n_threads, n_changes = 8, 25
    errors = []

    def work(worker: int):
        try:
            for step in range(n_changes):
                store.change(f"user-{worker}", TABLE, {step: f"w{worker}"})
                store.change("shared", TABLE, {worker * 1000 + step: f"w{worker}"})
                if step % 5 == 4:
                    store.undo(f"user-{worker}", TABLE)
        except Exception as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    shared = store.anchors("shared", TABLE)
    assert len(shared) == n_threads * n_changes
    assert replay(store.events("shared", TABLE)) == shared
    for worker in range(n_threads):
        mine = store.anchors(f"user-{worker}", TABLE)
        assert mine == {s: f"w{worker}" for s in range(n_changes) if s % 5 != 4}
        assert replay(store.events(f"user-{worker}", TABLE)) == mine


def _write_from_a_process(path: str, worker: int, n_changes: int) -> None:
    store = SessionStore(path)
    for step in range(n_changes):
        store.change("shared", TABLE, {worker * 1000 + step: f"p{worker}"})


def test__processes__writing_one_session_at_once__lose_nothing(db_path):
    SessionStore(db_path)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_from_a_process, args=(str(db_path), w, 30))
               for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    store = SessionStore(db_path)
    assert len(store.anchors("shared", TABLE)) == 90
    assert len(store.events("shared", TABLE)) == 90


def test__anchors_saved_before_sessions__are_imported_into_one_session(db_path):
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path)) as connection, connection:
        connection.executescript(
            "CREATE TABLE anchor_sets (fingerprint TEXT PRIMARY KEY, updated_at TEXT NOT NULL);"
            "CREATE TABLE anchors (fingerprint TEXT NOT NULL, row_id INTEGER NOT NULL, "
            "label TEXT NOT NULL, PRIMARY KEY (fingerprint, row_id));"
            "INSERT INTO anchors VALUES ('t1', 3, 'cats'), ('t1', 4, 'dogs'), ('t2', 0, 'x');")
    store = SessionStore(db_path)
    assert store.anchors("saved-before-sessions", "t1") == {3: "cats", 4: "dogs"}
    assert store.anchors("saved-before-sessions", "t2") == {0: "x"}
    SessionStore(db_path)  # opening again imports nothing twice
    assert len(store.events("saved-before-sessions")) == 2


def test__database_path_that_cannot_be_created__says_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="PFN_STUDIO_DB"):
        SessionStore(blocker / "sessions.sqlite")
