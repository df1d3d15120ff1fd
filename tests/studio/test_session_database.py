"""The SQLite file on disk: WAL, corrupt files moved aside, the legacy import, and concurrent
writers (threads and processes)."""

import multiprocessing
import sqlite3
import threading
from contextlib import closing

import pytest

from pfn_core.studio.session_log import replay
from pfn_core.studio.sessions import SessionStore

TABLE = "fp-table-1"


def test__store__uses_wal_mode_on_a_real_file(db_path):
    SessionStore(db_path).change("alice", TABLE, {1: "a"})
    with closing(sqlite3.connect(db_path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT row_id, label FROM session_anchors").fetchall() == [
            (1, "a")]


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
