"""What to label next: rows whose labels should help the model most.

``suggest_rows`` mixes two kinds of rows, as an analyst needs both:

- most of them (3 of 5) are rows the model hesitates about, ranked by three things at once:
  - uncertain: a small margin between the two likeliest classes of the fitted ``proba_``;
  - representative: the row sits where the data is dense (close to its neighbours, measured
    against a sample of the table in the model's own geometry), so its label speaks for
    many rows, not for an outlier;
  - diverse: the list is built greedily, and a row close to one already chosen, or to a
    row already labelled, counts for less, so the suggestions are not all from one spot;
- the rest (``COVER_SHARE``, 2 of 5) cover the table: dense rows far from every label
  (greedily, density x distance to the nearest labelled or chosen row). Rows the model
  hesitates about sit on the borders between clusters; labels only there, round after
  round, teach a model trained on anchors drawn at random over each cluster less than the
  same number drawn at random (``bench.suggest --heldout``, in BENCHMARKS.md), and they
  never reach a cluster nobody has labelled yet.

The margin is read from the model's probabilities under the per-regime temperature of
``calibration.REGIME_TEMPERATURES`` (``ranked_proba``), not under the table's own
temperature that scales ``proba_``: the settings below were chosen on margins scaled that
way, and the softer the margins, the more density counts. Candidates for the first kind
are the 20 x n_rows most uncertain rows; score = (1 - margin)
x density rank among them, and each pick, as each label before it, damps the rest by how
close they are to it (factor min(1, distance / ``DIVERSITY_RADIUS`` typical neighbour
distances)). Candidates for the second are the first ``REFERENCE_ROWS`` unlabelled rows in
content order. No randomness is involved. The settings were chosen on the dev suite
(``python -m pfn_core.bench.suggest``) and checked on held-out tables (``--heldout``); see
BENCHMARKS.md for both.

Legend: N=rows, G=geometry columns, P=candidate pool, R=reference rows, C=cover candidates.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from pfn_core.calibration import apply_temperature, regime_temperature
from pfn_core.prepared_inputs import prepare_inputs

POOL_PER_ROW = 20  # candidates: the 20 x n_rows most uncertain rows
REFERENCE_ROWS = 2000  # density is measured against this many rows (content order)
DENSITY_NEIGHBOURS = 10
DIVERSITY_RADIUS = 3.0  # in units of the typical distance to the 10th neighbour
COVER_SHARE = 0.4  # this share of the suggestions (2 of 5, rounded down) covers the table


def suggestion_scores(proba: np.ndarray, density_rank: np.ndarray) -> np.ndarray:
    """(1 - margin between the two likeliest classes) x density rank in [0, 1].

    proba (N, K), density_rank (N,) -> (N,) higher = better to label"""
    if proba.shape[1] < 2:
        return density_rank.astype(np.float64)
    top_two = np.sort(proba, axis=1)[:, -2:]
    uncertainty = 1.0 - (top_two[:, 1] - top_two[:, 0])
    return uncertainty * density_rank


def local_density(geometry: np.ndarray, rows: np.ndarray, reference: np.ndarray,
                  n_neighbours: int = DENSITY_NEIGHBOURS,
                  tree: cKDTree | None = None) -> tuple[np.ndarray, float]:
    """Inverse mean distance of `rows` to their nearest reference rows.

    geometry (N, G), rows (P,), reference (R,) -> (density (P,), typical distance: the
    median distance of a reference row to its n_neighbours-th neighbour). `tree`: the k-d
    tree over geometry[reference], when the caller has built it already."""
    tree = cKDTree(geometry[reference]) if tree is None else tree
    k = min(n_neighbours + 1, len(reference))
    distances, _ = tree.query(geometry[rows], k=k)
    distances = np.atleast_2d(distances)[:, 1:] if k > 1 else np.atleast_2d(distances)
    typical_rows, _ = tree.query(geometry[reference[:200]], k=k)
    typical = float(np.median(np.atleast_2d(typical_rows)[:, -1]))
    return 1.0 / (distances.mean(1) + 1e-12), max(typical, 1e-12)


def pick_diverse(scores: np.ndarray, points: np.ndarray, n_rows: int, radius: float,
                 taken: np.ndarray | None = None) -> np.ndarray:
    """Greedy picks: the best score, then the best score damped by closeness to any pick or
    to a point already `taken` (factor min(1, distance / radius)).

    scores (P,), points (P, G), taken (T, G) or None -> (n,) positions"""
    damped = scores.astype(np.float64).copy()
    nearest = np.full(len(scores), np.inf)
    if taken is not None and len(taken):
        nearest, _ = cKDTree(taken).query(points)
    chosen: list[int] = []
    for _ in range(min(n_rows, len(scores))):
        gain = damped * np.minimum(1.0, nearest / radius)
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        nearest = np.minimum(nearest, np.linalg.norm(points - points[best], axis=1))
    return np.asarray(chosen, dtype=np.int64)


def covering_rows(points: np.ndarray, density: np.ndarray, taken: np.ndarray,
                  n_rows: int) -> np.ndarray:
    """Greedy picks that cover the table: each time the candidate with the most density x
    distance to the nearest taken or picked point (the densest first when nothing is taken).

    points (C, G), density (C,), taken (T, G) -> (n,) positions into points"""
    if len(taken):
        far, _ = cKDTree(taken).query(points)
    else:
        far = np.ones(len(points))
    far = np.asarray(far, dtype=np.float64)
    chosen: list[int] = []
    for _ in range(min(n_rows, len(points))):
        score = density * far
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        far = np.minimum(far, np.linalg.norm(points - points[best], axis=1))
    return np.asarray(chosen, dtype=np.int64)


def ranked_proba(estimator) -> np.ndarray:
    """The probabilities the suggestions read margins from: the fit's ``proba_`` with its
    table's temperature (``temperature_``) undone on the rows that are not anchors and the
    regime's temperature (``calibration.regime_temperature``) applied instead; as they are
    when the fit was not calibrated. -> (N, K)"""
    proba = estimator.proba_
    temperature = getattr(estimator, "temperature_", None)
    if temperature is None:
        return proba
    free = ~estimator.anchor_mask_
    n_classes = proba.shape[1]
    # (without anchors the regime's temperature is 1: the raw softmax, as before)
    regime = regime_temperature(estimator.anchor_mask_.sum() / n_classes, n_classes)
    ranked = proba.copy()
    ranked[free] = apply_temperature(proba[free], regime / temperature)
    return ranked


UNSURE = "the model is unsure"
FAR_FROM_LABELS = "far from every label"


def suggestion_kinds(n_rows: int, n_returned: int) -> list[str]:
    """Why each of the `n_returned` rows that ``suggest_rows(..., n_rows)`` returned was
    suggested, in its order: ``UNSURE`` for the uncertain ones (first), ``FAR_FROM_LABELS``
    for the covering ones (last, int(COVER_SHARE x n_rows) of them, fewer only when fewer
    rows were left). -> (n_returned,) strings"""
    n_cover = min(int(COVER_SHARE * n_rows), n_returned)
    return [UNSURE] * (n_returned - n_cover) + [FAR_FROM_LABELS] * n_cover


def suggest_rows(estimator, X, n_rows: int = 5) -> np.ndarray:
    """Rows worth labelling next: the uncertain ones, best first, then the covering ones.

    estimator: a fitted ``PFNClusterer`` (its ``proba_`` and ``anchor_mask_``), fitted on X
    (N, D) -> (n_rows,) row indices, never anchors (fewer when fewer rows are left).

    >>> import numpy as np
    >>> from pfn_core import PFNClusterer
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(4, 1, (60, 2))])
    >>> y = np.full(120, -1); y[0] = 0; y[60] = 1
    >>> rows = suggest_rows(PFNClusterer().fit(X, y), X, n_rows=5)
    >>> len(rows), bool(np.isin(rows, [0, 60]).any())
    (5, False)
    """
    if not hasattr(estimator, "proba_"):
        raise ValueError("fit the estimator on X first: suggest_rows reads its proba_.")
    if not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"n_rows must be a whole number >= 1, got {n_rows!r}.")
    prepared = prepare_inputs(X, None, estimator.weights, estimator.device,
                              estimator.scale_columns, False)
    geometry = prepared.geometry
    if len(geometry) != len(estimator.proba_):
        raise ValueError(f"X has {len(geometry)} rows but the estimator was fitted on "
                         f"{len(estimator.proba_)}: pass the table it was fitted on.")
    free = np.flatnonzero(~estimator.anchor_mask_)
    if len(free) == 0:
        return np.zeros(0, dtype=np.int64)
    reference = np.sort(prepared.content_order[:REFERENCE_ROWS])
    reference_tree = cKDTree(geometry[reference])  # density of both kinds against it
    labelled = geometry[estimator.anchor_mask_].astype(np.float64)
    # Covering rows: dense rows far from every label.
    n_cover = int(COVER_SHARE * n_rows)
    in_order = prepared.content_order
    candidates = in_order[~estimator.anchor_mask_[in_order]][:REFERENCE_ROWS]
    cover = np.zeros(0, dtype=np.int64)
    if n_cover:
        density, _ = local_density(geometry, candidates, reference, tree=reference_tree)
        cover = candidates[covering_rows(geometry[candidates].astype(np.float64), density,
                                         labelled, n_cover)]
    # Uncertain rows, kept away from the labels and the covering rows.
    is_rest = ~estimator.anchor_mask_
    is_rest[cover] = False
    rest = np.flatnonzero(is_rest)
    if len(rest) == 0 or n_rows - len(cover) == 0:
        return cover
    proba = ranked_proba(estimator)
    uncertainty = suggestion_scores(proba[rest], np.ones(len(rest)))
    order = np.lexsort((prepared.content_rank[rest], -np.round(uncertainty, 9)))
    pool = rest[order[:POOL_PER_ROW * n_rows]]
    density, typical = local_density(geometry, pool, reference, tree=reference_tree)
    density_rank = (np.argsort(np.argsort(density)) + 1) / len(density)
    scores = suggestion_scores(proba[pool], density_rank)
    taken = np.concatenate([labelled, geometry[cover].astype(np.float64)])
    picks = pick_diverse(scores, geometry[pool].astype(np.float64), n_rows - len(cover),
                         DIVERSITY_RADIUS * typical, taken=taken)
    return np.concatenate([pool[picks], cover])
