import numpy as np

from pfn_core.bench import heldout
from pfn_core.prior import FAMILIES


def test__prior_tasks__draw_each_family_reproducibly():
    first = heldout.prior_tasks(1)
    again = heldout.prior_tasks(1)
    assert [name for name, _, _ in first] == [f"{family}/0" for family in FAMILIES]
    for (_, X, y), (_, X2, y2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)
        assert len(X) == len(y) and 2 <= len(np.unique(y)) <= 8


def test__score_task__gives_every_method_an_ari():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(9, 1, (60, 2))])
    scores = heldout.score_task(X, np.repeat([0, 1], 60))
    assert set(scores) == set(heldout.METHODS)
    assert scores["model"] == 1.0 and scores["Ward"] == 1.0


def test__heldout_table__skips_mnist_without_the_shared_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(heldout, "FAMILIES", {"gaussian_mixture": FAMILIES["gaussian_mixture"]})
    assert heldout.main(["--draws", "1", "--shared", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "MNIST subsets skipped" in out and "| prior: gaussian_mixture |" in out


def test__estimate_k_table__first_draw_skips_that_many_draws_of_every_family(monkeypatch):
    from types import SimpleNamespace

    from pfn_core.bench import cliffs

    seen = []
    tiny = (np.zeros((4, 2)), np.array([0, 0, 1, 1]))

    def prior_draw(draw, seed, n_rows=None):
        seen.append(("prior", seed))
        return tiny

    def many_blobs(rng, separation):
        seen.append(("many", separation))
        return tiny

    class Stub:  # every table read as 2 clusters, right
        def fit(self, X):
            return SimpleNamespace(n_clusters_=2, labels_=np.array([0, 0, 1, 1]))

    monkeypatch.setattr(cliffs, "prior_draw", prior_draw)
    monkeypatch.setattr(cliffs, "many_blobs_task", many_blobs)
    monkeypatch.setattr(cliffs, "PFNClusterer", Stub)
    lines = cliffs.estimate_k_table(1, first_draw=2)
    priors = [seed for kind, seed in seen if kind == "prior"]
    assert priors == [cliffs.K_FIRST_SEED + 2] * len(cliffs.FAMILIES)
    assert sum(kind == "many" for kind, _ in seen) == 2 * len(cliffs.MANY_BLOBS)
    assert any(line.startswith("| all prior draws | 8 / 8") for line in lines)
