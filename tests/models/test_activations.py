"""Masked ReLU / LeakyReLU: torch's values and gradients, and a cheaper penalty double backward."""

from __future__ import annotations

import copy
import itertools

import pytest
import torch
from torch import nn

from conftest import benchmark_script, tiny_image_config
from wgan.config import load_config
from wgan.flops import count_flops
from wgan.lipschitz import gradient_penalty
from wgan.models import build_models
from wgan.models.layers import MaskedLeakyReLU, MaskedReLU, _PiecewiseLinear

torch_activations = benchmark_script("reference_wgan_gp").torch_activations


@pytest.mark.parametrize(
    ("masked", "plain"), [(MaskedReLU(), nn.ReLU()), (MaskedLeakyReLU(0.2), nn.LeakyReLU(0.2))]
)
def test_values_and_gradients_are_torchs(masked: nn.Module, plain: nn.Module) -> None:
    x = torch.tensor([-2.0, -0.0, 0.0, 1e-30, 3.0, float("inf"), -float("inf")])
    x = torch.cat([x, torch.randn(50)])
    grad = torch.randn_like(x)
    grad[:3] = torch.tensor([float("nan"), float("inf"), 1.0])
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    assert torch.equal(masked(a), plain(b))
    masked(a).backward(grad)
    plain(b).backward(grad)
    torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_second_derivatives_match_finite_differences(slope: float) -> None:
    x = torch.randn(6, 5, dtype=torch.float64)
    x = (x + 0.1 * x.sign()).requires_grad_(True)  # away from the kink, where it is smooth
    assert torch.autograd.gradcheck(lambda t: _PiecewiseLinear.apply(t, slope), (x,))
    assert torch.autograd.gradgradcheck(lambda t: _PiecewiseLinear.apply(t, slope), (x,))


def _penalty_gradients(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> list:
    critic.zero_grad(set_to_none=False)
    eps = torch.rand(len(real), generator=torch.Generator().manual_seed(1))
    penalty, _ = gradient_penalty(critic, real, fake, eps=eps)
    penalty.backward()
    grads = [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in critic.parameters()]
    return [penalty.detach(), *grads]


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_penalty_and_its_gradients_equal_those_with_torchs_activations(arch: str) -> None:
    if arch == "mlp":
        config = load_config(None, model={"critic_width": 32})
        shape: tuple[int, ...] = (2,)
    else:
        config = tiny_image_config(model={"arch": arch, "latent_dim": 8, "critic_width": 4})
        shape = (1, 8, 8)
    torch.manual_seed(0)
    _, critic = build_models(config, shape)
    plain = torch_activations(copy.deepcopy(critic))
    assert not any(isinstance(m, (MaskedReLU, MaskedLeakyReLU)) for m in plain.modules())
    real, fake = torch.randn(16, *shape), torch.randn(16, *shape)
    for a, b in zip(
        _penalty_gradients(critic, real, fake), _penalty_gradients(plain, real, fake), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # adding the zeros changed nothing


def test_penalty_flops_of_an_mlp_critic_drop_by_a_third() -> None:
    """Closed forms for an MLP critic with layer FLOPs F_l = 2 B in_l out_l, F = sum F_l:
    forward F, gradient at x_hat F, its backward 2F - F_last (the last layer's incoming gradient
    is a constant); torch's ReLU adds 2 (F - F_last): zeros back through every layer it follows."""
    dims, batch = [2, 64, 64, 64, 1], 32
    config = load_config(None, model={"critic_width": 64, "critic_depth": 3})
    torch.manual_seed(0)
    _, critic = build_models(config, (2,))
    plain = torch_activations(copy.deepcopy(critic))
    layer = [2 * batch * a * b for a, b in itertools.pairwise(dims)]
    f, f_last = sum(layer), layer[-1]
    real, fake = torch.randn(batch, 2), torch.randn(batch, 2)
    masked_flops, _ = count_flops(lambda: _penalty_gradients(critic, real, fake))
    plain_flops, _ = count_flops(lambda: _penalty_gradients(plain, real, fake))
    assert masked_flops == 4 * f - f_last
    assert plain_flops == 6 * f - 3 * f_last


def test_penalty_flops_of_the_dcgan_critic_at_28x28() -> None:
    """docs/speed.md's figure: the penalty's pass of benchmarks/speed.py's DCGAN critic (width 64,
    28x28, batch 64) costs 3.44 GFLOP with the masked LeakyReLU and 5.09 with torch's, the
    difference being the convolutions' backward that torch's zero second derivative runs."""
    config = benchmark_script("speed").dcgan_config()
    torch.manual_seed(0)
    _, critic = build_models(config, (1, 28, 28))
    plain = torch_activations(copy.deepcopy(critic))
    real, fake = torch.randn(64, 1, 28, 28), torch.randn(64, 1, 28, 28)
    masked_flops, masked_ops = count_flops(lambda: _penalty_gradients(critic, real, fake))
    plain_flops, plain_ops = count_flops(lambda: _penalty_gradients(plain, real, fake))
    assert (masked_flops, plain_flops) == (3_444_883_456, 5_089_050_624)
    assert round(masked_flops / 1e9, 2) == 3.44 and round(plain_flops / 1e9, 2) == 5.09
    assert masked_ops["aten.convolution"] == plain_ops["aten.convolution"]  # the same forwards
