"""``python -m pfn_core.bench.load``: the studio under several people at once.

Starts ``streamlit run app.py`` (a temporary session database and map cache), then drives it
with Playwright and Debian's Chromium on loopback, one browser context per person (its own
cookies and Streamlit session, on the bare address, so its own labelling session):

1. **single**: one person opens the studio, uploads a table of Gaussian blobs and, `--rounds`
   times, selects the rows the studio suggests, names them and clicks Assign;
2. **concurrent**: `--sessions` people do the same at once on the same table (they wait for
   each other after the upload, so their labelling overlaps).

A round trip runs from the click on Assign until the new label is on the page and the rerun
has finished. The report gives the median and worst round trip of each phase, then checks
the database against what each person did: every label they assigned is in their session
with as many rows as they selected, no other label is (no session sees another's anchors),
and the session's event log replays to its anchors (no change lost).

``--soak-minutes M`` runs instead a soak: `--sessions` people label and undo in a loop, one
change every `--interval` seconds each (a bounded request rate), for M minutes, sampling the
server's resident memory every `--sample-every` seconds. The report sets the memory's growth
over the second half against the stated bound of the server's caches for the soak's table
(``pfn_core.studio.cache_bounds.in_memory_bytes``): caches filling up may grow it that much,
anything beyond is a leak.

    python -m pfn_core.bench.load                              # 10,000 rows, 8 people
    python -m pfn_core.bench.load --rows 2000 --sessions 3 --rounds 2
    python -m pfn_core.bench.load --soak-minutes 30 --sessions 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pfn_core.bench.studio_driver import (
    COUNTED,
    COUNTS,
    Server,
    async_browser,
    chromium_missing,
    serving_studio,
    wait_until_idle,
    write_table,
)
from pfn_core.studio import cache_bounds
from pfn_core.studio.anchor_store import dataset_fingerprint
from pfn_core.studio.sessions import SessionStore, replay
from pfn_core.studio.tabular_io import read_table

SELECTED = re.compile(r"(\d+) points selected")
ACTION_TIMEOUT_MS = 300_000  # a click may wait for several people's reruns on a busy machine


@dataclass
class Person:
    """What one browser context did: its session, labels and round trips (seconds)."""

    tag: str
    session: str = ""
    assigned: dict[str, int] = field(default_factory=dict)  # label -> rows it holds now
    round_trips: list[float] = field(default_factory=list)
    last_selected: int = 0  # rows named by the latest Assign (what an Undo takes back)
    n_undone: int = 0
    saw_others: list[str] = field(default_factory=list)


async def open_with_table(context, url: str, table: Path, n_rows: int, person: Person):
    """A new page on the bare address, the table uploaded and clustered; records the
    session name the studio gave this person."""
    from playwright.async_api import expect

    page = await context.new_page()
    await page.goto(url)
    await expect(page.locator(COUNTS)).to_be_visible(timeout=600_000)
    await wait_until_idle(page, ACTION_TIMEOUT_MS)
    person.session = page.url.split("session=")[1].split("&")[0]
    await page.get_by_text("Upload a file").click()
    uploader = page.get_by_role("region", name="CSV, TSV, Parquet or Excel")
    await expect(uploader).to_be_visible(timeout=300_000)
    await wait_until_idle(page, ACTION_TIMEOUT_MS)
    async with page.expect_file_chooser() as chooser:
        await uploader.get_by_role("button", name="Upload", exact=True).click(force=True)
    await (await chooser.value).set_files(str(table))
    await expect(page.get_by_text(f"Re-clustered {n_rows:,} rows").first).to_be_visible(
        timeout=600_000)
    await wait_until_idle(page, ACTION_TIMEOUT_MS)
    return page


async def person_page(browser, url: str, table: Path, n_rows: int, person: Person):
    """A browser context of its own for ``person`` and its page with the table open:
    (context, page)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 950})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context, await open_with_table(context, url, table, n_rows, person)


async def label_once(page, label: str, person: Person) -> float:
    """Select the suggested rows, name them ``label``, Assign; returns the round trip."""
    from playwright.async_api import expect

    await page.get_by_role("button", name="Select these rows").click()
    selected = page.get_by_text(SELECTED)
    await expect(selected).to_be_visible(timeout=300_000)
    await wait_until_idle(page, ACTION_TIMEOUT_MS)
    n_selected = int(SELECTED.search(await selected.inner_text())[1])
    await page.get_by_label("…or a new label").fill(label)
    started = time.monotonic()
    await page.locator(".st-key-assign button").click()
    await page.wait_for_function(COUNTED, arg=label, timeout=300_000)  # every frame
    await wait_until_idle(page, ACTION_TIMEOUT_MS)
    seconds = time.monotonic() - started
    person.assigned[label] = person.assigned.get(label, 0) + n_selected
    person.last_selected = n_selected
    person.round_trips.append(seconds)
    return seconds


