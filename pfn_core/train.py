"""Training the clustering transformer on tasks drawn from the prior.

    python -m pfn_core.train --out runs/base --steps 6000 --device cpu
    python -m pfn_core.train --out runs/base --resume            # continue where it stopped
    python -m pfn_core.train --out runs/base --export weights/pfn_clusterer.safetensors

A run folder holds ``config.json`` (the TrainConfig), ``loss.csv`` (step, seconds, loss,
accuracy, learning rate), ``model.safetensors`` and ``optimizer.safetensors`` (written every
``checkpoint_every`` steps, pickle-free). Every step's tasks come from a generator seeded by
(seed, step), so a resumed run draws the same tasks it would have drawn without the stop.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from pfn_core.checkpoint import load_model, save_model
from pfn_core.episode import collate
from pfn_core.model import ClusteringTransformer, ModelConfig
from pfn_core.prior import PriorConfig
from pfn_core.training_episodes import EpisodeConfig, sample_training_episode

log = logging.getLogger("pfn_core.train")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; saved as JSON in the run folder."""

    model: ModelConfig = field(default_factory=ModelConfig)
    prior: PriorConfig = field(default_factory=PriorConfig)
    episodes: EpisodeConfig = field(default_factory=EpisodeConfig)
    steps: int = 6000
    batch_size: int = 12
    learning_rate: float = 1e-3
    min_learning_rate_fraction: float = 0.1
    warmup_steps: int = 200
    weight_decay: float = 0.01
    gradient_clip: float = 1.0
    sharpness_learning_rate_factor: float = 1.0  # the attention's distance sharpness learns
    # this many times faster than the other weights (and without weight decay)
    checkpoint_every: int = 100
    seed: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        raw = json.loads(text)
        episodes = raw.pop("episodes")
        episodes = {k: tuple(v) if isinstance(v, list) else v for k, v in episodes.items()}
        return cls(
            model=ModelConfig(**raw.pop("model")),
            prior=PriorConfig(**raw.pop("prior")),
            episodes=EpisodeConfig(**episodes),
            **raw,
        )


def learning_rate_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to min_learning_rate_fraction of the peak."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps))
    low = config.min_learning_rate_fraction
    return config.learning_rate * (low + (1 - low) * 0.5 * (1 + math.cos(math.pi * progress)))


def draw_batch(step: int, config: TrainConfig) -> dict:
    """The batch for `step`: deterministic in (seed, step)."""
    rng = np.random.default_rng([config.seed, step])
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    episodes = [
        sample_training_episode(
            rng, generator, config.model.input_dim, config.model.embed_dim, config.prior,
            config.episodes,
        )
        for _ in range(config.batch_size)
    ]
    return collate(episodes)


def batch_loss(model: ClusteringTransformer, batch: dict, device: str):
    """Mean cross-entropy over real queries and their accuracy."""
    batch = {k: v.to(device) for k, v in batch.items()}
    logits = model(batch)
    target = batch["query_target"]
    loss = F.cross_entropy(logits.flatten(0, 1).float(), target.flatten(), ignore_index=-100)
    real = target >= 0
    accuracy = (logits.argmax(-1)[real] == target[real]).float().mean()
    return loss, accuracy


def build_optimizer(model: ClusteringTransformer, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with two groups: the attention's distance sharpness (its own learning-rate factor,
    no weight decay) and every other weight. Each group's ``lr_factor`` scales the schedule."""
    sharpness = [p for name, p in model.named_parameters() if name.endswith("sharpness")]
    chosen = {id(p) for p in sharpness}
    others = [p for p in model.parameters() if id(p) not in chosen]
    return torch.optim.AdamW([
        {"params": others, "lr_factor": 1.0, "weight_decay": config.weight_decay},
        {"params": sharpness, "lr_factor": config.sharpness_learning_rate_factor,
         "weight_decay": 0.0},
    ], lr=config.learning_rate)


def _save_optimizer(optimizer: torch.optim.Optimizer, path: Path, step: int) -> None:
    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"{index}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    save_file(tensors, str(path), metadata={"step": str(step)})


def _load_optimizer(optimizer: torch.optim.Optimizer, path: Path) -> None:
    tensors = load_file(str(path))
    state = optimizer.state_dict()
    for name, value in tensors.items():
        index, key = name.split(".", 1)
        state["state"].setdefault(int(index), {})[key] = value
    optimizer.load_state_dict(state)


