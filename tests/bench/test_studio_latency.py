import pytest

from pfn_core.bench.studio_latency import CHROMIUM, Round, main, parse_caption, report
from pfn_core.studio.session import run_caption


def test__parse_caption__reads_rows_anchors_and_seconds():
    text = "moons — … Re-clustered 10,000 rows from 12 anchors in 0.71 s (kept …)."
    assert parse_caption(text) == (10_000, 12, 0.71)


def test__parse_caption__reads_the_studio_caption_as_the_studio_writes_it():
    for kept in (False, True):
        for in_metric in (False, True):
            caption = run_caption("moons", "Two arcs.", 10_000, 12, 0.714, kept=kept,
                                  in_metric=in_metric)
            assert parse_caption(caption) == (10_000, 12, 0.71)
            assert ("anchors' own metric" in caption) == in_metric
    no_anchors = run_caption("moons", "Two arcs.", 600, 0, 0.5, kept=False)
    assert parse_caption(no_anchors) == (600, 0, 0.5)
    assert "seeded itself" in no_anchors


def test__parse_caption__says_what_is_missing():
    with pytest.raises(ValueError, match="no re-cluster time"):
        parse_caption("Clustering 600 rows…")


def test__report__has_a_row_per_round_and_the_medians():
    table = report([Round(10, 0.5, 2.0), Round(20, 0.7, 3.0), Round(30, 0.6, 2.5)], 1000, 2)
    assert "| 2 | 20 | 0.70 | 3.00 |" in table
    assert "| median | | 0.60 | 2.50 |" in table


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__studio_latency__times_a_real_recluster_in_the_browser(capsys):
    assert main(["--rows", "1500", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 1 | 10 |" in out and "| median |" in out
