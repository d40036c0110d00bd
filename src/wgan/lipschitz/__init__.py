"""Ways to keep the critic (close to) K-Lipschitz: the gradient penalty, spectral normalisation
(`wgan.lipschitz.spectral`, by the reshaped kernel's norm or the exact operator norm), and the
weight constraints of the WGAN papers: clipping each weight, clipping each layer's L2 norm,
weight normalisation with bounded gains, and L1 or L2 weight decay (Gulrajani et al. 2017, Section 3,
found that these last ones fail as clipping does; `wgan demo findings` measures it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from wgan.lipschitz.bounds import LipschitzBounds, critic_lipschitz_bound
from wgan.lipschitz.spectral import SN_NORMS, OperatorNorm, spectral_normalize_

__all__ = [
    "DECAY_METHODS",
    "PENALTY_METHODS",
    "SN_NORMS",
    "LipschitzBounds",
    "OperatorNorm",
    "WeightConstraint",
    "add_weight_decay_",
    "clip_gains_",
    "clip_norms_",
    "clip_weights_",
    "constrain_weights_",
    "critic_lipschitz_bound",
    "gradient_penalty",
    "interpolate",
    "spectral_normalize_",
    "weight_matrices",
    "weight_normalize_",
]

PENALTY_METHODS = ("gp", "gp-one-sided")  # the methods of `lipschitz.method` that add a penalty
DECAY_METHODS = {"l1-decay": 1, "l2-decay": 2}  # soft constraints: the norm p of the decay


class WeightConstraint(Protocol):
    """What the weight constraints read of a config's `lipschitz` section."""

    @property
    def method(self) -> str: ...
    @property
    def clip(self) -> float: ...
    @property
    def norm_bound(self) -> float: ...
    @property
    def weight_decay(self) -> float: ...


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


def weight_matrices(critic: nn.Module) -> list[nn.Parameter]:
    """The critic's weight matrices and kernels (parameters of two or more dimensions): what L2-norm
    clipping and weight decay act on. Biases do not change a Lipschitz constant."""
    return [param for param in critic.parameters() if param.dim() >= 2]


@torch.no_grad()
def clip_norms_(critic: nn.Module, bound: float) -> None:
    """L2-norm clipping, in place: each weight matrix or kernel W becomes W * min(1, bound / ||W||)
    (||W|| the L2 norm of all its entries), the projection onto the ball of radius `bound`. The
    operator norm of a linear layer is at most that norm, so the critic is bound^depth-Lipschitz
    (with 1-Lipschitz activations)."""
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    for weight in weight_matrices(critic):
        weight.mul_((bound / weight.norm()).clamp(max=1.0))


def weight_normalize_(critic: nn.Module) -> nn.Module:
    """Weight normalisation (Salimans & Kingma 2016) of every linear and convolution weight, in
    place: W = g * V / ||V|| row by row (per output unit), g and V learned. Alone it bounds
    nothing; `clip_gains_` after each step keeps every row's norm |g| within a bound. Returns the
    critic."""
    for layer in list(critic.modules()):
        if isinstance(layer, nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d):
            weight_norm(layer)
    return critic


@torch.no_grad()
def clip_gains_(critic: nn.Module, bound: float) -> None:
    """Clamp the gains g of a weight-normalised critic to [-bound, bound], in place: each output
    unit's weight vector then has norm at most `bound`."""
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    for layer in critic.modules():
        parametrizations = getattr(layer, "parametrizations", None)
        if parametrizations is not None and "weight" in parametrizations:
            parametrizations.weight.original0.clamp_(-bound, bound)


@torch.no_grad()
def add_weight_decay_(critic: nn.Module, p: int, strength: float) -> None:
    """Add the gradient of strength * sum ||W||_p^p over the weight matrices and kernels (L1 or L2
    weight decay, a soft constraint) to their .grad, in place: strength * sign(W) for p = 1,
    2 * strength * W for p = 2. Call it after the backward pass and before the optimizer step."""
    for weight in weight_matrices(critic):
        if weight.grad is None:
            continue
        weight.grad.add_(weight.sign() if p == 1 else 2.0 * weight, alpha=strength)


def constrain_weights_(critic: nn.Module, lipschitz: WeightConstraint) -> None:
    """The hard weight constraint of `lipschitz.method`, after each critic step: clipping each
    weight at `clip`, each weight matrix's L2 norm at `norm_bound`, or a weight-normalised
    critic's gains at `norm_bound`; nothing for the other methods."""
    if lipschitz.method == "clip":
        clip_weights_(critic, lipschitz.clip)
    elif lipschitz.method == "clip-norm":
        clip_norms_(critic, lipschitz.norm_bound)
    elif lipschitz.method == "weight-norm":
        clip_gains_(critic, lipschitz.norm_bound)
