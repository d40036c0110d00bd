from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import FAMILY_METHODS, tiny_config
from wgan import distributed
from wgan.errors import UserError
from wgan.training.guard import NonFiniteLossError
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run
from wgan.training.trainer import Trainer


def _params(trainer: Trainer) -> list[torch.Tensor]:
    tensors = [*trainer.generator.state_dict().values(), *trainer.critic.state_dict().values()]
    if trainer.ema is not None:
        tensors += trainer.ema.state_dict().values()
    for opt in (trainer.g_opt, trainer.d_opt):
        for state in opt.state_dict()["state"].values():
            tensors += [v for v in state.values() if isinstance(v, torch.Tensor)]
    return tensors


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("method", ["gp", "clip"])
def test_resumed_run_equals_uninterrupted_run_to_the_bit(
    tmp_path: Path, precision: str, method: str
) -> None:
    config = tiny_config(steps=8, precision=precision, lipschitz={"method": method}, ema_decay=0.9)
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 8)
    halted = start_run(config, tmp_path / "halted", quiet=True)
    train_until(halted, 4)  # stops at step 4 with a checkpoint, as if killed after it
    resumed = open_run(tmp_path / "halted", quiet=True)
    assert resumed.step == 4
    train_until(resumed, 8)
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)
    lines = [
        json.loads(s) for s in (tmp_path / "halted" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in lines if r["kind"] == "eval"] == [0, 3, 4, 6, 8]


@pytest.mark.parametrize("method", list(FAMILY_METHODS.values()), ids=list(FAMILY_METHODS))
def test_every_method_resumes_to_the_bit(tmp_path: Path, method: dict[str, object]) -> None:
    config = tiny_config(steps=8, ema_decay=0.9, **method)
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 8)
    halted = start_run(config, tmp_path / "halted", quiet=True)
    train_until(halted, 4)  # stops at step 4 with a checkpoint, as if killed after it
    resumed = open_run(tmp_path / "halted", quiet=True)
    train_until(resumed, 8)
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(straight.rng.get_state(), resumed.rng.get_state())


def test_instance_noise_anneals_linearly_to_zero(tmp_path: Path) -> None:
    noise = {"instance_noise": {"std": 0.2, "anneal_steps": 4}}
    trainer = Trainer(tiny_config(steps=10, stabilizers=noise), tmp_path, quiet=True)
    stds = []
    for step in range(6):
        trainer.step = step
        stds.append(trainer.instance_noise_std())
    assert stds == pytest.approx([0.2, 0.15, 0.1, 0.05, 0.0, 0.0])
    # Off (std 0, or annealed away), a step draws no random numbers for it.
    state = trainer.rng.get_state()
    x = torch.ones(3, 2)
    assert trainer.noisy(x, 0.0) is x
    assert torch.equal(trainer.rng.get_state(), state)


def test_minibatch_critic_scores_real_and_fake_batches_apart(tmp_path: Path) -> None:
    config = tiny_config(
        loss="nonsaturating",
        lipschitz={"method": "none"},
        stabilizers={"minibatch": {"kernels": 4}},
    )
    trainer = Trainer(config, tmp_path, quiet=True)
    real, fake = torch.randn(5, 2), torch.randn(5, 2) + 3
    real_scores, fake_scores, _, _ = trainer._scores(real, fake, None)
    torch.testing.assert_close(real_scores, trainer.critic(real))
    torch.testing.assert_close(fake_scores, trainer.critic(fake))
    assert not torch.allclose(real_scores, trainer.critic(torch.cat([real, fake]))[:5])


def test_feature_matching_generator_step_leaves_the_critic_untouched(tmp_path: Path) -> None:
    config = tiny_config(
        loss="nonsaturating",
        lipschitz={"method": "none"},
        stabilizers={"feature_matching": True},
    )
    trainer = Trainer(config, tmp_path, quiet=True)
    before = [p.detach().clone() for p in trainer.critic.parameters()]
    g_before = [p.detach().clone() for p in trainer.generator.parameters()]
    trainer.generator_step()
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.critic.parameters(), strict=True))
    assert all(p.grad is None for p in trainer.critic.parameters())
    assert not all(
        torch.equal(a, b) for a, b in zip(g_before, trainer.generator.parameters(), strict=True)
    )


def test_resume_on_a_points_file_keeps_the_data_order(tmp_path: Path) -> None:
    path = tmp_path / "points.npy"
    np.save(path, np.random.default_rng(0).normal(size=(90, 3)))
    # 72 training points, batch 32: epochs end mid-run, across the resume.
    config = tiny_config(steps=6, n_critic=2, data={"name": "points", "path": str(path)})
    straight = start_run(config, tmp_path / "a", quiet=True)
    train_until(straight, 6)
    halted = start_run(config, tmp_path / "b", quiet=True)
    train_until(halted, 3)
    resumed = open_run(tmp_path / "b", quiet=True)
    train_until(resumed, 6)
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)


def test_clipping_keeps_critic_weights_in_bounds(tmp_path: Path) -> None:
    config = tiny_config(lipschitz={"method": "clip", "clip": 0.01}, optimizer={"name": "rmsprop"})
    trainer = start_run(config, tmp_path / "run", quiet=True)
    for _ in range(3):
        trainer.train_step()
        for p in trainer.critic.parameters():
            assert p.abs().max() <= 0.01


