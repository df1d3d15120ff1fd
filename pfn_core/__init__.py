"""Clustering by attention: a prior-fitted transformer that clusters from a few anchors.

The library behind the studio: ``prior`` (synthetic tasks), ``model`` (the transformer),
``train`` (training), ``checkpoint`` (safetensors weights), ``preprocessing``,
``estimator`` (``PFNClusterer``), ``bench`` (the benchmark protocol) and ``cli``.
"""

from pfn_core.checkpoint import SHIPPED_WEIGHTS, load_model
from pfn_core.estimator import PFNClusterer
from pfn_core.model import ClusteringTransformer, ModelConfig
from pfn_core.prior import FAMILIES, sample_task

__all__ = [
    "FAMILIES",
    "SHIPPED_WEIGHTS",
    "ClusteringTransformer",
    "ModelConfig",
    "PFNClusterer",
    "load_model",
    "sample_task",
]