def train(run_dir, config: TrainConfig, device: str = "cpu", resume: bool = False,
          max_minutes: float | None = None, on_step=None, init_from=None) -> ClusteringTransformer:
    """Train (or resume) a run in `run_dir`; returns the model. `on_step(step, loss)` is
    called after every step (for progress reporting). `init_from`: a weights file whose
    matching tensors start a new run (warm start); tensors it lacks keep their init."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    model_path, optimizer_path = run_dir / "model.safetensors", run_dir / "optimizer.safetensors"
    model = ClusteringTransformer(config.model).to(device)
    optimizer = build_optimizer(model, config)
    start_step, elapsed_before = 0, 0.0
    if init_from is not None and not resume:
        missing = warm_start(model, init_from)
        log.info("warm start from %s; newly initialised: %s", init_from, missing)
    if resume and model_path.exists():
        model.load_state_dict(load_model(model_path, device).state_dict())
        _load_optimizer(optimizer, optimizer_path)
        facts = json.loads((run_dir / "progress.json").read_text())
        start_step, elapsed_before = facts["step"], facts["seconds"]
        log.info("resuming at step %d", start_step)
    else:
        (run_dir / "config.json").write_text(config.to_json())
        (run_dir / "loss.csv").write_text("step,seconds,loss,accuracy,learning_rate\n")
    started = time.time()
    model.train()
    step = start_step
    for step in range(start_step, config.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(step, config) * group["lr_factor"]
        loss, accuracy = batch_loss(model, draw_batch(step, config), device)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.gradient_clip)
        optimizer.step()
        seconds = elapsed_before + time.time() - started
        with open(run_dir / "loss.csv", "a") as handle:
            handle.write(f"{step},{seconds:.1f},{loss.item():.5f},{accuracy.item():.4f},"
                         f"{optimizer.param_groups[0]['lr']:.2e}\n")
        if on_step is not None:
            on_step(step, loss.item())
        out_of_time = max_minutes is not None and (time.time() - started) > 60 * max_minutes
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps or out_of_time:
            _checkpoint(model, optimizer, run_dir, step + 1, seconds, device)
        if out_of_time:
            log.info("time budget reached at step %d", step + 1)
            break
    model.eval()
    return model


def warm_start(model: ClusteringTransformer, path) -> list[str]:
    """Copy every tensor of `path` whose name and shape match into `model`.
    -> names of the model's tensors that were not in the file"""
    source = load_file(str(path))
    own = model.state_dict()
    matched = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(matched, strict=False)
    return sorted(set(own) - set(matched))


def _checkpoint(model, optimizer, run_dir: Path, step: int, seconds: float, device: str) -> None:
    save_model(model, run_dir / "model.safetensors", extra={"step": step, "seconds": seconds,
                                                            "device": device})
    _save_optimizer(optimizer, run_dir / "optimizer.safetensors", step)
    (run_dir / "progress.json").write_text(json.dumps({"step": step, "seconds": seconds}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--out", required=True, help="run folder (config, loss log, checkpoints)")
    parser.add_argument("--config", help="TrainConfig JSON; default: the built-in defaults")
    parser.add_argument("--steps", type=int, help="override the number of steps")
    parser.add_argument("--batch-size", type=int, help="override tasks per step")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--max-minutes", type=float, help="stop (with a checkpoint) after this")
    parser.add_argument("--init-from", help="warm-start a new run from this weights file")
    parser.add_argument("--export", help="after training, copy the weights to this path")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    run_dir = Path(args.out)
    if args.resume and (run_dir / "config.json").exists():
        config = TrainConfig.from_json((run_dir / "config.json").read_text())
    elif args.config:
        config = TrainConfig.from_json(Path(args.config).read_text())
    else:
        config = TrainConfig()
    overrides = {"steps": args.steps, "batch_size": args.batch_size}
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if args.resume:
        (run_dir / "config.json").write_text(config.to_json())

    def report(step, loss):
        if step % 50 == 0:
            log.info("step %d loss %.4f", step, loss)

    model = train(run_dir, config, args.device, args.resume, args.max_minutes, report,
                  args.init_from)
    if args.export:
        facts = json.loads((run_dir / "progress.json").read_text())
        save_model(model, args.export, extra={**facts, "device": args.device,
                                              "train_config": json.loads(config.to_json())})


if __name__ == "__main__":
    main()
