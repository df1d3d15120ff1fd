"""Rows a fitted clusterer has not seen: each scored as the fit scored its own.

``PFNClusterer.predict_proba`` validates the rows and hands them here. Every step is the
fit's own, in the fit's order: the fitted preprocessing (``preprocessing.transform_views``),
then either the transformer against the fit's last context or the carry from the fit's base
landmarks, then the fit's temperature (``calibration``) and the anchors' votes
(``anchor_votes``). Each row's result depends on that row alone, so a table of any length is
scored in chunks (``batch_scoring``) with the same result.

Legend: R=rows, D=columns, K=classes.
"""

from __future__ import annotations

import numpy as np

from pfn_core.calibration import calibrate_proba
from pfn_core.carry import carry_new_rows
from pfn_core.inference import FittedPass, score_rows
from pfn_core.model import ClusteringTransformer
from pfn_core.nearest_landmarks import ATTACH_TREE_EPS
from pfn_core.preprocessing import transform_views

METHODS = ("model", "carry")


def score_new_rows(fitted: FittedPass, model: ClusteringTransformer, X: np.ndarray,
                   method: str = "model", n_ensemble: int = 1,
                   device: str = "cpu") -> np.ndarray:
    """Probabilities of validated rows X (R, D), in the fitted columns' order, columns as
    the fit's classes. -> (R, K)

    method "model": every row runs through the transformer against the fitted context,
    joining the landmark graph as the fit's own rows did (``inference.attach_rows``), then
    takes the fit's temperature and the anchors' votes. "carry": every row takes the fit's
    probabilities of its nearest base landmarks, weighted by 1 / distance
    (``carry.carry_new_rows``); those already hold the temperature and the votes."""
    features, geometry = transform_views(fitted.steps, X)
    if method == "carry":
        return carry_new_rows(fitted.landmark_proba, fitted.scoring.context.paths, geometry)
    attachment = fitted.scoring.context.paths.nearest_base(geometry, ATTACH_TREE_EPS)
    proba = score_rows(model, fitted.scoring, features, geometry, attachment,
                       n_ensemble=n_ensemble, device=device)
    # as the fit's own rows were scaled
    proba = calibrate_proba(proba, np.zeros(len(proba), dtype=bool), fitted.temperature)
    if fitted.votes is not None:  # and heard the anchors' votes
        proba = fitted.votes.fuse(proba, geometry)
    return proba
