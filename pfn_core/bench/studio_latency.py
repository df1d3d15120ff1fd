"""``python -m pfn_core.bench.studio_latency``: how long a re-cluster takes in the studio,
measured in a real browser, next to a reference page that only redraws two Plotly maps.

For each ``--rows`` N, in one run on this machine (browser and server share its cores, as when
an analyst runs the studio locally):

1. **Reference page**: a Streamlit page with two plain Plotly ``scattergl`` maps of N points
   and a button; a click reruns the page with new colours. Round trip: click to both maps
   redrawn (their ``layout.meta`` is the new round and the page is idle).
2. **Upload, fresh process**: ``streamlit run app.py`` with empty caches; a table of Gaussian
   blobs (``speed.blobs`` without labels, N x ``--columns``; far apart, or touching with
   ``--data touching``) is uploaded.
   Times: to the first clustered map, and (UMAP in the background) to the UMAP map.
3. **Reopened**: a second fresh server on the same cache folder; the same file uploaded again;
   time to the clustered map.
4. **Rounds** on that server: each lassos about ``--lasso`` points around a random row with
   the mouse on the model map (the lasso's size is planned from the drawn points), names them
   as a new label, typed key by key (``--key-ms`` apart, as a person types: the studio starts
   the fit of the selection named as a new label as soon as it is selected,
   ``pfn_core.studio.speculation``), and clicks Assign. Round trip: click to both maps redrawn
   with the new clustering (their ``data-drawn`` changed, the counts show the label, the page
   is idle). ``--key-ms 0`` pastes the label at once, as if the click came with the selection.
   **Server fit**: the time the studio reports for ``PFNClusterer.fit``. **Lasso to
   selection**: from releasing the mouse until the page says how many points are selected.

Every timed wait, on both pages, is checked on each animation frame (``wait_for_function``),
not with Playwright's ``expect``, whose checks come 100, 250, 500 and 1,000 ms apart.

    python -m pfn_core.bench.studio_latency                     # 10,000 rows, 6 rounds
    python -m pfn_core.bench.studio_latency --rows 10000 100000
    python -m pfn_core.bench.studio_latency --rows 2000 --rounds 2 --lasso 100
    python -m pfn_core.bench.studio_latency --key-ms 0          # no time to type the label
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pfn_core.bench.studio_driver import (
    COUNTED,
    LONG_MS,
    browser_page,
    chromium_missing,
    lasso,
    running_studio,
    wait_until_idle,
    write_table,
)

CAPTION_PATTERN = re.compile(r"Re-clustered ([\d,]+) rows from (\d+) anchors in ([\d.]+) s")
MODEL_MAP = ".st-key-model_map .pfn-map"
KMEANS_MAP = ".st-key-kmeans_map .pfn-map"
VIEWPORT = {"width": 1500, "height": 1000}
MIN_LASSO_PX = 8
LASSO_ATTEMPTS = 3  # one run on a loaded machine saw a lasso select nothing (cause unknown)
LASSO_WAIT_MS = 60_000
KEY_MS = 150  # between keys as the label is typed: about 70 words a minute

# The reference page: nothing but two Plotly scattergl maps redrawn after a button click.
REFERENCE_PAGE = """
import os

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(layout="wide")
n_rows = int(os.environ["PFN_REFERENCE_ROWS"])
Y = np.random.default_rng(0).normal(size=(n_rows, 2))
st.session_state.setdefault("round", 0)
st.button("Redraw", key="redraw",
          on_click=lambda: st.session_state.update(round=st.session_state["round"] + 1))
colour = np.random.default_rng(st.session_state["round"]).integers(0, 6, n_rows)
for column, side in zip(st.columns(2), ("left", "right")):
    figure = go.Figure(go.Scattergl(x=Y[:, 0], y=Y[:, 1], mode="markers",
                                    marker=dict(size=5, color=colour, colorscale="Turbo")),
                       layout=dict(height=500, meta=st.session_state["round"]))
    column.plotly_chart(figure, key=f"map_{side}")
