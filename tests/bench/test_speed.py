import numpy as np
import pytest

from pfn_core.bench.speed import N_CLUSTERS, blobs, cases, draw_targets, main, report


def test__draw_targets__five_per_cluster_or_many_in_three_classes():
    X, truth = blobs(3000)
    assert X.shape == (3000, 16) and X.dtype == np.float32
    y, reference = draw_targets(truth, "5", seed=0)
    assert np.bincount(y[y >= 0]).tolist() == [5] * N_CLUSTERS
    y, reference = draw_targets(truth, "many1000", seed=0)
    assert (y >= 0).sum() == 1000 and set(reference[y >= 0]) == {0, 1, 2}
    assert (draw_targets(truth, "0", seed=0)[0] < 0).all()


def test__cases__time_the_peers_beside_the_model():
    methods = {m for m, _, _ in cases([10_000], ["5"])}
    assert {"first_fit", "recluster", "gmm", "kmeans", "label_spreading"} <= methods
    assert "label_spreading" not in {m for m, _, _ in cases([1_000_000], ["5"])}
    assert "nearest_anchor" in {m for m, _, _ in cases([10_000], ["many1000"])}


def test__report__gives_ratios_to_the_gaussian_mixture():
    results = {("first_fit", 1000, "5"): {"seconds": [1.0, 3.0], "ari": 0.9, "peak_mb": 400},
               ("recluster", 1000, "5"): {"seconds": [0.5], "ari": 0.9, "peak_mb": 400},
               ("gmm", 1000, "5"): {"seconds": [4.0], "ari": 0.5, "peak_mb": 100}}
    table = report(results, [1000], ["5"])
    assert "| 5 per cluster | 1,000 | 2 (1-3) | 0.5 | 4 |" in table
    assert "| 0.50 | 0.12 |" in table


def test__speed_table__runs_each_case_in_a_fresh_process(capsys):
    assert main(["--rows", "400", "--anchors", "5", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 5 per cluster | 400 |" in out and "error" not in out


@pytest.fixture
def case_commands(monkeypatch):
    """The command lines ``speed.measure`` starts, each answered with one timing."""
    import pfn_core.bench.speed as speed

    commands = []

    class Done:
        returncode, stderr, stdout = 0, "", '{"seconds": [0.1], "ari": 1.0, "peak_mb": 1}'

    monkeypatch.setattr(speed.subprocess, "run", lambda command, **_: commands.append(command)
                        or Done())
    return commands


def test__peer_blas_threads__reaches_the_peers_processes_only(case_commands):
    import pfn_core.bench.speed as speed

    for method in ("gmm", "first_fit"):
        speed.measure(method, 400, "5", 1, 2, "cpu", peer_blas_threads=1)
    gmm, model = case_commands
    assert gmm[gmm.index("--peer-blas-threads") + 1] == "1"
    assert "--peer-blas-threads" not in model


def test__columns__reach_each_case_and_set_the_tables_width(case_commands, monkeypatch):
    import pfn_core.bench.speed as speed

    speed.measure("first_fit", 400, "5", 1, 2, "cpu", n_columns=384)
    command = case_commands[0]
    assert command[command.index("--columns") + 1] == "384"
    widths = []
    original = speed.blobs
    monkeypatch.setattr(speed, "blobs", lambda *a, **k: widths.append(k.get("n_columns"))
                        or original(*a, **k))
    assert speed.run_case("kmeans", 400, "5", 1, "cpu", n_columns=40)["seconds"]
    assert widths == [40]


def test__cases__time_only_the_peers_asked_for():
    methods = {m for m, _, _ in cases([10_000], ["5", "0"], peers=("kmeans",))}
    assert methods == {"first_fit", "recluster", "kmeans"}
