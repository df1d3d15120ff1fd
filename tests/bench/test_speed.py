import numpy as np

from pfn_core.bench.speed import ANCHORS_PER_CLUSTER, N_CLUSTERS, blobs_with_anchors, main


def test__blobs_with_anchors__label_a_few_rows_of_every_blob():
    X, y = blobs_with_anchors(200, 3)
    assert X.shape == (200, 3)
    assert np.bincount(y[y >= 0]).tolist() == [ANCHORS_PER_CLUSTER] * N_CLUSTERS


def test__speed_table__has_one_row_per_size(capsys):
    assert main(["--rows", "300", "--columns", "2", "4", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 300 | 2 |" in out and "| 300 | 4 |" in out
