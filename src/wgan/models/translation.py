"""Translators for CycleGAN: networks from samples of one domain to samples of the other.

Points: an MLP (d_a -> d_b). Images: the residual translator of CycleGAN (Zhu et al. 2017, after
Johnson et al. 2016) cut to small images: a 3x3 convolution to `width` channels, `blocks`
residual blocks (conv, instance norm, ReLU, conv, instance norm, plus the input), and a 3x3
convolution to the target's channels with tanh. Every convolution keeps the size (no
down-sampling at 8x8 or 32x32), so the output has the input's side.
"""

from __future__ import annotations

from torch import Tensor, nn

from wgan.errors import UserError
from wgan.models.mlp import mlp


class _ResidualBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1),
            nn.InstanceNorm2d(width, affine=True),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.InstanceNorm2d(width, affine=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ImageTranslator(nn.Module):
    """images (B, c_in, R, R) in [-1, 1] -> images (B, c_out, R, R) in [-1, 1]."""

    def __init__(self, *, c_in: int, c_out: int, width: int, blocks: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(c_in, width, 3, padding=1),
            nn.InstanceNorm2d(width, affine=True),
            nn.ReLU(),
            *[_ResidualBlock(width) for _ in range(blocks)],
            nn.Conv2d(width, c_out, 3, padding=1),
            nn.Tanh(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def build_translator(
    shape_in: tuple[int, ...],
    shape_out: tuple[int, ...],
    *,
    width: int,
    depth: int,
    activation: str,
) -> nn.Module:
    """A translator from samples of shape_in to samples of shape_out: an MLP with `depth` hidden
    layers for points, an ImageTranslator with `depth` residual blocks for images."""
    if len(shape_in) == 1 and len(shape_out) == 1:
        return mlp(shape_in[0], shape_out[0], width=width, depth=depth, activation=activation)
    if len(shape_in) != len(shape_out):
        raise UserError(
            f"CycleGAN between samples of shape {shape_in} and {shape_out}: both domains must be "
            "points, or both images"
        )
    if shape_in[1:] != shape_out[1:]:
        raise UserError(
            f"CycleGAN between images of {shape_in[1]}x{shape_in[2]} and {shape_out[1]}x"
            f"{shape_out[2]}: the translators keep the size; set data.resolution and "
            "data_b.resolution to the same side"
        )
    return ImageTranslator(c_in=shape_in[0], c_out=shape_out[0], width=width, blocks=depth)
