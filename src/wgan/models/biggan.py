"""BigGAN's generator (Brock et al. 2019): residual up-sampling blocks whose BatchNorm gain and
bias come from a class embedding and a chunk of z.

The generator's input is z with the condition appended (a cGAN's one-hot label, InfoGAN's codes,
nothing for an unconditional run), as for every generator here (`wgan.models.conditional`). It
splits the input back: the condition c goes through a shared embedding (a bias-free linear map:
a one-hot picks one column, the class's embedding), and z into one chunk per block and one for the
first linear layer (the "hierarchical latent", section 3 of the paper). Each block's two
conditional BatchNorms get gain 1 + W_g [z_k, e] and bias W_b [z_k, e]:

    z_0 -> linear -> (W, s0, s0)
        -> up block ([z_1, e]) -> ... -> up block ([z_k, e])
        -> BN -> ReLU -> conv 3x3 -> tanh

    up block (x, y): CBN(y) -> ReLU -> upsample x2 -> conv 3x3 -> CBN(y) -> ReLU -> conv 3x3
                     + shortcut: upsample x2 -> conv 1x1

As in BigGAN-PyTorch at 32x32 (arch[32]: three blocks at a constant width from 4x4), the number
of blocks and the starting side follow the resolution (`upsampling_stages`). The critic is the
ResNet critic of `wgan.models.resnet`, whose blocks at 32x32 are BigGAN's (two down-sampling
blocks, two at constant size, ReLU, global pooling, linear), spectrally normalised through the
config and wrapped in the projection head by the cgan kind.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from wgan.models.layers import centre_crop, upsampling_stages


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own affine map: x_hat * (1 + W_g y + b_g) + W_b y + b_b for the
    condition y (B, cond_dim), per channel; at y = 0 and zero weights it is plain BatchNorm."""

    def __init__(self, channels: int, cond_dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels)
        self.bias = nn.Linear(cond_dim, channels)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        gain = 1.0 + self.gain(y)[:, :, None, None]  # (B, C, 1, 1)
        return self.norm(x) * gain + self.bias(y)[:, :, None, None]


class _UpBlock(nn.Module):
    """CBN, ReLU, upsample x2, conv 3x3, CBN, ReLU, conv 3x3; shortcut: upsample x2, conv 1x1."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int) -> None:
        super().__init__()
        self.bn1 = ConditionalBatchNorm(c_in, cond_dim)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn2 = ConditionalBatchNorm(c_out, cond_dim)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.relu = nn.ReLU()

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = self.conv1(self.up(self.relu(self.bn1(x, y))))
        h = self.conv2(self.relu(self.bn2(h, y)))
        return self.shortcut(self.up(x)) + h


class BigGANGenerator(nn.Module):
    """[z, c] (B, latent_dim + condition_dim) -> images (B, channels, resolution, resolution) in
    [-1, 1]; the condition's embedding has latent_dim entries (BigGAN's shared_dim default)."""

    def __init__(
        self, *, latent_dim: int, condition_dim: int, channels: int, resolution: int, width: int
    ) -> None:
        super().__init__()
        k, s0 = upsampling_stages(resolution)
        if latent_dim < k + 1:
            raise ValueError(
                f"the BigGAN generator at {resolution}x{resolution} splits z into {k + 1} "
                f"chunks; model.latent_dim must be at least {k + 1}, got {latent_dim}"
            )
        chunk = latent_dim // (k + 1)
        self.latent_dim = latent_dim
        self.condition_dim = condition_dim
        self.chunks = [latent_dim - k * chunk] + [chunk] * k  # the first takes the remainder
        self.resolution = resolution
        self.start = (width, s0, s0)
        embed_dim = latent_dim if condition_dim else 0
        # The shared embedding: one map for all blocks (None without a condition).
        self.shared = nn.Linear(condition_dim, embed_dim, bias=False) if condition_dim else None
        self.project = nn.Linear(self.chunks[0], width * s0 * s0)
        self.blocks = nn.ModuleList([_UpBlock(width, width, chunk + embed_dim) for _ in range(k)])
        self.out = nn.Sequential(
            nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, channels, 3, padding=1), nn.Tanh()
        )

    def forward(self, inputs: Tensor) -> Tensor:
        z, condition = inputs.split([self.latent_dim, self.condition_dim], dim=1)
        chunks = z.split(self.chunks, dim=1)
        embedding = None if self.shared is None else self.shared(condition)  # (B, latent_dim)
        x = self.project(chunks[0]).view(-1, *self.start)  # (B, W, s0, s0)
        for block, z_k in zip(self.blocks, chunks[1:], strict=True):
            y = z_k if embedding is None else torch.cat([z_k, embedding], dim=1)
            x = block(x, y)  # (B, W, 2s, 2s)
        return centre_crop(self.out(x), self.resolution)  # (B, C, R, R)

    def regularised_weights(self) -> list[nn.Parameter]:
        """The weights orthogonal regularisation acts on: every matrix and kernel but the shared
        embedding's, which BigGAN's code leaves out."""
        shared = set() if self.shared is None else {id(p) for p in self.shared.parameters()}
        return [p for p in self.parameters() if p.dim() >= 2 and id(p) not in shared]
