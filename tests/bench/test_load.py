"""The load benchmark: its database check on a real SQLite file, its report, and the short
version in a real browser (the long one, 8 people on 10,000 rows, and the soak are slow)."""

import pytest

from pfn_core.bench.load import LoadReport, Person, check_database, main
from pfn_core.bench.studio_driver import CHROMIUM
from pfn_core.studio.sessions import SessionStore

TABLE = "fp"


def _done(store: SessionStore, person: Person, rows_per_label: dict[str, range]) -> None:
    for label, rows in rows_per_label.items():
        store.change(person.session, TABLE, {r: label for r in rows})
        person.assigned[label] = len(rows)


def test__check_database__passes_when_every_session_holds_exactly_what_it_did(tmp_path):
    store = SessionStore(tmp_path / "db.sqlite")
    alice, bob = Person("a", session="alice"), Person("b", session="bob")
    _done(store, alice, {"a g1": range(0, 10), "a g2": range(10, 20)})
    _done(store, bob, {"b g1": range(0, 10)})
    assert check_database(tmp_path / "db.sqlite", TABLE, [alice, bob]) == []


def test__check_database__finds_a_lost_change_a_foreign_label_and_a_shared_session(tmp_path):
    store = SessionStore(tmp_path / "db.sqlite")
    alice, bob = Person("a", session="alice"), Person("b", session="bob")
    _done(store, alice, {"a g1": range(0, 10)})
    alice.assigned["a g2"] = 5  # the person saw it, the database never got it
    _done(store, bob, {"b g1": range(0, 10)})
    store.change("bob", TABLE, {50: "a g1"})  # alice's label in bob's session
    problems = check_database(tmp_path / "db.sqlite", TABLE, [alice, bob])
    assert any(p.startswith("alice") and "a g2" in p for p in problems)
    assert any(p.startswith("bob") and "a g1" in p for p in problems)
    twin = Person("c", session="alice")
    assert any("same session" in p
               for p in check_database(tmp_path / "db.sqlite", TABLE, [alice, twin]))


def test__load_report__gives_the_ratio_to_the_single_median_and_the_verdict():
    report = LoadReport(single=[1.0, 2.0, 3.0], concurrent=[2.0, 7.0], n_sessions=2,
                        problems=[])
    assert report.worst_over_single_median == 3.5
    text = report.markdown(1000, 2)
    assert "| concurrent | 2 | 2 | 4.50 | 7.00 |" in text
    assert "3.5x" in text and "NOT met" in text and "OK" in text


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__short_load__two_people_at_once_keep_their_own_anchors_and_lose_nothing(capsys):
    assert main(["--rows", "1000", "--sessions", "2", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "| concurrent | 2 | 4 |" in out
    assert "Database check (isolation, nothing lost, logs replay): OK." in out


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__full_load__eight_people_on_ten_thousand_rows(capsys):
    assert main(["--rows", "10000", "--sessions", "8", "--rounds", "3"]) == 0
    out = capsys.readouterr().out
    assert "| concurrent | 8 | 24 |" in out and "check (isolation" in out


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__soak__thirty_minutes_of_bounded_labelling(capsys):
    assert main(["--soak-minutes", "30", "--sessions", "2", "--interval", "20",
                 "--soak-labels", "4"]) == 0
    assert "Database check: OK." in capsys.readouterr().out


def test__soak_report__sets_the_memory_growth_against_the_stated_cache_bound():
    from pfn_core.bench.load import SoakReport
    from pfn_core.studio import cache_bounds

    samples = [(0.0, 300.0), (1.0, 500.0), (2.0, 510.0), (3.0, 530.0)]
    report = SoakReport(samples, changes=6, round_trips=[1.0, 2.0], problems=[],
                        bound_mb=cache_bounds.in_memory_bytes(1000, 2) / cache_bounds.MB)
    assert report.second_half_growth_mb == 20.0
    text = report.markdown()
    assert f"| 3.0 | 530 | {report.bound_mb:.0f} |" in text
    assert "Growth over the second half: 20 MB" in text and "(within it)" in text
    assert "(BEYOND it)" in SoakReport(samples, 6, [1.0], [], bound_mb=10.0).markdown()
