from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.func import functional_call

from conftest import tiny_config
from wgan import losses
from wgan.lipschitz import (
    add_weight_decay_,
    clip_gains_,
    clip_norms_,
    clip_weights_,
    gradient_penalty,
    interpolate,
    spectral_normalize_,
    weight_matrices,
    weight_normalize_,
)
from wgan.training.trainer import Trainer


def test_interpolate_mixes_per_sample_for_any_rank() -> None:
    real = torch.ones(3, 2, 4, 4)
    fake = torch.zeros(3, 2, 4, 4)
    eps = torch.tensor([0.0, 0.25, 1.0])
    x_hat = interpolate(real, fake, eps)
    for i in range(3):
        torch.testing.assert_close(x_hat[i], torch.full((2, 4, 4), float(eps[i])))


def test_penalty_of_a_linear_critic_by_hand() -> None:
    # f(x) = w . x + b has gradient w everywhere: penalty (||w|| - 1)^2 = (5 - 1)^2 = 16.
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    penalty, norms = gradient_penalty(critic, real, fake, eps=torch.rand(8))
    torch.testing.assert_close(norms, torch.full((8,), 5.0))
    torch.testing.assert_close(penalty, torch.tensor(16.0))
    one_sided, _ = gradient_penalty(critic, real, fake, eps=torch.rand(8), one_sided=True)
    torch.testing.assert_close(one_sided, torch.tensor(16.0))
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.3, 0.4]]))  # ||w|| = 0.5 < 1
    two, _ = gradient_penalty(critic, real, fake, eps=torch.rand(8))
    one, _ = gradient_penalty(critic, real, fake, eps=torch.rand(8), one_sided=True)
    torch.testing.assert_close(two, torch.tensor(0.25))
    torch.testing.assert_close(one, torch.tensor(0.0))


def test_penalty_gradient_matches_finite_differences() -> None:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    real, fake = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    eps = torch.rand(5, dtype=torch.float64)
    names = [name for name, _ in critic.named_parameters()]

    def penalty_of(*params: torch.Tensor) -> torch.Tensor:
        def module(x: torch.Tensor) -> torch.Tensor:
            return functional_call(critic, dict(zip(names, params, strict=True)), (x,))

        value, _ = gradient_penalty(module, real, fake, eps=eps)  # type: ignore[arg-type]
        return value

    params = tuple(p.detach().clone().requires_grad_(True) for p in critic.parameters())
    assert torch.autograd.gradcheck(penalty_of, params)


def test_penalty_norm_is_fp32_under_bf16_autocast() -> None:
    critic = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        penalty, norms = gradient_penalty(
            critic, torch.randn(4, 2), torch.randn(4, 2), eps=torch.rand(4)
        )
    assert norms.dtype == torch.float32
    assert penalty.dtype == torch.float32


def test_clipping_bounds_every_parameter() -> None:
    critic = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.normal_(0, 1.0)
    clip_weights_(critic, 0.01)
    for p in critic.parameters():
        assert p.abs().max() <= 0.01
    assert any((p.abs() == 0.01).any() for p in critic.parameters())
    with pytest.raises(ValueError, match="bound"):
        clip_weights_(critic, -0.01)


def _relu_critic(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)
    )


def test_spectral_norm_scales_every_weight_to_unit_spectral_norm() -> None:
    critic = spectral_normalize_(_relu_critic())
    for _ in range(30):  # one power iteration per forward pass in training mode
        critic(torch.randn(8, 2))
    for layer in (critic[0], critic[2], critic[4]):
        sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)  # exact, by SVD
        torch.testing.assert_close(sigma, torch.tensor(1.0), atol=1e-3, rtol=0)


def test_spectrally_normalised_relu_critic_is_1_lipschitz() -> None:
    critic = spectral_normalize_(_relu_critic(1))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(10.0)  # large raw weights: the normalisation, not the init, bounds the slope
    for _ in range(30):
        critic(torch.randn(8, 2))
    critic.eval()
    x = (3 * torch.randn(2000, 2)).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    assert grad.norm(dim=1).max() <= 1.0 + 1e-4
    plain = _relu_critic(1)
    with torch.no_grad():
        for p in plain.parameters():
            p.mul_(10.0)
    (grad,) = torch.autograd.grad(plain(x).sum(), x)
    assert grad.norm(dim=1).max() > 10.0  # the same weights without it are far from 1-Lipschitz


def test_spectral_norm_iterates_in_training_only_and_checkpoints_its_vectors() -> None:
    critic = spectral_normalize_(_relu_critic())
    keys = critic.state_dict().keys()
    assert "0.parametrizations.weight.0._u" in keys and "4.parametrizations.weight.0._v" in keys
    critic.eval()
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    critic(torch.randn(8, 2))
    assert all(torch.equal(before[k], v) for k, v in critic.state_dict().items())
    critic.train()
    critic(torch.randn(8, 2))
    assert not torch.equal(
        before["0.parametrizations.weight.0._u"], critic[0].parametrizations.weight[0]._u
    )


