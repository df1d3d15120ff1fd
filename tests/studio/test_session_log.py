"""The event log: every change an event, undo newest first across restarts, replay back to
the anchors."""


from pfn_core.studio.session_log import action_for, changes_between, replay
from pfn_core.studio.sessions import SessionStore

TABLE = "fp-table-1"


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


def test__changes_between__and_action_for__name_what_a_change_does():
    change = changes_between({1: "a", 2: "b"}, {2: "c", 3: "c"})
    assert change == {1: None, 2: "c", 3: "c"}
    assert action_for({1: None}, {2: "b"}) == "remove"
    assert action_for({2: "c", 3: "c"}, {2: "c", 3: "c"}) == "assign"
    assert action_for(change, {2: "c", 3: "c"}) == "replace"
    assert action_for({1: None}, {}) == "clear"
