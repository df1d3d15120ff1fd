import pytest

from pfn_core.bench.speed import blobs, draw_targets
from pfn_core.bench.time_split import main, report, timed_fit, transformer_seconds
from pfn_core.model import ClusteringTransformer


def test__transformer_seconds__times_each_call_and_restores_the_methods():
    before = {name: getattr(ClusteringTransformer, name)
              for name in ("encode_context", "predict_queries")}
    X, truth = blobs(600)
    with transformer_seconds() as spent:
        wall, model = timed_fit(X, draw_targets(truth, "5", 0)[0], first=True)
    assert len(spent) >= 2 and model == pytest.approx(sum(spent), rel=0.05)
    assert 0 < model < wall
    assert {name: getattr(ClusteringTransformer, name) for name in before} == before


def test__report__splits_the_wall_time_and_gives_both_ratios():
    results = {1000: {"first": [(1.0, 0.4), (2.0, 0.5)], "recluster": [(0.5, 0.25)],
                      "gmm": [0.5]}}
    table = report(results)
    assert "| 1,000 | first fit | 1.500 | 0.450 | 1.050 | 30% | 0.500 (0.500-0.500) | 3.00 " \
           "| 2.10 |" in table
    assert "| 1,000 | re-cluster | 0.500 | 0.250 | 0.250 | 50% |" in table


def test__main__prints_one_line_per_size_and_fit(capsys):
    assert main(["--rows", "500", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 500 | first fit |" in out and "| 500 | re-cluster |" in out


def test__main__refuses_too_few_rows():
    with pytest.raises(SystemExit):
        main(["--rows", "50"])
