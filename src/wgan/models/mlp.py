"""Fully connected networks, as in the WGAN-GP paper's toy experiments (512 units, 3 hidden layers)."""

from __future__ import annotations

from torch import nn

from wgan.models.layers import MaskedLeakyReLU, MaskedReLU

# ReLU and leaky ReLU as torch's, with a cheaper double backward for the gradient penalty.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": MaskedReLU,
    "leaky_relu": MaskedLeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}


def mlp(in_dim: int, out_dim: int, *, width: int, depth: int, activation: str) -> nn.Sequential:
    """`depth` hidden layers of `width` units, each Linear then activation, then a Linear output.

    A critic built this way (out_dim 1) returns scores of shape (B, 1); it has no BatchNorm, so the
    gradient penalty, which is per sample, stays well defined.
    """
    layers: list[nn.Module] = []
    size = in_dim
    for _ in range(depth):
        layers += [nn.Linear(size, width), ACTIVATIONS[activation]()]
        size = width
    layers.append(nn.Linear(size, out_dim))
    return nn.Sequential(*layers)