def test_generator_step_leaves_the_critic_untouched(tmp_path: Path) -> None:
    trainer = Trainer(tiny_config(), tmp_path, quiet=True)
    before = [p.detach().clone() for p in trainer.critic.parameters()]
    trainer.generator_step()
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.critic.parameters(), strict=True))
    assert all(p.grad is None for p in trainer.critic.parameters())
    assert all(p.requires_grad for p in trainer.critic.parameters())


def test_training_lowers_exact_w1(tmp_path: Path) -> None:
    config = tiny_config(
        steps=300,
        batch_size=128,
        model={
            "generator_width": 128,
            "critic_width": 128,
            "generator_depth": 2,
            "critic_depth": 2,
        },
        lipschitz={"method": "gp", "gp_lambda": 1.0},
        optimizer={"lr_generator": 1e-3, "lr_critic": 1e-3, "betas": [0.5, 0.9]},
        eval={"every": 1000, "n": 500},
        checkpoint={"every": 1000},
        log={"every": 50},
    )
    trainer = start_run(config, tmp_path / "run", quiet=True)
    start = trainer.evaluate()
    train_until(trainer, 300)
    end = trainer.evaluate()
    assert end["w1"] < 0.4 * start["w1"], (start, end)
    assert end["modes_covered"] >= 6


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    trainer = start_run(tiny_config(steps=9), tmp_path / "run", quiet=True)
    train_until(trainer, 3)
    good = sorted((tmp_path / "run" / "checkpoints").iterdir())
    with torch.no_grad():
        trainer.critic[0].weight.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="NaN or inf before step 4"):
        train_until(trainer, 9)
    assert sorted((tmp_path / "run" / "checkpoints").iterdir()) == good
    assert open_run(tmp_path / "run", quiet=True).step == 3


def test_existing_run_is_not_overwritten(tmp_path: Path) -> None:
    trainer = start_run(tiny_config(), tmp_path / "run", quiet=True)
    train_until(trainer, 3)
    metrics = (tmp_path / "run" / "metrics.jsonl").read_text()
    with pytest.raises(UserError, match="already holds a run"):
        start_run(tiny_config(), tmp_path / "run", quiet=True)
    assert (tmp_path / "run" / "metrics.jsonl").read_text() == metrics
    start_run(tiny_config(), tmp_path / "run", overwrite=True, quiet=True)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_checkpoint_from_another_model_is_refused(tmp_path: Path) -> None:
    train_until(start_run(tiny_config(), tmp_path / "run", quiet=True), 3)
    config_file = tmp_path / "run" / "config.yaml"
    config_file.write_text(config_file.read_text().replace("critic_width: 32", "critic_width: 16"))
    with pytest.raises(UserError, match="different model"):
        open_run(tmp_path / "run", quiet=True)


def test_batch_larger_than_the_data_is_refused_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "few.npy"
    np.save(path, np.zeros((20, 2)))
    config = tiny_config(data={"name": "points", "path": str(path)})
    with pytest.raises(UserError, match="batch_size 32 is larger than the 16 training samples"):
        start_run(config, tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("stabilizer", "named"),
    [
        ({"stabilizers": {"minibatch": {"kernels": 3}}}, "stabilizers.minibatch"),
        ({"loss": "ebgan", "ebgan": {"pullaway_weight": 0.1}}, "ebgan.pullaway_weight"),
    ],
)
def test_batch_coupled_methods_are_refused_on_several_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stabilizer: dict[str, object], named: str
) -> None:
    config = tiny_config(
        **({"loss": "nonsaturating", "lipschitz": {"method": "none"}} | stabilizer)
    )
    Trainer(config, tmp_path / "one", quiet=True)  # one process: fine
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    with pytest.raises(UserError, match=f"{named} .*couples the samples of a batch.* 2 processes"):
        Trainer(config, tmp_path / "run", quiet=True)  # start_run writes nothing before this
    # Feature matching exchanges its batch means between the processes instead.
    Trainer(tiny_config(stabilizers={"feature_matching": True}), tmp_path / "fm", quiet=True)


def test_evaluation_keys_and_mode_coverage(tmp_path: Path) -> None:
    trainer = Trainer(tiny_config(), tmp_path, quiet=True)
    result = trainer.evaluate()
    assert set(result) == {
        "step", "w1", "w1_noise_floor", "w1_noise_floor_std", "w1_standardized",
        "critic_w_estimate", "critic_lipschitz_bound", "precision", "recall", "density", "coverage", "protocol",
        "modes_covered", "modes_total", "high_quality", "reverse_kl",
    }  # fmt: skip
    # The untrained generator sits near the origin, between the modes: no sample is in a real
    # k-NN ball (precision, density 0), no real point in its balls (recall, coverage 0).
    assert (result["precision"], result["recall"], result["coverage"]) == (0.0, 0.0, 0.0)
    assert result["protocol"] == {
        "n_real": 200, "n_fake": 200, "real": "the held-out split",
        "floor_reference": "a fresh draw of the exact sampler", "floor_pairs": 8,
        "features": None, "wgan_version": result["protocol"]["wgan_version"], "generator": "ema",
    }  # fmt: skip
    assert (
        isinstance(result["critic_lipschitz_bound"], float) and result["critic_lipschitz_bound"] > 0
    )
    assert result["modes_total"] == 8
    assert 0 < result["w1_noise_floor"] < result["w1"]
    assert 0 < result["w1_noise_floor_std"] < result["w1_noise_floor"]