st.caption(f"round {st.session_state['round']}")
"""


@dataclass(frozen=True)
class Round:
    anchors: int
    selected: int
    server_seconds: float
    round_trip_seconds: float
    select_seconds: float = float("nan")  # mouse up to "N points selected" on the page


@dataclass(frozen=True)
class Measurement:
    """One table size: the reference page's round trips, the studio's upload times (seconds;
    umap_map None when the first map already was the final one) and its rounds."""

    n_rows: int
    n_columns: int
    reference: list[float]
    first_map: float
    umap_map: float | None
    reopened: float
    rounds: list[Round]


def parse_caption(text: str) -> tuple[int, int, float]:
    """The studio's 'Re-clustered N rows from A anchors in S s' -> (N, A, S)."""
    match = CAPTION_PATTERN.search(text)
    if match is None:
        raise ValueError(f"no re-cluster time in the studio's caption: {text[:200]!r}")
    return int(match[1].replace(",", "")), int(match[2]), float(match[3])


# Playwright's expect() checks again only after 100, 250, 500 and 1,000 ms, which adds up to
# half a second to a measured time (a change made 900 ms after the start was seen at 1,297 ms,
# one made at 1,300 ms at 1,792 ms). Every timed wait here is checked on each animation
# frame instead, as the reference page's is (``wait_for_function``, seen within 20 ms).
# The map's element lives in its component's shadow root (components v2 isolate styles).
_MAP = """(key) => {
  const box = document.querySelector(`.st-key-${key}`);
  if (!box) return null;
  for (const element of [box, ...box.querySelectorAll('*')]) {
    const found = (element.shadowRoot ?? element).querySelector('.pfn-map');
    if (found) return found;
  }
  return null;
}"""
_CLUSTERED = f"""(text) => document.body.textContent.includes(text)
    && !!({_MAP})('model_map')?.dataset.drawn"""
_SELECTED = "() => document.body.textContent.includes('points selected')"
_REDRAWN = f"""([name, before]) => {{
  const counted = ({COUNTED})(name);
  const drawn = ['model_map', 'kmeans_map'].map((key) => ({_MAP})(key)?.dataset.drawn ?? '');
  return counted && drawn.every((value, i) => value !== (before[i] ?? ''));
}}"""


# Reads the drawn map (coordinates cached by the component, its visible range) to find a circle
# around row `seed` holding about `target` points; returns it as fractions of the plot area.
_PLAN_LASSO = """([root, target, seed]) => {
  const points = window.__pfnScatterPoints.get(root.dataset.mapId);
  const [x0, x1, y0, y1] = root.dataset.view.split(",").map(Number);
  const n = points.x.length, centre = seed % n;
  const fx = (i) => (points.x[i] - x0) / (x1 - x0), fy = (i) => (y1 - points.y[i]) / (y1 - y0);
  const cx = fx(centre), cy = fy(centre), distances = new Float64Array(n);
  for (let i = 0; i < n; i++) distances[i] = Math.hypot(fx(i) - cx, fy(i) - cy);
  distances.sort();
  return [cx, cy, distances[Math.min(target, n - 1)]];
}"""


def planned_lasso(page, target: int, seed: int) -> list[tuple[float, float]]:
    """A 24-gon around a random drawn row that should hold about `target` points (at least
    MIN_LASSO_PX in radius, so more in a dense blob), clipped to the plot area."""
    root = page.locator(MODEL_MAP).element_handle()
    cx, cy, radius = page.evaluate(_PLAN_LASSO, [root, target, seed])
    width = page.locator(MODEL_MAP).locator(".pfn-overlay").bounding_box()["width"]
    radius = max(radius * 1.05, MIN_LASSO_PX / width)  # a hand draws no smaller lasso
    return [(min(0.995, max(0.005, cx + radius * math.cos(a))),
             min(0.995, max(0.005, cy + radius * math.sin(a))))
            for a in (2 * math.pi * k / 24 for k in range(24))]


