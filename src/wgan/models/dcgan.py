"""DCGAN (Radford et al. 2016) generator and critic, sized from the images' resolution.

As the DCGAN guidelines give them: strided convolutions instead of pooling, BatchNorm in the
generator, ReLU in the generator and LeakyReLU(0.2) in the critic, tanh at the output, no fully
connected hidden layers beyond the projection of z. Kernels are 4x4 with stride 2 and padding 1
(as DCGAN's reference code): each layer halves the side (28 -> 14 -> 7) or doubles it.
"""

from __future__ import annotations

import itertools

from torch import Tensor, nn

from wgan.lipschitz import LipschitzBounds, spectral_normalize_
from wgan.models.layers import (
    MaskedLeakyReLU,
    centre_crop,
    critic_norm_layer,
    upsampling_stages,
)


def _stage_widths(resolution: int, width: int) -> list[int]:
    """Channels at each stage from the smallest feature map up: 8w at most, w at the last."""
    k, _ = upsampling_stages(resolution)
    return [min(8, 2 ** (k - 1 - i)) * width for i in range(k)]


class DCGANGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, channels, resolution, resolution) in [-1, 1].

    A linear projection to s0 x s0 x (width * 2^(k-1)), then k transposed convolutions
    (4x4, stride 2) that double the side, each but the last followed by BatchNorm and ReLU.
    """

    def __init__(self, *, latent_dim: int, channels: int, resolution: int, width: int) -> None:
        super().__init__()
        _, s0 = upsampling_stages(resolution)
        widths = _stage_widths(resolution, width)
        self.resolution = resolution
        self.start = (widths[0], s0, s0)
        features = widths[0] * s0 * s0
        self.project = nn.Sequential(
            nn.Linear(latent_dim, features, bias=False), nn.BatchNorm1d(features), nn.ReLU()
        )
        layers: list[nn.Module] = []
        for c_in, c_out in itertools.pairwise(widths):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, stride=2, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        x = self.project(z).view(-1, *self.start)  # (B, C0, s0, s0)
        return centre_crop(self.body(x), self.resolution)  # (B, C, R, R)


class DCGANCritic(nn.Module):
    """images (B, C, R, R) -> scores (B, 1).

    k convolutions (4x4, stride 2) with width, 2 width, ... channels (8 width at most), each
    followed by the chosen normalisation (not after the first) and LeakyReLU(0.2), then a linear
    layer. `norm` is "none", "layernorm", "batchnorm" or "sn" (spectral norm on every weight, by
    the `sn_norm` of `wgan.lipschitz.SN_NORMS`).
    """

    def __init__(
        self, *, channels: int, resolution: int, width: int, norm: str, sn_norm: str = "reshaped"
    ) -> None:
        super().__init__()
        k, _ = upsampling_stages(resolution)
        layers: list[nn.Module] = []
        c_in, side = channels, resolution
        for i in range(k):
            c_out = min(8, 2**i) * width
            layers.append(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1))
            if i > 0 and norm != "sn":
                layers.append(critic_norm_layer(norm, c_out))
            layers.append(MaskedLeakyReLU(0.2))
            c_in, side = c_out, side // 2
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c_in * side * side, 1)
        if norm == "sn":
            spectral_normalize_(self, sn_norm)

    def features(self, x: Tensor) -> Tensor:
        """The input of the linear head (B, k): what conditional and auxiliary heads share."""
        return self.body(x).flatten(1)

    def feature_layers(self) -> list[nn.Module]:
        """Layers whose composition is `features` (for Lipschitz bounds)."""
        return [*self.body, nn.Flatten()]

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        return bounds.chain([*self.feature_layers(), self.head], shape)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # (B, 1)
