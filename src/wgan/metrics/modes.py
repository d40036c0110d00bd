"""Mode coverage on Gaussian mixtures, as in the VEEGAN and PacGAN papers.

A sample is high quality when it lies within 3 standard deviations of its nearest centre; a mode
is covered when it is the nearest centre of at least one high-quality sample.
"""

from __future__ import annotations

import torch
from torch import Tensor

from wgan.data.toy import Modes


def mode_coverage(samples: Tensor, modes: Modes, *, n_std: float = 3.0) -> tuple[int, int, float]:
    """(modes covered, modes in total, fraction of high-quality samples) for samples (n, d)."""
    centres = modes.centres.to(samples.device, torch.float64)
    distances = torch.cdist(samples.double(), centres)  # (n, k)
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= n_std * modes.std
    covered = int(torch.unique(nearest[good]).numel())
    return covered, len(centres), float(good.double().mean())
