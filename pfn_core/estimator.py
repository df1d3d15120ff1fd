"""``PFNClusterer``: the scikit-learn face of the trained model.

Example
-------
>>> import numpy as np
>>> from pfn_core import PFNClusterer
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))])
>>> y = np.full(100, -1); y[0] = 0; y[50] = 1
>>> labels = PFNClusterer().fit_predict(X, y)
>>> bool((labels[:50] == 0).all() and (labels[50:] == 1).all())
True
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from pfn_core.anchor_votes import fit_anchor_votes, fuse_on_landmarks
from pfn_core.anchored_fit import cluster_from_anchors
from pfn_core.blas_threads import single_blas_thread
from pfn_core.calibration import calibrate_fit, shipped_rule
from pfn_core.copies import distinct_fit_targets, to_every_row
from pfn_core.discovery import MAX_CLUSTERS, estimate_n_clusters
from pfn_core.discovery_fit import fit_with_discovery
from pfn_core.fitted_columns import column_names, in_fitted_order
from pfn_core.fitted_io import load_fitted, save_fitted
from pfn_core.inference import DEFAULT_CONTEXT_SIZE
from pfn_core.merging import graph_cut_fraction
from pfn_core.new_rows import METHODS, score_new_rows
from pfn_core.own_clustering import applies as own_clustering_applies
from pfn_core.own_clustering import prefer_own_clustering
from pfn_core.prepared_inputs import (  # noqa: F401  (cached_model, split_targets: public here too)
    PreparedInputs,
    cached_model,
    check_device,
    pilot_rows,
    prepare_inputs,
    split_targets,
    views_in_anchor_metric,
    with_anchor_metric,
)
from pfn_core.preprocessing import SCALINGS, validate_features
from pfn_core.without_anchors import DEFAULT_OVERSEED, clustering_without_anchors

DEFAULT_REFINE_ROUNDS = 1


class PFNClusterer(ClusterMixin, BaseEstimator):
    """Cluster every row from a few labelled rows (anchors) in one forward pass.

    Parameters (keyword-only)
    ----------
    weights : path or None
        A ``.safetensors`` weights file; None uses the shipped ``weights/pfn_clusterer``.
    device : str
        "cpu" or "cuda".
    n_clusters : int or None
        Used only when no row is labelled. None (default): the model estimates K from its
        own confusion between over-seeded sub-clusters, checked by its agreement with
        itself at the likeliest candidates (``pfn_core.discovery``; the evidence per
        candidate K is ``n_clusters_scores_``, the agreement ``n_clusters_agreement_``).
        Given or estimated, the model then starts twice (``pfn_core.without_anchors``):
        from this many density-peak seeds, and from 3 times as many merged back by its own
        confusion; each start re-anchors on its most confident rows, and the partition that
        cuts fewer links of the neighbour graph is kept.
    max_clusters : int
        The largest K considered when K is estimated (default 32).
    calibrate : bool
        True (default): the probabilities of the rows that are not anchors are
        temperature-scaled so that a confidence of 0.8 is right about 80% of the time
        (without anchors: in the cluster that matches the row's true group); the
        temperature is set per table from its anchors per class, its classes and how much of
        the neighbour graph the labels cut, by a rule fitted on prior draws
        (``pfn_core.calibration``, ``weights/calibration.json``); labels never change.
        False: the model's raw softmax.
    discover : bool
        True (default): with anchors, rows that belong to none of the anchored clusters form
        new clusters, named "new 1", "new 2", ... (``pfn_core.new_clusters``; then
        ``classes_`` holds them after the anchored classes, as objects): every separate
        piece of the table's neighbour graph that holds no anchor, and the groups the
        model's confusion sets apart. With fewer than 4 anchors per class on average, the
        pass that looks for them (anchors and candidate sub-clusters in one context) is
        also a candidate fit, each sub-cluster's probability going to the class it merges
        into (``new_clusters.DiscoveryFit``), kept when it cuts no more links of the
        neighbour graph than the usual anchored fit (from 2 per class on, at most half as
        many: ``discovery_fit.fit_with_discovery``). False:
        every row goes to an anchored class, by the usual anchored fit.
    merge_copies : bool
        True (default): identical rows are clustered once, and every copy takes that row's
        result (``pfn_core.copies``: copies distort the neighbour graph and the estimate of
        K, as in tables of ratings or counts); not when copies carry different labels.
        False: every row as given.
    own_clustering : bool
        True (default): with fewer than 5 anchors per class on average, the table is also
        clustered without anchors into as many clusters as there are classes, and that
        partition is kept (its clusters named by the anchors) when every anchor agrees with
        it and it follows the neighbour graph at least as well as the anchored fit
        (``pfn_core.own_clustering``): one badly placed anchor per cluster then no longer
        drags the boundary. False: the anchored fit always.
    overseed : int
        Sub-clusters per cluster in that second start (default 3; 1 skips it, which is
        faster, and on the benchmark worse: see BENCHMARKS.md).
    context_size : int
        How many unlabelled rows join the anchors as context tokens. The default, 0, attends
        to the anchors alone: unlabelled rows still shape the clustering through the path
        distances (they are the landmarks of the neighbour graph), and on the benchmark
        this beat 64 sampled rows (see BENCHMARKS.md).
    n_ensemble : int
        Average over this many sets of label codes (more is slower and steadier).
    refine_rounds : int
        After a first pass, add `refine_anchors` predicted rows per class as extra anchors and
        run again, this many times (0 = a single pass). The extra rows are spread over the
        surer part of each predicted class (``seeding.confident_anchors``), so the second pass
        sees the whole extent of each cluster, as K-means does when it re-estimates centres.
        Each round costs one more pass; on tables longer than PILOT_ROWS (4,096) the passes
        that only pick rows score the first PILOT_ROWS rows in content order, not all. With
        one to three anchors per class and ``discover=True`` the discovery pass, which needs
        no refining, is a second candidate (see `discover`).
    refine_anchors : int
        Extra anchors per class in each refinement round.
    scale_columns : "auto", True or False
        "auto" (default): keep one common unit when the columns are mutually uncorrelated
        and differ in spread (principal components, coordinates in one unit), else z-score
        (``preprocessing.resolve_column_scaling``); the choice is ``scale_columns_``.
        True: z-score every column, for tables whose columns have different units.
        False: keep the columns' relative spreads (centred, one common factor), for columns
        that already share a unit (pixels, coordinates, principal components); z-scoring
        those gives faint directions as much weight as strong ones.
    anchor_metric : bool
        True (default): once the anchors average at least 5 per class, measure distances in
        the anchors' own metric (whitened by their pooled within-class covariance, see
        ``pfn_core.anchor_metric``), which stretches the directions that separate the
        anchored classes. False: always the standardised table's metric.
    anchor_votes : bool
        True (default): when a class has more anchors than the context holds
        (``carry.CONTEXT_PER_CLASS``), every anchor votes on the rows near it and the votes
        are added to the model's probabilities, weighted by the share of anchors the model
        did not see (``pfn_core.anchor_votes``); with fewer, nothing changes. False: only
        the context's sample of each class's anchors acts on the other rows.

    Fitted attributes
    -----------------
    labels_ : (N,) a label for every row; anchors keep their own.
    proba_ : (N, K) probabilities, columns ordered as ``classes_``; anchors are one-hot.
    classes_ : (K,) sorted distinct anchor labels (or 0..K-1 without anchors).
    confidence_ : (N,) the highest probability of each row.
    anchor_mask_ : (N,) True where the row was an anchor.
    in_anchor_metric_ : bool, whether this fit used the anchors' metric.
    n_context_anchors_ : int, how many anchors were context tokens (at most
        ``carry.CONTEXT_PER_CLASS`` per class; every anchor keeps its label and sets the
        metric).
    fitted_pass_ : what ``predict`` and ``save`` need (preprocessing and context).
    graph_cut_ : float, the share of the table's neighbour links that join rows of
        different labels (``merging.graph_cut_fraction``; lower = clusters follow the data).
    temperature_ : float or None, the temperature that scaled ``proba_`` (calibrate), None
        without calibration.
    scale_columns_ : str, the scaling used: "z-score" or "common unit".
    n_clusters_ : int, the number of clusters (anchored classes, n_clusters, or estimated).
    n_clusters_scores_ : dict K -> evidence for each candidate K when K was estimated
        (no anchors, n_clusters=None), else None. K is the candidate with the most
        evidence, raised to the number of separate pieces of the table's neighbour graph
        where that is more (``pfn_core.graph_pieces``: rows no path joins are never one
        cluster).
    n_clusters_agreement_ : dict K -> how alike two different starts cluster the table into
        K clusters (adjusted Rand index) for the few candidates with most evidence, when K
        was estimated, else None. Where the evidence's K has starts that disagree and
        another candidate's agree far better, K is that candidate
        (``discovery.self_consistent_k``).
    k_evidence_is_weak_ : bool, True when K was estimated and its evidence is no stronger
        than on tables with no clusters at all (``discovery.evidence_is_weak``): K is then a
        guess, and the table may have no cluster structure.
    new_clusters_evidence_ : dict n -> evidence for n new clusters when discover looked for
        them (with anchors), else None; beyond the pieces of the neighbour graph that hold
        no anchor, which are new clusters whatever the evidence (``pfn_core.graph_pieces``).
    used_own_clustering_ : bool, whether the result is the model's own clustering, named by
        the anchors (see own_clustering).
    used_discovery_fit_ : bool, whether the result is the discovery pass read as the fit
        (one to three anchors per class, see discover).
    n_distinct_rows_ : int, the rows the model clustered: identical rows are clustered
        once and every copy takes that row's result (``pfn_core.copies``; not when copies
        carry different labels).
    n_features_in_ : int.

    NaN values are filled with the column median; infinities and non-numeric columns are
    refused with a ValueError naming the column.
    """

    def __init__(self, *, weights=None, device: str = "cpu", n_clusters: int | None = None,
                 context_size: int = DEFAULT_CONTEXT_SIZE, n_ensemble: int = 1,
                 refine_rounds: int = DEFAULT_REFINE_ROUNDS, refine_anchors: int = 10,
                 scale_columns: bool | str = "auto", anchor_metric: bool = True,
                 overseed: int = DEFAULT_OVERSEED, max_clusters: int = MAX_CLUSTERS,
                 calibrate: bool = True, discover: bool = True, own_clustering: bool = True,
                 merge_copies: bool = True, anchor_votes: bool = True):
        self.weights = weights
        self.device = device
        self.n_clusters = n_clusters
        self.context_size = context_size
        self.n_ensemble = n_ensemble
        self.refine_rounds = refine_rounds
        self.refine_anchors = refine_anchors
        self.scale_columns = scale_columns
        self.anchor_metric = anchor_metric
        self.overseed = overseed
        self.max_clusters = max_clusters
        self.calibrate = calibrate
        self.discover = discover
        self.own_clustering = own_clustering
        self.merge_copies = merge_copies
        self.anchor_votes = anchor_votes

    @single_blas_thread()  # numpy's BLAS threads would spin beside torch's (``blas_threads``)
    def fit(self, X, y=None):
        """Cluster X (N, D) given y (N,) with -1/None for unlabelled rows. Returns self."""
        self._check_settings()
        # The anchors' metric comes after the check for copies: a table with copies is
        # refitted on its distinct rows, whose own preparation builds it.
        prepared = prepare_inputs(X, y, self.weights, self.device, self.scale_columns,
                                  anchor_metric=False)
        distinct = self.merge_copies and distinct_fit_targets(
            prepared.views.copy_of, prepared.anchor_index, prepared.anchor_labels,
            self.n_clusters)
        if distinct:  # identical rows: fit each once (``pfn_core.copies``)
            return self._fit_distinct_rows(X, prepared, distinct)
        if self.anchor_metric:
            prepared = with_anchor_metric(prepared)
        anchor_index = prepared.anchor_index
        self.n_context_anchors_ = 0
        self.n_clusters_scores_ = self.new_clusters_evidence_ = None
        self.n_clusters_agreement_ = None
        self.k_evidence_is_weak_ = False
        self.used_own_clustering_ = self.used_discovery_fit_ = False
        if len(anchor_index) == 0:
            self._check_n_clusters(len(prepared.X))
            k = self.n_clusters
            if k is None:
                estimate = estimate_n_clusters(self, prepared, self.max_clusters)
                self.n_clusters_scores_ = estimate.scores
                self.n_clusters_agreement_ = estimate.agreement
                self.k_evidence_is_weak_ = estimate.weak
                k = estimate.n_clusters
            classes = np.arange(k)
            proba, fitted_pass = clustering_without_anchors(self, prepared, k)
        elif self.discover:  # discovery first, so that only one anchored fit runs
            classes, proba, fitted_pass, found, self.used_discovery_fit_ = fit_with_discovery(
                self, prepared)
            self.new_clusters_evidence_ = found.evidence
            if self.used_discovery_fit_:
                self.n_context_anchors_ = found.fit.n_context_anchors
        else:
            classes, proba, fitted_pass = cluster_from_anchors(self, prepared)
        if (self.own_clustering and len(anchor_index) and len(classes) == len(prepared.classes)
                and own_clustering_applies(len(anchor_index), len(classes))):
            classes, proba, fitted_pass, self.used_own_clustering_ = prefer_own_clustering(
                self, prepared, classes, proba, fitted_pass)
            self.used_discovery_fit_ &= not self.used_own_clustering_

        self.graph_cut_ = graph_cut_fraction(proba.argmax(1),
                                             (prepared.table or prepared.views).base_graph)
        self.temperature_ = None
        if self.calibrate:  # with or without anchors (regime "0": K given or estimated)
            proba, self.temperature_ = calibrate_fit(proba, anchor_index, self.graph_cut_,
                                                     shipped_rule())
            fitted_pass.temperature = self.temperature_
        votes = fit_anchor_votes(prepared) if self.anchor_votes else None
        if votes is not None:  # more anchors than the context holds: every one votes
            proba = fuse_on_landmarks(votes, proba, prepared)
            proba[anchor_index] = 0.0
            proba[anchor_index, prepared.anchor_class] = 1.0
        fitted_pass.votes = votes
        fitted_pass.landmark_proba = proba[fitted_pass.scoring.context.paths.base_rows]
        self.fitted_pass_ = fitted_pass
        self.model_ = prepared.model
        self.feature_names_in_ = column_names(X)
        self.classes_ = np.asarray(classes)
        self.proba_ = proba
        self.labels_ = self.classes_[proba.argmax(1)]
        self.confidence_ = proba.max(1)
        self.anchor_mask_ = np.zeros(len(proba), dtype=bool)
        self.anchor_mask_[anchor_index] = True
        self.n_features_in_ = prepared.X.shape[1]
        self.in_anchor_metric_ = prepared.in_anchor_metric
        self.n_clusters_ = len(self.classes_)
        self.scale_columns_ = SCALINGS[prepared.scaled_columns]
        self.n_distinct_rows_ = len(proba)
        return self

    def _fit_distinct_rows(self, X, prepared: PreparedInputs, distinct) -> PFNClusterer:
        """Fit the table's distinct rows (``pfn_core.copies``), then give every copy its
        row's result; the labelled rows stay the anchors."""
        self.fit(prepared.X[distinct.rows], distinct.targets)
        proba = to_every_row(self.proba_, distinct)
        self.proba_ = proba
        self.labels_ = self.classes_[proba.argmax(1)]
        self.confidence_ = proba.max(1)
        self.anchor_mask_ = np.zeros(len(proba), dtype=bool)
        self.anchor_mask_[prepared.anchor_index] = True
        self.feature_names_in_ = column_names(X)
        self.n_distinct_rows_ = len(distinct.rows)
        return self

    def _check_settings(self) -> None:
        for name, least in (("refine_rounds", 0), ("refine_anchors", 1), ("n_ensemble", 1),
                            ("context_size", 0), ("overseed", 1), ("max_clusters", 2)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}.")
        check_device(self.device)

    def _check_n_clusters(self, n_rows: int) -> None:
        """n_clusters, read when no row is labelled: None or a whole number in 1..n_rows."""
        k = self.n_clusters
        if k is None:
            return
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n_rows:
            raise ValueError(f"n_clusters must be None (estimated) or a whole number from 1 to "
                             f"the number of rows ({n_rows}), got {k!r}.")

    def fit_predict(self, X, y=None, **kwargs):
        """Cluster X and return ``labels_`` (N,)."""
        return self.fit(X, y).labels_

    @single_blas_thread()
    def predict_proba(self, X, method: str = "model") -> np.ndarray:
        """Probabilities of new rows X (R, D), columns ordered as ``classes_``, each row's
        independent of the other rows passed with it. A DataFrame is matched to the fitted
        columns by name. -> (R, K)

        method "model": every row runs through the transformer against the fitted context
        (the anchors and the landmarks' paths), after the fitted preprocessing.
        method "carry": every row takes the fit's probabilities of its nearest base
        landmarks, weighted by 1 / distance, as the fit itself labels the rows of a long
        table that the transformer did not score (``carry``): one neighbour search and a
        weighted mean per row, for very long tables: 3 to 4 times as many rows a second
        (``python -m pfn_core.bench.scoring``: 178,000 against 48,000 on 2 cores). The
        landmarks' probabilities already hold the anchors' votes (``anchor_votes``), so
        "carry" does not add them again; "model" adds them to each row as the fit did."""
        fitted = getattr(self, "fitted_pass_", None)
        if fitted is None:
            raise ValueError("this PFNClusterer is not fitted yet: call fit(X, y) (or "
                             "PFNClusterer.load(path)) before predict.")
        if method not in METHODS:
            raise ValueError(f"method must be 'model' or 'carry', got {method!r}.")
        X_valid = validate_features(
            in_fitted_order(X, getattr(self, "feature_names_in_", None)), min_rows=1)
        if X_valid.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X_valid.shape[1]} columns but the clusterer was fitted "
                             f"on {self.n_features_in_}: pass the same columns.")
        return score_new_rows(fitted, self.model_, X_valid, method, self.n_ensemble,
                              self.device)

    def predict(self, X, method: str = "model") -> np.ndarray:
        """The most probable class of each new row X (R, D) (see ``predict_proba``). -> (R,)"""
        proba = self.predict_proba(X, method)
        return self.classes_[proba.argmax(1)]

    def save(self, path) -> None:
        """Write the fitted clusterer to `path` (safetensors, no pickle; ``fitted_io``)."""
        save_fitted(self, path)

    @classmethod
    def load(cls, path, device: str = "cpu") -> PFNClusterer:
        """A clusterer saved with ``save``, ready to ``predict``."""
        return load_fitted(path, device)