async def run_people(url: str, table: Path, n_rows: int, people: list[Person],
                     rounds: int) -> None:
    """Every person in ``people`` at once, one browser context each; they start labelling
    together once all have the table."""
    barrier = asyncio.Barrier(len(people))
    async with async_browser() as browser:
        async def one(person: Person) -> None:
            context, page = await person_page(browser, url, table, n_rows, person)
            await barrier.wait()
            for number in range(1, rounds + 1):
                await label_once(page, f"{person.tag} g{number}", person)
            counts = await page.locator(COUNTS).inner_text()
            person.saw_others = [label for other in people if other is not person
                                 for label in other.assigned if label in counts]
            await context.close()

        await asyncio.gather(*(one(person) for person in people))


def check_database(db_path: Path, dataset: str, people: list[Person]) -> list[str]:
    """Problems found comparing the session database with what each person did ([] = none)."""
    store = SessionStore(db_path)
    problems = []
    sessions = [p.session for p in people]
    if len(set(sessions)) != len(sessions):
        problems.append(f"two people got the same session: {sessions}")
    for person in people:
        anchors = store.anchors(person.session, dataset)
        expected = {label: count for label, count in person.assigned.items() if count}
        found: dict[str, int] = {}
        for label in anchors.values():
            found[label] = found.get(label, 0) + 1
        # the suggested rows exclude anchors, so each label keeps exactly the rows it got
        if found != expected:
            problems.append(f"{person.session}: the database holds {found}, the person "
                            f"assigned {expected}")
        if replay(store.events(person.session, dataset)) != anchors:
            problems.append(f"{person.session}: its event log does not replay to its anchors")
        if person.saw_others:
            problems.append(f"{person.session} saw other sessions' labels {person.saw_others}")
    return problems


@dataclass
class LoadReport:
    single: list[float]
    concurrent: list[float]
    n_sessions: int
    problems: list[str]
    load_average: float = 0.0  # the machine's 1-minute load average at the end of the run

    @property
    def worst_over_single_median(self) -> float:
        return max(self.concurrent) / statistics.median(self.single)

    def markdown(self, n_rows: int, n_columns: int) -> str:
        ratio = self.worst_over_single_median
        lines = [
            f"{n_rows:,} rows x {n_columns} columns; browser and server on one machine "
            f"({platform.platform()}, {os.cpu_count()} cores, load average "
            f"{self.load_average:.1f} at the end, other work included).", "",
            "| phase | browser contexts | round trips | median (s) | worst (s) |",
            "|---|---|---|---|---|",
            f"| single | 1 | {len(self.single)} | {statistics.median(self.single):.2f} | "
            f"{max(self.single):.2f} |",
            f"| concurrent | {self.n_sessions} | {len(self.concurrent)} | "
            f"{statistics.median(self.concurrent):.2f} | {max(self.concurrent):.2f} |", "",
            f"Worst concurrent round trip / single median: {ratio:.1f}x (target: under 3x: "
            f"{'met' if ratio < 3 else 'NOT met'}).",
            f"Database check (isolation, nothing lost, logs replay): "
            f"{'OK' if not self.problems else '; '.join(self.problems)}.",
        ]
        return "\n".join(lines)


def run_load(rows: int, columns: int, sessions: int, rounds: int) -> LoadReport:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        table = folder / "blobs.csv"
        write_table(table, rows, columns)
        dataset = dataset_fingerprint(read_table(table.name, table.read_bytes()))
        with serving_studio(folder) as server:
            solo = [Person("solo")]
            asyncio.run(run_people(server.url, table, rows, solo, rounds))
            crowd = [Person(f"p{number}") for number in range(1, sessions + 1)]
            asyncio.run(run_people(server.url, table, rows, crowd, rounds))
        problems = check_database(folder / "anchors.sqlite", dataset, solo + crowd)
    return LoadReport([t for p in solo for t in p.round_trips],
                      [t for p in crowd for t in p.round_trips], sessions, problems,
                      os.getloadavg()[0])


