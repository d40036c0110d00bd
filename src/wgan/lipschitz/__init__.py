"""Ways to keep the critic (close to) 1-Lipschitz: weight clipping, the gradient penalty and
spectral normalisation."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = [
    "PENALTY_METHODS",
    "clip_weights_",
    "gradient_penalty",
    "interpolate",
    "spectral_normalize_",
]

PENALTY_METHODS = ("gp", "gp-one-sided")  # the methods of `lipschitz.method` that add a penalty


def interpolate(real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    """x_hat = eps * real + (1 - eps) * fake, with eps (B,) broadcast over a sample of any rank."""
    eps = eps.reshape(-1, *([1] * (real.dim() - 1))).to(real.dtype)
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    *,
    eps: Tensor,
    target: float = 1.0,
    one_sided: bool = False,
) -> tuple[Tensor, Tensor]:
    """The WGAN-GP penalty (without lambda) and the gradient norms it was computed from.

    `critic` maps samples to scores: a critic module, or a conditional critic with its labels
    bound (the interpolates of a cGAN pair samples of one label).

    penalty = mean_i (||grad f(x_hat_i)|| - target)^2, or mean_i max(0, ||grad|| - target)^2 when
    `one_sided`; x_hat_i = eps_i real_i + (1 - eps_i) fake_i. The graph is kept (create_graph), so
    the penalty's gradient reaches the critic's parameters. The norm is taken in fp32 (or wider)
    even when the critic runs under bf16 autocast. Returns (penalty scalar, norms (B,)).
    """
    x_hat = interpolate(real.detach(), fake.detach(), eps).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.to(torch.promote_types(grad.dtype, torch.float32)).flatten(1).norm(dim=1)  # (B,)
    excess = norms - target
    if one_sided:
        excess = excess.clamp(min=0.0)
    return excess.square().mean(), norms


@torch.no_grad()
def clip_weights_(critic: nn.Module, bound: float) -> None:
    """Clamp every parameter of the critic to [-bound, bound], in place (WGAN, Algorithm 1)."""
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    for param in critic.parameters():
        param.clamp_(-bound, bound)


def spectral_normalize_(critic: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of every linear and convolution weight, in place.

    Each weight W is used as W / sigma(W), sigma the largest singular value estimated by one
    power iteration per forward pass (torch's parametrization; the iteration vectors are buffers,
    so they are checkpointed and a resumed run continues them). In eval mode the estimate is
    frozen, so evaluating a critic does not change it. With 1-Lipschitz activations the critic is
    then 1-Lipschitz, a bound that is usually loose: the product of the layers' norms.
    Returns the critic.
    """
    for layer in list(critic.modules()):
        if isinstance(layer, nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d):
            spectral_norm(layer)
    return critic
