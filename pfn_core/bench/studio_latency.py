"""``python -m pfn_core.bench.studio_latency``: how long a re-cluster takes in the studio,
measured in a real browser.

Starts ``streamlit run app.py`` as a subprocess (pfn_core itself never imports Streamlit)
with a temporary anchor database, opens it in Debian's Chromium through Playwright, uploads a
table of Gaussian blobs (``speed.blobs_with_anchors`` without its labels), then `--rounds`
times selects the rows the studio suggests labelling next, names them and clicks Assign.
Each round records:

- **server fit**: the time the studio reports for ``PFNClusterer.fit`` on every row (both
  passes), measured in the server while the browser is busy too;
- **round trip**: from the click on Assign until the studio has finished its rerun and the
  new label is on the page: the fit, the rest of the script, the transfer and the browser
  drawing both maps.

Browser and server share this machine's cores, as when an analyst runs the studio locally.

    python -m pfn_core.bench.studio_latency                  # 10,000 rows, 5 rounds
    python -m pfn_core.bench.studio_latency --rows 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pfn_core.bench.speed import blobs_with_anchors

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_START_TIMEOUT_S = 60
CAPTION_PATTERN = re.compile(r"Re-clustered ([\d,]+) rows from (\d+) anchors in ([\d.]+) s")


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


@contextlib.contextmanager
def running_studio(folder: Path):
    """Serve the studio on a free port, its anchors and map cache in `folder`; yields the URL
    and always stops the server afterwards (its output goes to folder/streamlit.log)."""
    app = REPO_ROOT / "app.py"
    if not app.exists():
        raise FileNotFoundError(f"{app} not found: run this from a checkout of the project.")
    port = free_port()
    env = {**os.environ, "PFN_STUDIO_DB": str(folder / "anchors.sqlite"),
           "PFN_STUDIO_CACHE": str(folder / "projections")}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(folder / "streamlit.log", "wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, server)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@dataclass(frozen=True)
class Round:
    anchors: int
    server_seconds: float
    round_trip_seconds: float


def parse_caption(text: str) -> tuple[int, int, float]:
    """The studio's 'Re-clustered N rows from A anchors in S s' -> (N, A, S)."""
    match = CAPTION_PATTERN.search(text)
    if match is None:
        raise ValueError(f"no re-cluster time in the studio's caption: {text[:200]!r}")
    return int(match[1].replace(",", "")), int(match[2]), float(match[3])


def _wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def measure(url: str, table: Path, n_rows: int, rounds: int) -> list[Round]:
    """Upload `table` to the studio at `url` and time `rounds` re-clusters."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url)
            expect(page.locator(".st-key-model_map .js-plotly-plot")).to_be_visible(
                timeout=120_000)
            page.get_by_text("Upload a file").click()
            page.wait_for_timeout(500)  # the rerun starts; the uploader is redrawn after it
            _wait_until_idle(page)
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name="Upload", exact=True).click(force=True)
            chooser.value.set_files(str(table))
            caption = page.get_by_text(f"Re-clustered {n_rows:,} rows").first
            expect(caption).to_be_visible(timeout=300_000)
            _wait_until_idle(page)
            results = []
            for number in range(1, rounds + 1):
                name = f"group {number}"
                page.get_by_role("button", name="Select these rows").click()
                expect(page.get_by_text("points selected")).to_be_visible(timeout=60_000)
                _wait_until_idle(page)
                page.get_by_label("…or a new label").fill(name)
                started = time.monotonic()
                page.locator(".st-key-assign button").click()
                expect(page.locator(".st-key-cluster_counts")).to_contain_text(
                    name, timeout=120_000)
                _wait_until_idle(page)
                round_trip = time.monotonic() - started
                _, anchors, server = parse_caption(caption.inner_text())
                results.append(Round(anchors, server, round_trip))
            return results
        finally:
            browser.close()


def write_table(path: Path, n_rows: int, n_columns: int) -> None:
    X, _ = blobs_with_anchors(n_rows, n_columns)
    pd.DataFrame(X, columns=[f"x{j}" for j in range(n_columns)]).to_csv(path, index=False)


def report(results: list[Round], n_rows: int, n_columns: int) -> str:
    """Markdown table of the rounds and their medians."""
    lines = [f"{n_rows:,} rows x {n_columns} columns; browser and server on one machine "
             f"({platform.platform()}, {os.cpu_count()} cores).", "",
             "| round | anchors | server fit (s) | round trip (s) |", "|---|---|---|---|"]
    for number, result in enumerate(results, 1):
        lines.append(f"| {number} | {result.anchors} | {result.server_seconds:.2f} | "
                     f"{result.round_trip_seconds:.2f} |")
    lines.append(f"| median | | {statistics.median(r.server_seconds for r in results):.2f} | "
                 f"{statistics.median(r.round_trip_seconds for r in results):.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.studio_latency",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) and rerun.")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        table = folder / "blobs.csv"
        write_table(table, args.rows, args.columns)
        with running_studio(folder) as url:
            results = measure(url, table, args.rows, args.rounds)
    print(report(results, args.rows, args.columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
