import pytest

from pfn_core.bench.studio_driver import CHROMIUM
from pfn_core.bench.studio_latency import (
    Measurement,
    Round,
    main,
    parse_caption,
    report,
)
from pfn_core.studio.session import run_caption


def test__parse_caption__reads_rows_anchors_and_seconds():
    text = "moons — … Re-clustered 10,000 rows from 12 anchors in 0.71 s (kept …)."
    assert parse_caption(text) == (10_000, 12, 0.71)


def test__parse_caption__reads_the_studio_caption_as_the_studio_writes_it():
    for kept in (False, True):
        for in_metric in (False, True):
            caption = run_caption("moons", "Two arcs.", 10_000, 1_512, 0.714, kept=kept,
                                  in_metric=in_metric)
            assert parse_caption(caption) == (10_000, 1_512, 0.71)
            assert ("anchors' own metric" in caption) == in_metric
    no_anchors = run_caption("moons", "Two arcs.", 600, 0, 0.5, kept=False)
    assert parse_caption(no_anchors) == (600, 0, 0.5)
    assert "seeded itself" in no_anchors
    upload = run_caption("wine.csv", "178 rows × 15 columns", 178, 0, 0.2, kept=False)
    assert "178 rows × 15 columns\\. Name a few points" in upload  # a sentence of its own


def test__parse_caption__says_what_is_missing():
    with pytest.raises(ValueError, match="no re-cluster time"):
        parse_caption("Clustering 600 rows…")


def test__report__has_the_medians_the_ratio_to_the_reference_and_every_round():
    rounds = [Round(300, 300, 0.5, 2.0, 0.3), Round(610, 310, 0.7, 3.0, 0.4),
              Round(900, 290, 0.6, 2.5, 0.2)]
    table = report([Measurement(10_000, 10, [4.0, 5.0, 6.0], 30.0, 45.5, 3.2, rounds)])
    assert "| 10,000 | 5.00 (4.00-6.00) | 2.50 (2.00-3.00) | 0.50 | 0.60 (0.50-0.70) | " \
           "0.30 (0.20-0.40) | 900 | 30.0 | 45.5 | 3.2 |" in table
    assert "| 10,000 | 2 | 310 | 0.40 | 610 | 0.70 | 3.00 | 5.00 |" in table


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test__studio_latency__times_lassoed_reclusters_and_the_reference_page(capsys):
    assert main(["--rows", "1500", "--rounds", "2", "--lasso", "100"]) == 0
    out = capsys.readouterr().out
    assert "| 1,500 | 2 |" in out and "reference page" in out
