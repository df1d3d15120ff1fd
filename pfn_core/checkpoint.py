"""Saving and loading model weights: safetensors with the model config in the header.

A weights file is self-contained: ``load_model(path)`` rebuilds the model from the config
stored in the file's metadata, then loads the tensors. No pickles are read.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save_file

from pfn_core.model import ClusteringTransformer, ModelConfig

SHIPPED_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "pfn_clusterer.safetensors"


def save_model(model: ClusteringTransformer, path, extra: dict | None = None) -> None:
    """Write the weights and config (plus optional JSON-able `extra` facts) to `path`."""
    metadata = {"model_config": model.config.to_json(), "extra": json.dumps(extra or {})}
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)


def read_metadata(path) -> dict:
    """The file's header: {'model_config': ModelConfig, 'extra': dict}."""
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata() or {}
    if "model_config" not in meta:
        raise ValueError(f"{path} has no model_config in its header: not a pfn_core weights file.")
    return {
        "model_config": ModelConfig.from_json(meta["model_config"]),
        "extra": json.loads(meta.get("extra", "{}")),
    }


def load_model(path=None, device: str = "cpu") -> ClusteringTransformer:
    """Rebuild the model from a weights file (default: the shipped weights), in eval mode."""
    path = Path(path) if path is not None else SHIPPED_WEIGHTS
    if not path.exists():
        raise ValueError(
            f"weights file {path} does not exist; pass weights=<path to a .safetensors file>."
        )
    config = read_metadata(path)["model_config"]
    model = ClusteringTransformer(config)
    state = {}
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        for name in handle.keys():
            state[name] = handle.get_tensor(name)
    model.load_state_dict(state)
    return model.to(device).eval()
