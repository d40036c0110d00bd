"""Fixed maps T applied to every sample of a data set (`data.transform`).

They make a second domain whose true correspondence with the first is known: a CycleGAN trained
between a data set and T of it can be checked against T itself (`wgan.metrics.translation`).

- ``invert``: x -> -x. For images in [-1, 1] the colour-inverted (negative) image; for points the
  reflection through the origin.
- ``rotate90``: a quarter turn counter-clockwise. Points (d = 2): (x, y) -> (-y, x); images
  (C, H, W), square: the picture turned as `numpy.rot90` turns it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from wgan.data.toy import Modes
from wgan.errors import UserError

TRANSFORMS = ("none", "invert", "rotate90")


def transform_samples(name: str, x: Tensor, *, inverse: bool = False) -> Tensor:
    """T(x) (or T^-1(x)) for samples x (B, d) or images (B, C, H, W); the same shape out."""
    if name == "none":
        return x
    if name == "invert":
        return -x
    if name == "rotate90":
        turn = -1 if inverse else 1
        if x.dim() == 2:
            if x.shape[1] != 2:
                raise UserError(
                    f"data.transform 'rotate90' turns 2-D points; these points have {x.shape[1]} "
                    "coordinates (use 'invert' or 'none')"
                )
            return turn * torch.stack([-x[:, 1], x[:, 0]], dim=1)
        return torch.rot90(x, turn, dims=(-2, -1))
    raise ValueError(f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}")


def transform_modes(name: str, modes: Modes) -> Modes:
    """The modes of a mixture after T: T moves the centres, and keeps the spread (an isometry)."""
    centres = transform_samples(name, modes.centres)
    return Modes(centres, modes.std)
