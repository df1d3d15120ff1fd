"""Shared fixtures: every test starts from fixed seeds."""

import random

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def fixed_seeds():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield


@pytest.fixture
def two_blobs():
    """100 points in two far-apart blobs, anchors at rows 0 and 50.  X (100, 2), y (100,)."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))])
    y = np.full(100, -1)
    y[0], y[50] = 0, 1
    return X, y
