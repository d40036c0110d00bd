from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call

from wgan.lipschitz import clip_weights_, gradient_penalty, interpolate


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
