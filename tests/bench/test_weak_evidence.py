import numpy as np
import pytest

from pfn_core.bench.weak_evidence import CLOUDS, group_line, structureless_table


@pytest.mark.parametrize("cloud", CLOUDS)
def test__structureless_tables__are_one_cloud_of_the_stated_size(cloud):
    X = structureless_table(np.random.default_rng(3), cloud)
    assert 100 <= len(X) <= 5000 and X.shape[1] in (2, 3, 5, 10, 30)
    assert np.isfinite(X).all()


def test__structureless_table__refuses_an_unknown_cloud():
    with pytest.raises(ValueError, match="cloud must be one of"):
        structureless_table(np.random.default_rng(0), "rings")


def test__group_line__gives_the_range_median_and_flagged_count():
    line = group_line("clouds", [(0.3, True, 2), (0.5, True, 3), (1.2, False, 4)])
    assert line == "| clouds | 3 | 0.30 | 0.50 | 1.20 | 2 / 3 |"
