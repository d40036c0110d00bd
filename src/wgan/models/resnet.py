"""The ResNet generator and critic of the WGAN-GP paper (Gulrajani et al. 2017, CIFAR-10).

As in the paper's code (gan_cifar_resnet.py), for 32x32 with width 128: the generator maps z
through a linear layer to 4x4x128, three residual blocks that each double the side (nearest
upsampling inside the block), BatchNorm, ReLU, a 3x3 convolution to the image channels and tanh.
The critic has an optimised first block and a second block that each halve the side (mean
pooling), two blocks at constant size, ReLU, a global mean over positions and a linear layer. The
critic's ReLUs are `MaskedReLU`: torch's values and gradients, a cheaper penalty (layers.py).
Other resolutions change the number of generator blocks and the starting side (28: 7 -> 14 -> 28;
16: 4 -> 8 -> 16), see `upsampling_stages`.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn import functional as F

from wgan.lipschitz import LipschitzBounds, spectral_normalize_
from wgan.models.layers import (
    MaskedReLU,
    centre_crop,
    critic_norm_layer,
    upsampling_stages,
)


class _UpBlock(nn.Module):
    """BN, ReLU, upsample x2, conv 3x3, BN, ReLU, conv 3x3; shortcut: upsample x2, conv 1x1."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.BatchNorm2d(c_in),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(c_in, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1),
        )
        self.shortcut = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.main(x)


class _DownBlock(nn.Module):
    """norm, ReLU, conv 3x3, norm, ReLU, conv 3x3 [, mean-pool 2x2]; shortcut: [pool,] conv 1x1.

    Without downsampling and with equal channels the shortcut is the identity. (The paper pools
    after the shortcut's 1x1 convolution; the two are linear and commute, pooling first is cheaper.)
    """

    def __init__(self, c_in: int, c_out: int, *, down: bool, norm: str) -> None:
        super().__init__()
        self.down = down
        self.main = nn.Sequential(
            critic_norm_layer(norm, c_in),
            MaskedReLU(),
            nn.Conv2d(c_in, c_in, 3, padding=1),
            critic_norm_layer(norm, c_in),
            MaskedReLU(),
            nn.Conv2d(c_in, c_out, 3, padding=1),
        )
        self.shortcut = nn.Identity() if c_in == c_out and not down else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.main(x)
        if self.down:
            return self.shortcut(F.avg_pool2d(x, 2)) + F.avg_pool2d(out, 2)
        return self.shortcut(x) + out

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """The sum of the two branches' bounds."""
        pool = [nn.AvgPool2d(2)] if self.down else []
        return bounds.branches([[*self.main, *pool], [*pool, self.shortcut]], shape)


class _FirstBlock(nn.Module):
    """The paper's OptimizedResBlockDisc1: conv 3x3, ReLU, conv 3x3, mean-pool; shortcut: pool, conv."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1),
            MaskedReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1),
        )
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(F.avg_pool2d(x, 2)) + F.avg_pool2d(self.main(x), 2)

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        """The sum of the two branches' bounds."""
        return bounds.branches(
            [[*self.main, nn.AvgPool2d(2)], [nn.AvgPool2d(2), self.shortcut]], shape
        )


class ResNetGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, channels, resolution, resolution) in [-1, 1]."""

    def __init__(self, *, latent_dim: int, channels: int, resolution: int, width: int) -> None:
        super().__init__()
        k, s0 = upsampling_stages(resolution)
        self.resolution = resolution
        self.start = (width, s0, s0)
        self.project = nn.Linear(latent_dim, width * s0 * s0)
        self.blocks = nn.Sequential(*[_UpBlock(width, width) for _ in range(k)])
        self.out = nn.Sequential(
            nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, channels, 3, padding=1), nn.Tanh()
        )

    def forward(self, z: Tensor) -> Tensor:
        x = self.project(z).view(-1, *self.start)  # (B, W, s0, s0)
        return centre_crop(self.out(self.blocks(x)), self.resolution)  # (B, C, R, R)


class ResNetCritic(nn.Module):
    """images (B, C, R, R) -> scores (B, 1); `norm` "none" (the paper's), "layernorm", "sn" (by the
    `sn_norm` of `wgan.lipschitz.SN_NORMS`), ..."""

    def __init__(self, *, channels: int, width: int, norm: str, sn_norm: str = "reshaped") -> None:
        super().__init__()
        block_norm = "none" if norm == "sn" else norm
        self.blocks = nn.Sequential(
            _FirstBlock(channels, width),
            _DownBlock(width, width, down=True, norm=block_norm),
            _DownBlock(width, width, down=False, norm=block_norm),
            _DownBlock(width, width, down=False, norm=block_norm),
            MaskedReLU(),
        )
        self.head = nn.Linear(width, 1)
        if norm == "sn":
            spectral_normalize_(self, sn_norm)

    def features(self, x: Tensor) -> Tensor:
        """The input of the linear head (B, width): what conditional and auxiliary heads share."""
        return self.blocks(x).mean(dim=(2, 3))

    def feature_layers(self) -> list[nn.Module]:
        """Layers whose composition is `features` (for Lipschitz bounds)."""
        return [*self.blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten()]

    def lipschitz_bound(self, shape: tuple[int, ...], bounds: LipschitzBounds) -> float | None:
        return bounds.chain([*self.feature_layers(), self.head], shape)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # (B, 1)
