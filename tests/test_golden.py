import json

import numpy as np
import pytest

from pfn_core import PFNClusterer
from tests.golden.regenerate import GOLDEN, golden_dataset, weights_digest


def test__shipped_weights__reproduce_the_golden_predictions():
    golden = json.loads(GOLDEN.read_text())
    if golden["weights_sha256"] != weights_digest():
        pytest.fail("weights/pfn_clusterer.safetensors changed since the golden predictions were "
                    "made: if on purpose, run `python -m tests.golden.regenerate` and commit.")
    X, y = golden_dataset()
    est = PFNClusterer().fit(X, y)
    np.testing.assert_array_equal(est.labels_, golden["labels"])
    np.testing.assert_allclose(est.proba_, golden["proba"], atol=1e-4)
