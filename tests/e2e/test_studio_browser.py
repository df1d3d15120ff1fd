"""The studio in a real browser: lasso points, name them, and the map and counts change.

Starts ``streamlit run app.py`` on a free port (anchors saved to a temporary SQLite file),
drives it with Playwright and Debian's chromium, and saves a screenshot to ``tests/artifacts/``
(ignored by git). With ``PFN_UPDATE_SCREENSHOT=1`` it also refreshes the README's
``docs/studio.png``, so an ordinary test run leaves the working tree clean.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from pfn_core.bench.studio_driver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    lasso,
    running_studio,
    wait_until_idle,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
NEW_LABEL = "upper moon"
MODEL_MAP = ".st-key-model_map .pfn-map"
KMEANS_MAP = ".st-key-kmeans_map .pfn-map"

pytestmark = pytest.mark.e2e


@pytest.fixture
def studio_url(tmp_path):
    """A running studio on a free port (anchors in tmp_path); always stopped afterwards."""
    with running_studio(tmp_path) as url:
        yield url


def _counts_text(page) -> str:
    return page.locator(".st-key-cluster_counts").last.inner_text()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__lasso_and_name_points__reclusters_the_map_and_keeps_the_zoom(studio_url, tmp_path,
                                                                     save_screenshot):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            page.goto(studio_url)
            model_map = page.locator(MODEL_MAP)
            started = time.monotonic()
            expect(model_map).to_have_attribute("data-drawn", re.compile("."),
                                                  timeout=120_000)
            print(f"first map after {time.monotonic() - started:.1f} s")
            expect(page.locator(KMEANS_MAP)).to_have_attribute("data-drawn", re.compile("."))
            expect(page.locator(".st-key-cluster_counts")).to_be_visible(timeout=60_000)
            main_page = page.locator("[data-testid='stSidebarNav'] span[label='app'] p")
            assert main_page.evaluate(
                "p => getComputedStyle(p, '::after').content") == '"Studio"'
            # The moons' two example anchors go: this analyst names the points themselves.
            drawn = model_map.get_attribute("data-drawn")
            page.get_by_role("button", name="Remove example anchors").click()
            expect(page.get_by_text("from 0 anchors").first).to_be_visible(timeout=60_000)
            expect(model_map).not_to_have_attribute("data-drawn", drawn)
            wait_until_idle(page)
            counts_before = _counts_text(page)
            drawn_before = model_map.get_attribute("data-drawn")

            # Zoom out a little with the wheel (over the middle of the map), so that the lasso
            # below and the re-cluster after it must both keep this view.
            overlay = model_map.locator(".pfn-overlay")
            overlay.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
            box = overlay.bounding_box()
            assert box is not None, "the plot area of the model map is not on screen"
            view_before = model_map.get_attribute("data-view")
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.wheel(0, 120)  # a plain wheel scrolls the page, with a hint
            expect(model_map.locator(".pfn-hint")).to_be_visible()
            assert model_map.get_attribute("data-view") == view_before
            box = overlay.bounding_box()  # where the page scrolled to
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.keyboard.down("Control")
            page.mouse.wheel(0, 120)
            page.keyboard.up("Control")
            expect(model_map).not_to_have_attribute("data-view", view_before)
            zoomed = model_map.get_attribute("data-view")

            # Lasso (the default mode) around the top-left part of the plot area: the left
            # half of the upper moon (a two-column table is mapped as it is).
            lasso(page, overlay, [(0.03, 0.03), (0.25, 0.03), (0.25, 0.44), (0.03, 0.44)])
            expect(page.get_by_text("points selected")).to_be_visible(timeout=30_000)
            selected = int(page.get_by_text("points selected").inner_text().split()[0])
            assert selected > 5

            wait_until_idle(page)  # the selection's rerun is over: its fit has started
            page.get_by_label("…or a new label").fill(NEW_LABEL)
            assign = page.locator(".st-key-assign button")
            expect(assign).to_be_enabled(timeout=10_000)
            assign.click()
            expect(page.get_by_text(f"“{NEW_LABEL}”").first).to_be_visible(timeout=60_000)
            expect(page.locator(".st-key-cluster_counts", has_text=NEW_LABEL).first
                   ).to_be_visible(timeout=60_000)
            page.wait_for_function(  # the rerun is over: no stale copy of the counts left
                "() => document.querySelectorAll('.st-key-cluster_counts').length === 1")
            expect(model_map).not_to_have_attribute("data-drawn", drawn_before)
            expect(model_map.locator(".pfn-legend")).to_contain_text(NEW_LABEL)

            assert _counts_text(page) != counts_before
            # The fit was the one started when the points were selected, named on Assign.
            expect(page.get_by_text("started when the points were selected")).to_be_visible()
            assert model_map.get_attribute("data-view") == zoomed  # zoom survived
            assert page.locator('[data-testid="stException"]').count() == 0

            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.keyboard.down("Control")
            page.mouse.wheel(0, -120)  # back to the whole map for the screenshot
            page.keyboard.up("Control")
            page.mouse.move(box["x"] + box["width"] / 2, 40)  # above the maps: no hover box
            page.mouse.wheel(0, -2000)  # and the page back at its top
            page.wait_for_timeout(500)
            shot = save_screenshot(page, "studio.png")
            if os.environ.get("PFN_UPDATE_SCREENSHOT") == "1":
                shutil.copyfile(shot, REPO_ROOT / "docs" / "studio.png")
        except Exception:
            save_screenshot(page, "studio_failure.png", full_page=True)
            raise
        finally:
            browser.close()
