import json
from dataclasses import replace

import numpy as np
import torch

from pfn_core.checkpoint import load_model, read_metadata
from pfn_core.model import ClusteringTransformer, ModelConfig
from pfn_core.prior import PriorConfig
from pfn_core.train import (
    TrainConfig,
    batch_loss,
    build_optimizer,
    draw_batch,
    learning_rate_at,
    train,
)
from pfn_core.training_episodes import EpisodeConfig

TINY = TrainConfig(
    model=ModelConfig(input_dim=4, embed_dim=16, num_heads=2, num_layers=2, ff_dim=32),
    prior=PriorConfig(min_points=40, max_points=80, max_clusters=3, max_dims=3),
    episodes=EpisodeConfig(unlabelled_context_sizes=(16,), max_queries=32),
    steps=6, batch_size=2, warmup_steps=2, checkpoint_every=3,
)


def test__a_tiny_model__overfits_one_fixed_batch_in_seconds():
    torch.manual_seed(0)
    from pfn_core.model import ClusteringTransformer

    model = ClusteringTransformer(TINY.model)
    batch = draw_batch(0, TINY)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss, accuracy = batch_loss(model, batch, "cpu")
        first = first if first is not None else loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.25 * first
    assert accuracy.item() > 0.9


def test__the_same_step__draws_the_same_batch():
    a, b = draw_batch(5, TINY), draw_batch(5, TINY)
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test__learning_rate__warms_up_then_decays():
    rates = [learning_rate_at(s, TINY) for s in range(TINY.steps)]
    assert rates[0] < rates[1] and rates[2] > rates[-1] >= TINY.learning_rate * 0.1


def test__training__logs_the_loss_and_resuming_continues_to_the_same_weights(tmp_path):
    torch.manual_seed(0)
    straight = train(tmp_path / "straight", TINY)
    torch.manual_seed(0)
    train(tmp_path / "stopped", replace(TINY, steps=3))
    resumed_config = TrainConfig.from_json((tmp_path / "stopped" / "config.json").read_text())
    resumed = train(tmp_path / "stopped", replace(resumed_config, steps=6), resume=True)
    pairs = zip(straight.state_dict().items(), resumed.state_dict().values(), strict=True)
    for (name, a), b in pairs:
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)
    lines = (tmp_path / "stopped" / "loss.csv").read_text().strip().splitlines()
    assert lines[0].startswith("step,") and len(lines) == 7
    assert json.loads((tmp_path / "stopped" / "progress.json").read_text())["step"] == 6
    assert read_metadata(tmp_path / "stopped" / "model.safetensors")["model_config"] == TINY.model
    assert load_model(tmp_path / "stopped" / "model.safetensors").config == TINY.model


def test__train_config__round_trips_through_json():
    assert TrainConfig.from_json(TINY.to_json()) == TINY
    assert np.isclose(TrainConfig.from_json(TrainConfig().to_json()).learning_rate, 1e-3)


def test__optimizer__gives_the_distance_sharpness_its_own_learning_rate_factor_and_no_decay():
    config = TrainConfig(model=ModelConfig(embed_dim=16, num_heads=2, num_layers=1, ff_dim=16),
                         sharpness_learning_rate_factor=30.0)
    model = ClusteringTransformer(config.model)
    others, sharpness = build_optimizer(model, config).param_groups
    assert len(sharpness["params"]) == 2  # path and straight-line sharpness of the one layer
    assert sharpness["lr_factor"] == 30.0 and sharpness["weight_decay"] == 0.0
    assert others["lr_factor"] == 1.0 and others["weight_decay"] == config.weight_decay
    assert len(others["params"]) + 2 == len(list(model.parameters()))
