"""A fitted ``PFNClusterer`` in one safetensors file, so that a labelling done in one place
(the studio, a notebook) scores new rows anywhere (``python -m pfn_core predict``, a Dask
cluster).

The file holds everything ``PFNClusterer.predict`` reads, as arrays, and nothing that is
executed when read (no pickle):

- the model: its weights under ``model.*`` and its config in the header;
- the fitted preprocessing (``preprocessing.Standardizer``, ``Rotation``, and the anchors'
  ``MetricStep`` when the fit used it) under ``steps.*``;
- the last pass's context (``inference.ScoringContext``): the context tokens, their path
  distances to every landmark, the base landmarks' geometry, under ``context.*`` / ``paths.*``,
  and ``column_class`` where the pass's columns are summed into the fit's classes;
- the anchors' votes (``anchor_votes``) under ``votes.*`` where the fit added them;
- in the header (JSON): the classes, the feature names, settings and a format version.

Legend: M=context tokens, L=landmarks, B=base landmarks, G=geometry columns, D=columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from pfn_core.anchor_metric import MetricStep
from pfn_core.anchor_votes import AnchorVotes
from pfn_core.calibration import regime_temperature
from pfn_core.episode import Context
from pfn_core.geodesic import LandmarkPaths
from pfn_core.inference import FittedPass, ScoringContext
from pfn_core.model import ClusteringTransformer, ModelConfig
from pfn_core.prepared_inputs import check_device
from pfn_core.preprocessing import Rotation, Standardizer

FORMAT = "pfn_core.fitted_clusterer"
# 2: the anchors' votes (a version 1 file is read as having none); 3: the fit's temperature
# itself, set per table since the seventeenth session (older files name its regime).
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)


def refuse_folder(path) -> None:
    """ValueError when `path`, where a fitted clusterer is to be written, is a folder."""
    if Path(path).is_dir():
        raise ValueError(f"{path} is a folder: give the file to write, e.g. "
                         f"{Path(path) / 'clusterer.safetensors'}.")


def save_fitted(estimator, path) -> None:
    """Write fitted `estimator` (a PFNClusterer after ``fit``) to `path` (.safetensors)."""
    fitted = getattr(estimator, "fitted_pass_", None)
    if fitted is None:
        raise ValueError("this PFNClusterer is not fitted yet: call fit(X, y) before save().")
    refuse_folder(path)
    model = estimator.model_
    arrays = {f"model.{name}": t.detach().cpu().numpy()
              for name, t in model.state_dict().items()}
    standardizer, rotation, *metric = fitted.steps
    arrays.update(_standardizer_arrays(standardizer))
    arrays.update(_rotation_arrays("steps.rotation", rotation))
    for step in metric:
        arrays["steps.metric.center"] = step.center
        arrays["steps.metric.whitening"] = step.whitening
        arrays.update(_rotation_arrays("steps.metric.rotation", step.rotation))
    scoring = fitted.scoring
    context, paths = scoring.context, scoring.context.paths
    arrays.update({
        "context.x": context.x.numpy(), "context.geometry": context.geometry.numpy(),
        "context.label": context.label.numpy(), "context.scale": context.scale.numpy(),
        "paths.landmarks": paths.landmarks, "paths.rows": paths.rows,
        "paths.from_context": paths.from_context, "paths.base_rows": paths.base_rows,
        "paths.base_geometry": paths.base_geometry, "ranks": scoring.ranks,
        "landmark_proba": fitted.landmark_proba,
    })
    if scoring.column_class is not None:  # a discovery pass that is the fit: merged columns
        arrays["column_class"] = scoring.column_class
    votes = fitted.votes
    if votes is not None:  # more anchors than the context held: they vote on new rows too
        arrays["votes.geometry"] = votes.geometry
        arrays["votes.anchor_class"] = votes.anchor_class
    header = {
        "format": FORMAT, "version": VERSION,
        "model_config": json.loads(model.config.to_json()),
        "classes": [_plain(c) for c in estimator.classes_],
        "feature_names": (None if estimator.feature_names_in_ is None
                          else [str(c) for c in estimator.feature_names_in_]),
        "n_features_in": int(estimator.n_features_in_),
        "rotations": {"steps.rotation": _rotation_header(rotation),
                      **({"steps.metric.rotation": _rotation_header(metric[0].rotation)}
                         if metric else {})},
        "n_ensemble": int(estimator.n_ensemble),
        "temperature": fitted.temperature,
        "in_anchor_metric": bool(estimator.in_anchor_metric_),
        "votes": None if votes is None else {"weight": votes.weight,
                                             "bandwidth": votes.bandwidth},
    }
    arrays = {name: np.ascontiguousarray(value) for name, value in arrays.items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(arrays, str(path), metadata={"pfn_core": json.dumps(header)})


def load_fitted(path, device: str = "cpu"):
    """Read a file written by ``save_fitted`` -> a fitted PFNClusterer (predict only)."""
    from pfn_core.estimator import PFNClusterer

    check_device(device)
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"fitted model file {path} not found.")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="np") as handle:
            header = json.loads((handle.metadata() or {}).get("pfn_core", "{}"))
        arrays = load_file(str(path))
    except (SafetensorError, OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a fitted-clusterer file ({error}).") from None
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a fitted-clusterer file written by "
                         "PFNClusterer.save (no pfn_core header).")
    if header.get("version") not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ValueError(f"{path} has format version {header.get('version')}; this pfn_core "
                         f"reads versions {readable}: fit and save it again.")
    model = ClusteringTransformer(ModelConfig(**header["model_config"]))
    model.load_state_dict({name[len("model."):]: torch.from_numpy(value)
                           for name, value in arrays.items() if name.startswith("model.")})
    model = model.to(device).eval()

    rotations = header["rotations"]
    steps = [_standardizer(arrays), _rotation(arrays, "steps.rotation", rotations)]
    if "steps.metric.whitening" in arrays:
        steps.append(MetricStep(arrays["steps.metric.center"], arrays["steps.metric.whitening"],
                                _rotation(arrays, "steps.metric.rotation", rotations)))
    paths = LandmarkPaths(arrays["paths.landmarks"], arrays["paths.rows"],
                          arrays["paths.from_context"], arrays["paths.base_rows"],
                          arrays["paths.base_geometry"])
    context = Context(torch.from_numpy(arrays["context.x"]),
                      torch.from_numpy(arrays["context.geometry"]),
                      torch.from_numpy(arrays["context.label"]),
                      torch.from_numpy(arrays["context.scale"]), paths)
    ranks = arrays["ranks"]
    scoring = ScoringContext(context, ranks, len(ranks), arrays.get("column_class"))

    estimator = PFNClusterer(device=device, n_ensemble=header["n_ensemble"])
    estimator.model_ = model
    votes = header.get("votes")
    estimator.fitted_pass_ = FittedPass(
        tuple(steps), scoring, arrays["landmark_proba"], _temperature(header),
        None if votes is None else AnchorVotes(arrays["votes.geometry"],
                                               arrays["votes.anchor_class"], votes["weight"],
                                               votes["bandwidth"]))
    classes = header["classes"]
    mixed = len({type(c) for c in classes}) > 1  # e.g. 0, 1 and "new 1" from discovery
    estimator.classes_ = np.asarray(classes, dtype=object if mixed else None)
    names = header["feature_names"]
    estimator.feature_names_in_ = None if names is None else np.asarray(names, dtype=object)
    estimator.n_features_in_ = header["n_features_in"]
    estimator.in_anchor_metric_ = header["in_anchor_metric"]
    return estimator


def _temperature(header: dict) -> float | None:
    """The temperature a file's fit was scaled by: its own (version 3), or its regime's
    (``calibration.regime_temperature``: versions 1 and 2 name the fit's anchors and
    classes)."""
    if header["version"] >= 3:
        return header.get("temperature")
    calibration = header.get("calibration")
    if calibration is None:
        return None
    n_anchors, n_classes = calibration
    return regime_temperature(n_anchors / max(n_classes, 1), n_classes)


def _plain(value):
    """A class label as a JSON value (numpy scalars become Python numbers)."""
    return value.item() if isinstance(value, np.generic) else value


def _standardizer_arrays(step: Standardizer) -> dict:
    return {"steps.standardizer.medians": step.medians,
            "steps.standardizer.keep": step.keep.astype(np.uint8),
            "steps.standardizer.mean": step.mean, "steps.standardizer.divisor": step.divisor}


def _standardizer(arrays: dict) -> Standardizer:
    return Standardizer(arrays["steps.standardizer.medians"],
                        arrays["steps.standardizer.keep"].astype(bool),
                        arrays["steps.standardizer.mean"], arrays["steps.standardizer.divisor"])


def _rotation_arrays(prefix: str, step: Rotation) -> dict:
    return {f"{prefix}.center": step.center, f"{prefix}.rotation": step.rotation}


def _rotation_header(step: Rotation) -> dict:
    return {"first_std": float(step.first_std), "input_dim": int(step.input_dim),
            "geometry_dim": int(step.geometry_dim)}


def _rotation(arrays: dict, prefix: str, headers: dict) -> Rotation:
    facts = headers[prefix]
    return Rotation(arrays[f"{prefix}.center"], arrays[f"{prefix}.rotation"], facts["first_std"],
                    facts["input_dim"], facts["geometry_dim"])
