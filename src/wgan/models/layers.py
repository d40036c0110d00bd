"""Pieces shared by the models: stage counts, critic normalisation, penalty-friendly activations."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class _PiecewiseLinear(torch.autograd.Function):
    """leaky_relu(x, slope) (relu for slope 0) whose backward treats x as a constant.

    The values and the first derivative are torch's (the same backward kernels). The difference
    is in a double backward: torch's `threshold_backward` and `leaky_relu_backward` declare a
    zero derivative with respect to the forward input, and autograd then runs that zero back
    through the whole forward pass (every matmul or convolution before the activation, for the
    weights and the inputs). Here the backward sees x detached, so nothing flows into the
    forward pass. For the WGAN-GP penalty of an MLP critic that is a third of the penalty's
    FLOPs (tests/models/test_activations.py).
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, slope: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.slope = slope
        return torch.relu(x) if slope == 0 else F.leaky_relu(x, slope)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        x = x.detach()  # a constant of the gradient's graph
        if ctx.slope == 0:
            return torch.ops.aten.threshold_backward(grad, x, 0), None
        return torch.ops.aten.leaky_relu_backward(grad, x, ctx.slope, False), None


class MaskedReLU(nn.ReLU):
    """nn.ReLU with a double backward that skips the forward pass (see `_PiecewiseLinear`)."""

    def forward(self, x: Tensor) -> Tensor:
        return _PiecewiseLinear.apply(x, 0.0)


class MaskedLeakyReLU(nn.LeakyReLU):
    """nn.LeakyReLU with a double backward that skips the forward pass (see `_PiecewiseLinear`)."""

    def forward(self, x: Tensor) -> Tensor:
        return _PiecewiseLinear.apply(x, self.negative_slope)


def upsampling_stages(resolution: int) -> tuple[int, int]:
    """(k, s0): k >= 2 doublings from an s0 x s0 start reach at least `resolution`.

    From 16 up 4 <= s0 <= 8: 32 -> (3, 4): 4, 8, 16, 32; 28 -> (2, 7): 7, 14, 28; 16 -> (2, 4).
    Smaller images still get two stages: 8 -> (2, 2): 2, 4, 8. Sizes that are not s0 * 2^k (e.g.
    20 -> (2, 5) is exact) are reached exactly where they can be; otherwise the generator's
    output is centre-cropped (e.g. 30 -> (2, 8): 32 cropped to 30).
    """
    k = max(2, math.floor(math.log2(resolution / 4)))
    return k, math.ceil(resolution / 2**k)


def critic_norm_layer(kind: str, channels: int) -> nn.Module:
    """The normalisation after a critic convolution: layer norm over (C, H, W), BatchNorm, none.

    Layer norm is GroupNorm with one group: per-sample statistics, so the gradient penalty, which
    is per sample, stays well defined (BatchNorm is refused under a penalty by the config).
    """
    if kind == "layernorm":
        return nn.GroupNorm(1, channels)
    if kind == "batchnorm":
        return nn.BatchNorm2d(channels)
    return nn.Identity()


def centre_crop(x: Tensor, size: int) -> Tensor:
    """The central size x size window of images (B, C, H, W)."""
    h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top : top + size, left : left + size]