def measure_reference(url: str, rounds: int) -> list[float]:
    """Round trips (s) of the reference page: click to both Plotly maps redrawn."""
    with browser_page(url, VIEWPORT) as page:
        page.get_by_text("round 0").wait_for(timeout=LONG_MS)
        wait_until_idle(page)
        results = []
        for number in range(1, rounds + 1):
            started = time.monotonic()
            page.get_by_role("button", name="Redraw").click()
            page.wait_for_function(
                """(round) => {
                    const plots = [...document.querySelectorAll('.js-plotly-plot')];
                    return plots.length === 2 && plots.every(
                        (p) => p.layout && p.layout.meta === round);
                }""", arg=number, timeout=LONG_MS)
            wait_until_idle(page)
            results.append(time.monotonic() - started)
        return results


def _upload(page, table: Path, n_rows: int) -> float:
    """Upload `table` on the studio's page; seconds until the model map is drawn with the
    table clustered (the caption names its rows)."""
    from playwright.sync_api import expect

    expect(page.locator(MODEL_MAP)).to_have_attribute("data-drawn", re.compile("."),
                                                      timeout=LONG_MS)
    page.get_by_text("Upload a file").click()
    page.wait_for_timeout(500)  # the rerun starts; the uploader is redrawn after it
    wait_until_idle(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload", exact=True).click(force=True)
    started = time.monotonic()
    chooser.value.set_files(str(table))
    page.wait_for_function(_CLUSTERED, arg=f"Re-clustered {n_rows:,} rows", timeout=LONG_MS)
    return time.monotonic() - started


def measure_upload(url: str, table: Path, n_rows: int) -> tuple[float, float | None]:
    """(seconds to the first clustered map, seconds to the UMAP map or None) on a fresh
    server."""
    from playwright.sync_api import expect

    with browser_page(url, VIEWPORT) as page:
        first = _upload(page, table, n_rows)
        started = time.monotonic() - first  # when the file was chosen
        waiting = page.get_by_text("Computing the UMAP map in the background")
        if waiting.count() == 0:
            return first, None
        expect(waiting).to_have_count(0, timeout=LONG_MS)
        page.wait_for_function(_CLUSTERED, arg=f"Re-clustered {n_rows:,} rows",
                               timeout=LONG_MS)
        wait_until_idle(page)
        return first, time.monotonic() - started


def measure_rounds(url: str, table: Path, n_rows: int, rounds: int,
                   lasso_points: int, key_ms: int = KEY_MS) -> tuple[float, list[Round]]:
    """(seconds to the map when the table is opened again, the timed rounds); the label
    is typed `key_ms` apart per key (0: filled in at once)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with browser_page(url, VIEWPORT) as page:
        reopened = _upload(page, table, n_rows)
        wait_until_idle(page)
        caption = page.get_by_text(f"Re-clustered {n_rows:,} rows").first
        overlay = page.locator(MODEL_MAP).locator(".pfn-overlay")
        results = []
        for number in range(1, rounds + 1):
            name = f"group {number}"
            selected = page.get_by_text("points selected")
            for attempt in range(LASSO_ATTEMPTS):  # a lasso that selected nothing: again
                wait_until_idle(page)
                released = lasso(page, overlay, planned_lasso(
                    page, lasso_points, 7919 * number + 104_729 * attempt))
                try:
                    page.wait_for_function(_SELECTED, timeout=LASSO_WAIT_MS)
                    break
                except PlaywrightTimeout:
                    if attempt == LASSO_ATTEMPTS - 1:
                        raise
            wait_until_idle(page)
            select_seconds = time.monotonic() - released
            count = int(selected.inner_text().split()[0])
            label_box = page.get_by_label("…or a new label")
            if key_ms:
                label_box.press_sequentially(name, delay=key_ms)
            else:
                label_box.fill(name)
            before = [page.locator(m).get_attribute("data-drawn")
                      for m in (MODEL_MAP, KMEANS_MAP)]
            started = time.monotonic()
            page.locator(".st-key-assign button").click()
            page.wait_for_function(_REDRAWN, arg=[name, before], timeout=LONG_MS)
            wait_until_idle(page)
            round_trip = time.monotonic() - started
            _, anchors, server = parse_caption(caption.inner_text())
            results.append(Round(anchors, count, server, round_trip, select_seconds))
        return reopened, results


def measure(n_rows: int, n_columns: int, rounds: int, lasso_points: int,
            folder: Path, data: str = "separated", key_ms: int = KEY_MS) -> Measurement:
    """Everything for one table size, servers started and stopped here."""
    page = folder / "reference_page.py"
    page.write_text(REFERENCE_PAGE)
    with running_studio(folder / "reference", app=page,
                        extra_env={"PFN_REFERENCE_ROWS": str(n_rows)}) as url:
        reference = measure_reference(url, rounds)
    table = folder / f"blobs_{n_rows}.csv"
    write_table(table, n_rows, n_columns, data)
    studio = folder / "studio"
    with running_studio(studio) as url:
        first, umap_map = measure_upload(url, table, n_rows)
    with running_studio(studio) as url:  # a fresh process, the same caches on disk
        reopened, results = measure_rounds(url, table, n_rows, rounds, lasso_points, key_ms)
    return Measurement(n_rows, n_columns, reference, first, umap_map, reopened, results)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(measurements: list[Measurement]) -> str:
    """Markdown: a summary table (medians, their range, the ratio to the reference page), then
    every round."""
    lines = [f"Browser and server on one machine ({platform.platform()}, {os.cpu_count()} "
             "cores); medians with (min-max).", "",
             "| rows | reference page (s) | studio round trip (s) | ratio | server fit (s) "
             "| lasso to selection (s) | anchors at the end | first map (s) | UMAP map (s) "
             "| reopened (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for m in measurements:
        trips = [r.round_trip_seconds for r in m.rounds]
        ratio = statistics.median(trips) / statistics.median(m.reference)
        umap = "-" if m.umap_map is None else f"{m.umap_map:.1f}"
        lines.append(f"| {m.n_rows:,} | {_spread(m.reference)} | {_spread(trips)} | "
                     f"{ratio:.2f} | {_spread([r.server_seconds for r in m.rounds])} | "
                     f"{_spread([r.select_seconds for r in m.rounds])} | "
                     f"{m.rounds[-1].anchors:,} | {m.first_map:.1f} | {umap} | "
                     f"{m.reopened:.1f} |")
    lines += ["", "| rows | round | lassoed | lasso to selection (s) | anchors | server fit (s) "
              "| round trip (s) | reference (s) |", "|---|---|---|---|---|---|---|---|"]
    for m in measurements:
        for number, r in enumerate(m.rounds, 1):
            reference = m.reference[number - 1] if number <= len(m.reference) else float("nan")
            lines.append(f"| {m.n_rows:,} | {number} | {r.selected} | {r.select_seconds:.2f} | "
                         f"{r.anchors:,} | "
                         f"{r.server_seconds:.2f} | {r.round_trip_seconds:.2f} | "
                         f"{reference:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.studio_latency",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--lasso", type=int, default=320,
                        help="points per lasso (about; planned from the drawn map)")
    parser.add_argument("--data", choices=["separated", "touching"], default="separated",
                        help="blobs far apart (default) or touching (bench.speed --data)")
    parser.add_argument("--key-ms", type=int, default=KEY_MS,
                        help="milliseconds between keys as the label is typed (0: at once)")
    args = parser.parse_args(argv)
    if missing := chromium_missing():
        print(missing)
        return 2
    measurements = []
    for n_rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            measurements.append(measure(n_rows, args.columns, args.rounds, args.lasso,
                                        Path(folder), args.data, args.key_ms))
        if len(args.rows) > 1:  # a long run: show each size as soon as it is measured
            print(report(measurements[-1:]), "\n", flush=True)
    typed = (f"labels typed {args.key_ms} ms a key" if args.key_ms
             else "labels filled in at once")
    print(f"{args.data.capitalize()} blobs, {args.columns} columns, {typed}.")
    print(report(measurements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
