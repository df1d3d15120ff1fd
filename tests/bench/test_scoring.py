"""The big-table scoring benchmark scores rows of the clusters its clusterer was fitted on."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from pfn_core.bench.scoring import FIT_ROWS, fit_and_save, table_piece
from pfn_core.estimator import PFNClusterer


def test__every_piece_of_the_table__holds_rows_of_the_same_clusters():
    first, first_truth = table_piece(0, 3000)
    second, second_truth = table_piece(1, 3000)
    assert not np.array_equal(first, second)  # other rows...
    for cluster in range(10):  # ...around the same centres (unit noise, 300 rows each)
        gap = first[first_truth == cluster].mean(0) - second[second_truth == cluster].mean(0)
        assert np.abs(gap).max() < 0.5


def test__the_saved_clusterer__labels_another_piece_as_its_true_clusters(tmp_path):
    path = tmp_path / "fitted.safetensors"
    fit_and_save(path, 2 * FIT_ROWS)
    X, truth = table_piece(1, 5000)
    predicted = PFNClusterer.load(path).predict(X, method="carry")
    assert adjusted_rand_score(truth, predicted) > 0.95
