"""EBGAN's discriminator (Zhao et al. 2017): an autoencoder whose reconstruction error is the
energy of a sample, low on real data."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from wgan.lipschitz import LipschitzBounds
from wgan.models.mlp import mlp


class AutoencoderCritic(nn.Module):
    """x (B, d) -> scores -E(x) (B, 1), with the energy E(x) = ||Dec(Enc(x)) - x||_2.

    The score is the negated energy so that, as for every critic here, real samples score high.
    `features(x)` is the code Enc(x) (B, code_dim), for the pulling-away term and feature
    matching. Encoder and decoder are MLPs with `depth` hidden layers of `width` units each.
    """

    def __init__(self, dim: int, *, width: int, depth: int, code_dim: int, activation: str) -> None:
        super().__init__()
        self.encoder = mlp(dim, code_dim, width=width, depth=depth, activation=activation)
        self.decoder = mlp(code_dim, dim, width=width, depth=depth, activation=activation)

    def features(self, x: Tensor) -> Tensor:
        return self.encoder(x)  # (B, code_dim)

    def forward(self, x: Tensor) -> Tensor:
        hidden = self.decoder[:-1](self.encoder(x))  # (B, width)
        # The energy is a small difference of O(1) numbers: bf16's 8-bit mantissa would round the
        # reconstruction by about 0.4%, so the output layer and the difference run in fp32.
        with torch.autocast(x.device.type, enabled=False):
            reconstruction = self.decoder[-1](hidden.float())  # (B, d)
            return -(reconstruction - x.float()).norm(dim=1, keepdim=True)  # (B, 1)

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """| ||g(x) - x|| - ||g(y) - y|| | <= ||(g(x) - g(y)) - (x - y)||, so L(g) + 1, with
        g = Dec o Enc."""
        bound = bounds.chain([*self.encoder, *self.decoder], shape)
        return None if bound is None else bound + 1.0
