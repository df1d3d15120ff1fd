"""Driving the studio in a real browser, shared by ``bench.studio_latency``, ``bench.load``
and the end-to-end tests: serve ``app.py`` (or another Streamlit script) on a free port with
its own session database and map cache, launch Debian's Chromium through Playwright, wait for
Streamlit to finish a rerun, lasso on the map, and write a table of Gaussian blobs to upload.

The page helpers work with Playwright's sync and async APIs alike: they return what the
Playwright call returns, so async callers ``await`` it (``await wait_until_idle(page)``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pfn_core.bench.speed import blobs

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_START_TIMEOUT_S = 60
LONG_MS = 600_000
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"  # no rerun running
COUNTS = ".st-key-cluster_counts"  # the studio's cluster counts, which name every label
# Whether the counts name `label` yet: for ``page.wait_for_function``, which checks on every
# animation frame (Playwright's expect() checks only 100, 250, 500 and 1,000 ms apart).
COUNTED = f"""(label) => [...document.querySelectorAll('{COUNTS}')]
    .some((element) => element.textContent.includes(label))"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen,
                       timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
    """Poll Streamlit's health endpoint until it answers; fail early if the server died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout_s} s")


@dataclass
class Server:
    """A running ``streamlit run``: its URL, process and folder."""

    url: str
    process: subprocess.Popen
    folder: Path

    def rss_mb(self) -> float:
        """The server's resident memory (VmRSS), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line for the streamlit process")


@contextlib.contextmanager
def serving_studio(folder: Path, app: Path | None = None, extra_env: dict | None = None):
    """Serve the studio (or another Streamlit script `app`) on a free port, its anchors and
    map cache in `folder`; yields a ``Server`` and always stops it afterwards (its output goes
    to folder/streamlit.log)."""
    app = app or REPO_ROOT / "app.py"
    if not app.exists():
        raise FileNotFoundError(f"{app} not found: run this from a checkout of the project.")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PFN_STUDIO_DB": str(folder / "anchors.sqlite"),
           "PFN_STUDIO_CACHE": str(folder / "projections"), **(extra_env or {})}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(folder / "streamlit.log", "ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, process)
            yield Server(url, process, folder)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def running_studio(folder: Path, app: Path | None = None, extra_env: dict | None = None):
    """``serving_studio`` yielding only the URL."""
    with serving_studio(folder, app, extra_env) as server:
        yield server.url


def launch_chromium(playwright):
    """Debian's Chromium, headless, from a sync or async ``playwright``."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def chromium_missing() -> str | None:
    """What to do when Debian's Chromium is not installed, or None when it is."""
    if CHROMIUM.exists():
        return None
    return f"{CHROMIUM} is missing: install Debian's chromium (make chromium) and rerun."


@contextlib.contextmanager
def browser_page(url: str, viewport: dict):
    """A page of a fresh Chromium (sync Playwright) opened on ``url``; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(url)
            yield page
        finally:
            browser.close()


@contextlib.asynccontextmanager
async def async_browser():
    """A fresh Chromium (async Playwright), for one browser context per person; closed
    afterwards."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            yield browser
        finally:
            await browser.close()


def wait_until_idle(page, timeout_ms: int = LONG_MS):
    """Wait until Streamlit has no rerun running on ``page``."""
    return page.wait_for_function(IDLE, timeout=timeout_ms)


def lasso(page, overlay, polygon) -> float:
    """Drag the mouse around `polygon` (fractions of the `overlay` locator's box), closing it,
    as an analyst lassos on the map; returns ``time.monotonic()`` when the button is released.
    Sync Playwright only."""
    overlay.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    box = overlay.bounding_box()
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in polygon]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in [*points[1:], points[0]]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    return time.monotonic()


def write_table(path: Path, n_rows: int, n_columns: int, data: str = "separated") -> None:
    """A CSV of Gaussian blobs (``speed.blobs``, seed 0, `data` "separated" or
    "touching", without their labels), N x C."""
    X, _ = blobs(n_rows, 0, n_columns, data)
    pd.DataFrame(X, columns=[f"x{j}" for j in range(n_columns)]).to_csv(path, index=False)
