"""Labelling sessions in a real browser (issue 16): two people on the bare address get two
sessions that never see each other's anchors; the same URL in another browser context shows
the same anchors; a refresh and a server restart keep them, and undo still works after the
restart. Each browser context is a separate cookie jar and Streamlit session, as two people.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from urllib.parse import parse_qs, urlparse

import pytest

from pfn_core.bench.studio_driver import CHROMIUM, CHROMIUM_ARGS, running_studio

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium"),
]
LABEL = "alpha team"
COUNTS = ".st-key-cluster_counts"


def _session_of(page) -> str:
    return parse_qs(urlparse(page.url).query)["session"][0]


def _open(context, url: str):
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(url)
    expect(page.locator(COUNTS)).to_be_visible(timeout=180_000)
    _wait_until_idle(page)
    page.wait_for_url(re.compile(r"[?&]session="), timeout=30_000)
    return page


def _wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def _label_suggested_rows(page, label: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Select these rows").click()
    expect(page.get_by_text("points selected")).to_be_visible(timeout=60_000)
    _wait_until_idle(page)
    page.get_by_label("…or a new label").fill(label)
    page.locator(".st-key-assign button").click()
    expect(page.locator(COUNTS)).to_contain_text(label, timeout=120_000)
    _wait_until_idle(page)


def test__two_people_refresh_and_restart__sessions_stay_separate_shared_and_saved(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            alice, bob = browser.new_context(), browser.new_context()
            with running_studio(tmp_path) as url:
                page_a = _open(alice, url)
                name_a = _session_of(page_a)
                expect(page_a.locator(".st-key-session_name")).to_contain_text(name_a)
                _label_suggested_rows(page_a, LABEL)

                page_b = _open(bob, url)  # the bare address: a session of bob's own
                name_b = _session_of(page_b)
                assert name_b != name_a
                assert LABEL not in page_b.locator(COUNTS).inner_text()
                assert "Restored" not in page_b.inner_text("body")

                shared = _open(bob, f"{url}/?session={name_a}")  # alice sent bob her link
                expect(shared.locator(COUNTS)).to_contain_text(LABEL, timeout=60_000)
                shared.close()
                page_b.reload()
                expect(page_b.locator(COUNTS)).to_be_visible(timeout=120_000)
                _wait_until_idle(page_b)
                assert _session_of(page_b) == name_b
                assert LABEL not in page_b.locator(COUNTS).inner_text()

                page_a.reload()  # a refresh in the middle of labelling
                expect(page_a.locator(COUNTS)).to_contain_text(LABEL, timeout=120_000)
                assert _session_of(page_a) == name_a
                page_a.close()

            with running_studio(tmp_path) as url:  # the server restarted, same database
                page_a = _open(alice, f"{url}/?session={name_a}")
                expect(page_a.locator(COUNTS)).to_contain_text(LABEL, timeout=60_000)
                page_a.get_by_role("button", name="Undo").click()
                expect(page_a.get_by_text("Undone.")).to_be_visible(timeout=60_000)
                # "Undone." is on the page before the re-cluster redraws the counts
                expect(page_a.locator(COUNTS)).not_to_contain_text(LABEL, timeout=60_000)
                _wait_until_idle(page_a)
                assert page_a.locator('[data-testid="stException"]').count() == 0

            with closing(sqlite3.connect(tmp_path / "anchors.sqlite")) as connection:
                actions = connection.execute(
                    "SELECT action FROM session_events WHERE session = ? ORDER BY id",
                    (name_a,)).fetchall()
                labels_b = connection.execute(
                    "SELECT COUNT(*) FROM session_anchors WHERE session = ? AND label = ?",
                    (name_b, LABEL)).fetchone()[0]
            assert [a for (a,) in actions][-2:] == ["assign", "undo"]
            assert labels_b == 0
        finally:
            browser.close()
