"""The studio in a real browser: lasso points, name them, and the map and counts change.

Starts ``streamlit run app.py`` on a free port (anchors saved to a temporary SQLite file),
drives it with Playwright and Debian's chromium, and saves a screenshot to ``tests/artifacts/``
(ignored by git). With ``PFN_UPDATE_SCREENSHOT=1`` it also refreshes the README's
``docs/studio.png``, so an ordinary test run leaves the working tree clean.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from pfn_core.bench.studio_latency import CHROMIUM, CHROMIUM_ARGS, running_studio

REPO_ROOT = Path(__file__).resolve().parents[2]
NEW_LABEL = "west arc"

pytestmark = pytest.mark.e2e


@pytest.fixture
def studio_url(tmp_path):
    """A running studio on a free port (anchors in tmp_path); always stopped afterwards."""
    with running_studio(tmp_path) as url:
        yield url


def _counts_text(page) -> str:
    return page.locator(".st-key-cluster_counts").inner_text()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__lasso_and_name_points__reclusters_the_map(studio_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(studio_url)
            model_map = page.locator(".st-key-model_map .js-plotly-plot")
            started = time.monotonic()
            expect(model_map).to_be_visible(timeout=120_000)
            print(f"first map after {time.monotonic() - started:.1f} s")
            expect(page.locator(".st-key-cluster_counts")).to_be_visible(timeout=60_000)
            counts_before = _counts_text(page)
            traces_before = model_map.locator(".trace").count()

            # Lasso (the default drag mode) around the top-left corner of the plot area,
            # where the upper end of the left arc lies.
            box = model_map.locator(".nsewdrag").first.bounding_box()
            assert box is not None, "the plot area of the model map is not on screen"
            polygon = [(0.01, 0.01), (0.32, 0.01), (0.32, 0.42), (0.01, 0.42), (0.01, 0.01)]
            points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                      for fx, fy in polygon]
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y, steps=12)
            page.mouse.up()
            expect(page.get_by_text("points selected")).to_be_visible(timeout=30_000)

            page.get_by_label("…or a new label").fill(NEW_LABEL)
            assign = page.locator(".st-key-assign button")
            expect(assign).to_be_enabled(timeout=10_000)
            assign.click()
            expect(page.get_by_text(f"“{NEW_LABEL}”").first).to_be_visible(timeout=60_000)
            expect(page.locator(".st-key-cluster_counts")).to_contain_text(NEW_LABEL,
                                                                           timeout=60_000)
            page.wait_for_timeout(1500)  # let plotly finish drawing before the screenshot

            assert _counts_text(page) != counts_before
            assert model_map.locator(".trace").count() != traces_before or NEW_LABEL in (
                model_map.inner_text())
            assert page.locator('[data-testid="stException"]').count() == 0

            artifacts = REPO_ROOT / "tests" / "artifacts"
            artifacts.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(artifacts / "studio.png"))
            if os.environ.get("PFN_UPDATE_SCREENSHOT") == "1":
                shutil.copyfile(artifacts / "studio.png", REPO_ROOT / "docs" / "studio.png")
        except Exception:
            artifacts = REPO_ROOT / "tests" / "artifacts"
            artifacts.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(artifacts / "studio_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
