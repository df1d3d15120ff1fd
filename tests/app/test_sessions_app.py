"""Labelling sessions in the studio under AppTest (issue 16): the session is in the URL, a
bare address starts a new one, undo works after a restart, and the picker renames,
duplicates, opens and deletes sessions. Every test has its own SQLite file (conftest)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pfn_core.studio import session as studio_session
from pfn_core.studio.sessions import SessionStore

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 120


def open_studio(session_name: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if session_name:
        at.query_params["session"] = session_name
    return at.run()


def assign(at: AppTest, rows, label: str) -> AppTest:
    at.session_state["selection"] = list(rows)
    at.run()
    at.text_input(key="new_label").set_value(label)
    return at.button(key="assign").click().run()


def button(at: AppTest, key: str):
    return at.button(key=key)


def test__bare_address__gets_its_own_session_named_in_the_url_and_page():
    first, second = open_studio(), open_studio()
    assert not first.exception and not second.exception
    name = first.query_params["session"]
    assert name and name != second.query_params["session"]
    assert name in [t.value for t in first.text]
    assign(first, [1, 2], "mine")
    assert "mine" in first.session_state["anchors"].values()
    assert "mine" not in second.run().session_state["anchors"].values()
    assert not any("Restored" in i.value for i in second.info)


def test__change_is_in_the_database_before_the_page_shows_it_and_undo_survives_a_restart():
    at = open_studio("alice")
    examples = dict(at.session_state["anchors"])
    assign(at, [10, 11], "extra")
    store = SessionStore(studio_session.anchor_db_path())
    fingerprint = at.session_state["fingerprint"]
    assert store.anchors("alice", fingerprint) == at.session_state["anchors"]
    assert [e.action for e in store.events("alice", fingerprint)] == ["examples", "assign"]
    restarted = open_studio("alice")  # a new script run with no session state: a restart
    assert restarted.session_state["anchors"] == at.session_state["anchors"]
    restarted.button[[b.label for b in restarted.button].index("Undo")].click().run()
    assert not restarted.exception
    assert restarted.session_state["anchors"] == examples
    assert store.anchors("alice", fingerprint) == examples


def test__picker__renames_duplicates_opens_and_deletes_sessions():
    at = open_studio("alice")
    assign(at, [5], "five")
    at.text_input(key="session_new_name").set_value("alice-moons")
    button(at, "session_rename").click().run()
    assert not at.exception
    assert at.query_params["session"] == "alice-moons"
    assert "five" in at.session_state["anchors"].values()
    at.text_input(key="session_new_name").set_value("copy")
    button(at, "session_duplicate").click().run()
    assert at.query_params["session"] == "copy"
    assert "five" in at.session_state["anchors"].values()
    at.text_input(key="session_new_name").set_value("bad name!")
    button(at, "session_rename").click().run()
    assert any("is not a session name" in e.value for e in at.error)
    assert at.query_params["session"] == "copy"
    at.checkbox(key="session_confirm_delete").check().run()
    button(at, "session_delete").click().run()
    assert not at.exception
    assert at.query_params["session"] not in ("copy", "alice-moons")
    assert "five" not in at.session_state["anchors"].values()
    at.selectbox(key="session_choice").set_value("alice-moons").run()
    button(at, "session_open").click().run()
    assert at.query_params["session"] == "alice-moons"
    assert "five" in at.session_state["anchors"].values()
    names = {s.name for s in SessionStore(studio_session.anchor_db_path()).list_sessions()}
    assert "copy" not in names and "alice-moons" in names


def test__invalid_session_in_the_url__starts_a_new_session_with_a_message():
    at = open_studio("<script>")
    assert not at.exception
    assert at.query_params["session"] != "<script>"
    assert any("is not a session name" in e.value for e in at.error)


def test__corrupt_database__is_moved_aside_and_the_studio_keeps_working(studio_files):
    db = studio_session.anchor_db_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"garbage" * 1000)
    at = open_studio("alice")
    assert not at.exception
    assert any("moved to" in w.value for w in at.warning)
    assert len(list(db.parent.glob(db.name + ".corrupt-*"))) == 1
    assign(at, [3], "after recovery")
    assert "after recovery" in at.session_state["anchors"].values()
