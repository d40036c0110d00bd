"""Standardised point data: training sees mean 0 and standard deviation 1 per column, a user
sees the data's units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from conftest import tiny_config
from wgan.data.scaling import Standardizer
from wgan.data.sources import build_source
from wgan.distances import wasserstein
from wgan.evaluation.common import critic_estimate
from wgan.training.rundir import open_run, start_run
from wgan.training.trainer import Trainer

CPU = torch.device("cpu")


def _raw_points(tmp_path: Path) -> Path:
    """A column in the hundreds, offset, beside one in units."""
    rng = np.random.default_rng(0)
    points = rng.standard_normal((400, 2)) * np.array([150.0, 2.0]) + np.array([1200.0, -7.0])
    path = tmp_path / "raw.npy"
    np.save(path, points)
    return path


def test_standardizer_round_trip_and_constant_columns() -> None:
    data = torch.tensor([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    scaler = Standardizer(data)
    standard = scaler.to_standard(data)
    assert torch.allclose(standard.mean(0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(standard[:, 0].std(), torch.tensor(1.0))
    assert torch.equal(standard[:, 1], torch.zeros(3))  # a constant column: std 1, not 0
    assert torch.allclose(scaler.to_data(standard), data)


def test_batches_are_standardised_and_the_evaluation_sets_are_not(tmp_path: Path) -> None:
    config = tiny_config(data={"name": "points", "path": str(_raw_points(tmp_path))})
    source = build_source(config, CPU)
    batch = source.batch(256, torch.Generator().manual_seed(0))
    assert batch.mean(0).abs().max() < 0.2 and (batch.std(0) - 1).abs().max() < 0.2
    held = source.holdout(50)
    assert 900 < float(held[:, 0].mean()) < 1500  # the data's units
    plain = build_source(
        tiny_config(data={"name": "points", "path": str(config.data.path), "standardize": False}),
        CPU,
    )
    assert plain.scaler is None
    assert float(plain.batch(64, torch.Generator().manual_seed(0))[:, 0].mean()) > 900


def test_samples_distances_and_critic_are_in_the_data_units(tmp_path: Path) -> None:
    config = tiny_config(data={"name": "points", "path": str(_raw_points(tmp_path))})
    trainer = Trainer(config, tmp_path / "run", quiet=True)
    for _ in range(3):
        trainer.train_step()
    scaler = trainer.source.scaler
    assert scaler is not None
    samples = trainer.sample(200)
    assert 900 < float(samples[:, 0].mean()) < 1500
    result = trainer.evaluate(80)  # the 80 held-out points (a fifth of 400)
    held, fake = trainer.source.holdout(80), trainer.sample(80)
    assert result["w1"] == pytest.approx(wasserstein(fake.double(), held.double()))
    held_s, fake_s = scaler.to_standard(held), scaler.to_standard(fake)
    assert result["w1_standardized"] == pytest.approx(wasserstein(fake_s.double(), held_s.double()))
    assert result["w1"] > 10 * result["w1_standardized"]  # the hundreds dominate the raw W1
    # The critic was trained on standardised points: its estimate is read against them.
    assert result["critic_w_estimate"] == pytest.approx(
        critic_estimate(trainer.critic, held_s, fake_s), rel=1e-5
    )
    critic = trainer.sample_critic()
    assert critic is not None
    torch.testing.assert_close(critic(held), trainer.critic(held_s))


def test_runs_saved_before_standardisation_resume_unstandardised(tmp_path: Path) -> None:
    config = tiny_config(data={"name": "points", "path": str(_raw_points(tmp_path))})
    trainer = start_run(config, tmp_path / "run", quiet=True)
    assert trainer.source.scaler is not None
    saved = tmp_path / "run" / "config.yaml"
    raw = yaml.safe_load(saved.read_text())
    del raw["data"]["standardize"]  # as an older wgan wrote it
    saved.write_text(yaml.safe_dump(raw))
    assert open_run(tmp_path / "run", quiet=True).source.scaler is None


def test_cyclegan_domains_keep_their_units(tmp_path: Path) -> None:
    path = str(_raw_points(tmp_path))
    config = tiny_config(
        gan="cyclegan",
        data={"name": "points", "path": path},
        data_b={"name": "points", "path": path, "transform": "invert"},
    )
    assert build_source(config, CPU).scaler is None
