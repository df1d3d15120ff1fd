"""The studio's discovery actions in a real browser (issue 15): without anchors the model's own
K is shown with its evidence chart; with anchors for three of the five blobs, a cluster
nobody labelled is named in one action (its surest rows become anchors, saved in the session);
the suggest button selects the rows to label next; Undo takes the naming back; a label typed
next to a suggested row names it.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing, contextmanager

import pytest

from pfn_core.bench.studio_driver import CHROMIUM, CHROMIUM_ARGS, running_studio

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium"),
]
MODEL_MAP = ".st-key-model_map .pfn-map"
COUNTS = ".st-key-cluster_counts"
NAME = "east blob"
THREE_OF_FIVE_BLOBS = "row_id,label\n131,0\n207,1\n306,2\n"  # one anchor each


def _wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def _open_blobs(page, url: str) -> None:
    """The studio on the blobs sample, a table of two columns mapped as it is (no background
    UMAP to wait for)."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator(MODEL_MAP)).to_have_attribute("data-drawn", re.compile("."),
                                                      timeout=180_000)
    _wait_until_idle(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("combobox", name="Sample").click()
    page.get_by_role("option", name="blobs", exact=True).click()
    expect(page.get_by_text("Re-clustered 600 rows from 5 anchors").first).to_be_visible(
        timeout=120_000)
    _wait_until_idle(page)


@contextmanager
def _studio_on_blobs(tmp_path, save_screenshot, failure_png: str):
    """A fresh studio over `tmp_path`, opened in Chromium on the blobs sample (its two columns
    as the map);
    yields the page, saving a full screenshot as `failure_png` if the test fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, running_studio(tmp_path) as url:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        try:
            _open_blobs(page, url)
            yield page
            assert page.locator('[data-testid="stException"]').count() == 0
        except Exception:
            save_screenshot(page, failure_png, full_page=True)
            raise
        finally:
            browser.close()


def _saved_actions(tmp_path) -> list[str]:
    """The session events the studio saved in `tmp_path`'s SQLite file, oldest first."""
    with closing(sqlite3.connect(tmp_path / "anchors.sqlite")) as connection:
        return [a for (a,) in connection.execute(
            "SELECT action FROM session_events ORDER BY id").fetchall()]


def test__model_k__naming_a_new_cluster__suggest_and_undo(tmp_path, save_screenshot):
    from playwright.sync_api import expect

    with _studio_on_blobs(tmp_path, save_screenshot, "discovery_failure.png") as page:

        # No anchors: the model's own K and its evidence.
        page.get_by_role("button", name="Remove example anchors").click()
        expect(page.get_by_text(re.compile(r"The model finds \d+ clusters"))).to_be_visible(
            timeout=120_000)
        expect(page.locator("[data-testid='stVegaLiteChart']")).to_be_visible()
        _wait_until_idle(page)

        # Anchors for three of the five blobs: the other two are candidates to name.
        page.get_by_text("Anchors file and fitted model").click()
        page.locator("input[type='file']").set_input_files(files=[{
            "name": "anchors.csv", "mimeType": "text/csv",
            "buffer": THREE_OF_FIVE_BLOBS.encode()}])
        name_it = page.locator(".st-key-name_it_new_1 button")
        expect(name_it).to_be_visible(timeout=120_000)
        expect(page.locator(".st-key-new_clusters")).to_contain_text("nobody labelled")
        _wait_until_idle(page)
        page.locator(".st-key-name_for_new_1 input").fill(NAME)
        name_it.click()
        expect(page.get_by_text(f"Named cluster “new 1” “{NAME}”")).to_be_visible(
            timeout=120_000)
        expect(page.locator(COUNTS)).to_contain_text(NAME, timeout=120_000)
        expect(page.locator(MODEL_MAP).locator(".pfn-legend")).to_contain_text(NAME)
        _wait_until_idle(page)

        # Suggest: the rows to label next become the selection.
        # (.first: a button with help text is drawn twice, once only to measure it)
        page.locator(".st-key-suggest_rows button").first.click()
        expect(page.get_by_text("10 points selected")).to_be_visible(timeout=60_000)
        _wait_until_idle(page)

        page.get_by_role("button", name="Undo").click()
        expect(page.get_by_text("Undone.")).to_be_visible(timeout=60_000)
        _wait_until_idle(page)
        expect(page.locator(COUNTS)).not_to_contain_text(NAME, timeout=60_000)

    assert _saved_actions(tmp_path)[-2:] == ["assign", "undo"]  # one saved, undone change


def test__a_label_typed_next_to_a_suggested_row__names_it(tmp_path, save_screenshot):
    """The "Which to label next" table takes a label per row; "Assign typed labels" makes the
    row an anchor of that label, saved in the session as one change."""
    from playwright.sync_api import expect

    with _studio_on_blobs(tmp_path, save_screenshot, "typed_labels_failure.png") as page:
        assign = page.get_by_role("button", name="Assign typed labels")
        expect(assign).to_be_visible(timeout=120_000)
        _wait_until_idle(page)
        assign.scroll_into_view_if_needed()  # the table sits just above the button
        page.wait_for_timeout(1000)
        grid = page.locator("[data-testid='stDataFrame']").last
        box = grid.bounding_box()
        assert box is not None
        # A cell of the label column (the second, next to the row number) in one of the
        # top rows of the table, below its toolbar and header.
        page.mouse.dblclick(box["x"] + 100, box["y"] + 35 * 2 + 17)
        editor = page.locator("textarea.gdg-input").first
        editor.wait_for(timeout=30_000)
        editor.fill("typed blob")
        page.keyboard.press("Enter")  # the edit goes to the server with a rerun
        page.wait_for_timeout(500)
        _wait_until_idle(page)
        assign.click()
        expect(page.get_by_text("Named 1 suggested rows (typed blob).")).to_be_visible(
            timeout=120_000)
        expect(page.locator(COUNTS)).to_contain_text("typed blob", timeout=120_000)

    assert _saved_actions(tmp_path)[-1] == "assign"