def test_spectral_norm_reaches_convolutions() -> None:
    critic = spectral_normalize_(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(64, 1)))
    assert hasattr(critic[0], "parametrizations") and hasattr(critic[2], "parametrizations")


def _scaled_critic(scale: float, seed: int = 0) -> nn.Sequential:
    critic = _relu_critic(seed)
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(scale)
    return critic


def test_norm_clipping_projects_each_matrix_onto_the_ball() -> None:
    critic = _scaled_critic(10.0)
    before = [p.detach().clone() for p in critic.parameters()]
    clip_norms_(critic, 1.5)
    for old, new in zip(before, critic.parameters(), strict=True):
        if new.dim() < 2:
            assert torch.equal(old, new)  # biases do not change a Lipschitz constant
        else:  # the projection: the same direction, norm min(||W||, 1.5)
            torch.testing.assert_close(new.norm(), torch.minimum(old.norm(), torch.tensor(1.5)))
            torch.testing.assert_close(new / new.norm(), old / old.norm())
    small = _scaled_critic(1e-3)
    kept = [p.detach().clone() for p in small.parameters()]
    clip_norms_(small, 1.5)  # inside the ball already: unchanged
    assert all(torch.equal(a, b) for a, b in zip(kept, small.parameters(), strict=True))
    with pytest.raises(ValueError, match="bound"):
        clip_norms_(critic, 0.0)


def test_weight_normalisation_keeps_the_function_and_bounds_each_row() -> None:
    plain = _scaled_critic(10.0).double()  # float64: g * V / ||V|| rounds in float32
    critic = weight_normalize_(_scaled_critic(10.0).double())
    x = torch.randn(64, 2, dtype=torch.float64)
    torch.testing.assert_close(critic(x), plain(x))  # g = ||V|| at the start: the same weights
    clip_gains_(critic, 0.5)
    for layer in (critic[0], critic[2], critic[4]):
        rows = layer.weight.detach().norm(dim=1)
        assert rows.max() <= 0.5 + 1e-6
        torch.testing.assert_close(rows, torch.full_like(rows, 0.5))  # all were above 0.5


def test_weight_decay_adds_the_gradient_of_its_penalty() -> None:
    # Ground truth: autograd of strength * sum ||W||_p^p over the matrices, added to the loss.
    x = torch.randn(32, 2)
    for p in (1, 2):
        critic, reference = _relu_critic(3), _relu_critic(3)
        critic(x).mean().backward()
        add_weight_decay_(critic, p, 0.01)
        matrices = [w for w in reference.parameters() if w.dim() >= 2]
        penalty = sum(w.abs().pow(p).sum() for w in matrices)
        (reference(x).mean() + 0.01 * penalty).backward()
        for got, want in zip(critic.parameters(), reference.parameters(), strict=True):
            assert want.grad is not None and got.grad is not None
            torch.testing.assert_close(got.grad, want.grad)


@pytest.mark.parametrize(
    ("method", "check"),
    [
        ("clip", lambda critic: max(p.abs().max() for p in critic.parameters()) <= 0.01),
        ("clip-norm", lambda critic: all(p.norm() <= 0.5 + 1e-6 for p in weight_matrices(critic))),
        (
            "weight-norm",
            lambda critic: all(
                layer.weight.norm(dim=1).max() <= 0.5 + 1e-6
                for layer in critic.modules()
                if isinstance(layer, nn.Linear)
            ),
        ),
    ],
)
def test_a_run_keeps_its_weight_constraint(tmp_path: Path, method: str, check: Any) -> None:
    config = tiny_config(lipschitz={"method": method, "norm_bound": 0.5}, steps=3)
    trainer = Trainer(config, tmp_path, quiet=True)
    for _ in range(3):
        trainer.train_step()
    with torch.no_grad():
        assert check(trainer.critic)


def test_a_decayed_critic_step_equals_its_penalised_step(tmp_path: Path) -> None:
    # One critic update of an l2-decay run against the same update of a run without constraint
    # whose loss carries weight_decay * sum W^2: the same weights after the optimizer step.
    decayed = Trainer(
        tiny_config(lipschitz={"method": "l2-decay", "weight_decay": 0.05}),
        tmp_path / "d",
        quiet=True,
    )
    plain = Trainer(
        tiny_config(lipschitz={"method": "clip", "clip": 1e6}), tmp_path / "p", quiet=True
    )
    plain.critic.load_state_dict(decayed.critic.state_dict())
    plain.d_opt = type(decayed.d_opt)(plain.critic.parameters(), **decayed.d_opt.defaults)
    x = torch.randn(16, 2)
    objective = losses.CriticObjective(decayed.critic(x).mean(), None, {})
    decayed.critic_update(objective)
    penalty = sum(w.square().sum() for w in weight_matrices(plain.critic))
    plain.critic_update(losses.CriticObjective(plain.critic(x).mean() + 0.05 * penalty, None, {}))
    for a, b in zip(decayed.critic.parameters(), plain.critic.parameters(), strict=True):
        torch.testing.assert_close(a, b)