# ---------------------------------------------------------------- soak
@dataclass
class SoakReport:
    samples: list[tuple[float, float]]  # (minutes since start, server RSS in MB)
    changes: int
    round_trips: list[float]
    problems: list[str]
    bound_mb: float = 0.0  # the caches' stated bound for the soak's table (cache_bounds)

    @property
    def second_half_growth_mb(self) -> float:
        """Server RSS at the end minus at the start of the second half (warmed up)."""
        second_half = [rss for _, rss in self.samples[len(self.samples) // 2:]] or [0.0]
        return second_half[-1] - second_half[0]

    def markdown(self) -> str:
        lines = ["| minute | server RSS (MB) | stated cache bound (MB) |", "|---|---|---|"]
        lines += [f"| {minute:.1f} | {rss:.0f} | {self.bound_mb:.0f} |"
                  for minute, rss in self.samples]
        second_half = [rss for _, rss in self.samples[len(self.samples) // 2:]] or [0.0]
        growth = self.second_half_growth_mb
        lines += ["", f"{self.changes} changes; round trip median "
                  f"{statistics.median(self.round_trips):.2f} s, worst "
                  f"{max(self.round_trips):.2f} s; RSS at start of the second half "
                  f"{second_half[0]:.0f} MB, at the end {second_half[-1]:.0f} MB, "
                  f"peak {max(r for _, r in self.samples):.0f} MB.",
                  f"Growth over the second half: {growth:.0f} MB against the caches' stated "
                  f"bound of {self.bound_mb:.0f} MB for this table "
                  f"({'within' if growth <= self.bound_mb else 'BEYOND'} it).",
                  f"Database check: {'OK' if not self.problems else '; '.join(self.problems)}."]
        return "\n".join(lines)


async def soak_people(server: Server, table: Path, n_rows: int, people: list[Person],
                      minutes: float, interval_s: float, sample_every_s: float,
                      samples: list[tuple[float, float]], n_labels: int = 0) -> None:
    """Each person names the suggested rows, one change per ``interval_s``, and undoes every
    second change, for ``minutes``; the server's memory is sampled meanwhile. Label names
    cycle through ``n_labels`` names per person (0: a new name every time, so the number of
    clusters keeps growing)."""
    from playwright.async_api import expect

    started = time.monotonic()
    deadline = started + minutes * 60

    async def sample() -> None:
        while time.monotonic() < deadline:
            samples.append(((time.monotonic() - started) / 60, server.rss_mb()))
            await asyncio.sleep(sample_every_s)

    async with async_browser() as browser:
        async def one(person: Person) -> None:
            context, page = await person_page(browser, server.url, table, n_rows, person)
            number = 0
            while time.monotonic() < deadline:
                tick = time.monotonic()
                number += 1
                name = number % n_labels if n_labels else number
                label = f"{person.tag} s{name}"
                await label_once(page, label, person)
                if number % 2 == 0:  # every other change is undone: history grows too
                    await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - tick)))
                    await page.get_by_role("button", name="Undo").click()
                    await expect(page.locator(COUNTS)).not_to_contain_text(
                        label, timeout=300_000)
                    await wait_until_idle(page, ACTION_TIMEOUT_MS)
                    person.assigned[label] -= person.last_selected
                    person.n_undone += 1
                await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - tick)))
            await context.close()

        await asyncio.gather(sample(), *(one(person) for person in people))
    samples.append(((time.monotonic() - started) / 60, server.rss_mb()))


def run_soak(rows: int, columns: int, sessions: int, minutes: float, interval_s: float,
             sample_every_s: float, n_labels: int = 0) -> SoakReport:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        table = folder / "blobs.csv"
        write_table(table, rows, columns)
        dataset = dataset_fingerprint(read_table(table.name, table.read_bytes()))
        people = [Person(f"soak{number}") for number in range(1, sessions + 1)]
        samples: list[tuple[float, float]] = []
        with serving_studio(folder) as server:
            asyncio.run(soak_people(server, table, rows, people, minutes, interval_s,
                                    sample_every_s, samples, n_labels))
        problems = check_database(folder / "anchors.sqlite", dataset, people)
    trips = [t for p in people for t in p.round_trips]
    changes = sum(len(p.round_trips) + p.n_undone for p in people)
    bound_mb = cache_bounds.in_memory_bytes(rows, columns) / cache_bounds.MB
    return SoakReport(samples, changes, trips, problems, bound_mb)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pfn_core.bench.load",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--soak-minutes", type=float, default=0.0)
    parser.add_argument("--interval", type=float, default=20.0,
                        help="soak: seconds between one person's changes")
    parser.add_argument("--sample-every", type=float, default=60.0,
                        help="soak: seconds between memory samples")
    parser.add_argument("--soak-labels", type=int, default=0,
                        help="soak: label names per person, cycled (0: a new one each change)")
    args = parser.parse_args(argv)
    if missing := chromium_missing():
        print(missing)
        return 2
    if args.soak_minutes > 0:
        soak = run_soak(args.rows, args.columns, args.sessions, args.soak_minutes,
                        args.interval, args.sample_every, args.soak_labels)
        print(soak.markdown())
        return 1 if soak.problems else 0
    report = run_load(args.rows, args.columns, args.sessions, args.rounds)
    print(report.markdown(args.rows, args.columns))
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
