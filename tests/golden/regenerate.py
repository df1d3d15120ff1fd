"""Regenerate the golden predictions of the shipped weights, on purpose:

    python -m tests.golden.regenerate

Run it only after deliberately replacing weights/pfn_clusterer.safetensors, and commit the
new predictions.json together with the new weights.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from pfn_core import SHIPPED_WEIGHTS, PFNClusterer
from pfn_core.prior import FAMILIES

GOLDEN = Path(__file__).with_name("predictions.json")


def golden_dataset():
    """A fixed small dataset: 3 Gaussian clusters in 4-D, 2 anchors each.  X (150, 4), y (150,)"""
    X, truth = FAMILIES["gaussian_mixture"](np.random.default_rng(2024), 150, 3, 4)
    y = np.full(len(X), -1)
    for c in range(3):
        y[np.flatnonzero(truth == c)[:2]] = c
    return X, y


def weights_digest() -> str:
    return hashlib.sha256(SHIPPED_WEIGHTS.read_bytes()).hexdigest()[:16]


def main() -> None:
    X, y = golden_dataset()
    est = PFNClusterer().fit(X, y)
    GOLDEN.write_text(json.dumps({
        "weights_sha256": weights_digest(),
        "labels": est.labels_.tolist(),
        "proba": np.round(est.proba_, 6).tolist(),
    }))


if __name__ == "__main__":
    main()
