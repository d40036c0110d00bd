"""The 2-D toy distributions of the WGAN-GP paper's code (gan_toy.py), sampled with torch.

The mixtures are labelled data too: a point's label is the index of its mode (its row of
`Modes.centres`), for the conditional GANs.

8 Gaussians: centres on the circle of radius 2, std 0.02, all divided by 1.414.
25 Gaussians: centres {-4, -2, 0, 2, 4}^2, std 0.05, divided by 2.828.
Ring and grid: the 2D-ring and 2D-grid of the mode-collapse papers, unscaled, as in PacGAN's
code (Lin et al. 2018; synthetic_data_experiments/2DRing_GAN&PacGAN/config.py and
2DGrid_GAN&PacGAN/config.py): 8 centres (cos 2 pi k / 8, sin 2 pi k / 8), std 0.01; 25 centres
{-4, -2, 0, 2, 4}^2, std 0.05.
Swiss roll: scikit-learn's `make_swiss_roll(noise=0.25)`, columns 0 and 2, divided by 7.5; the same
formula is drawn here with torch so that one generator fixes every random number of a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Modes:
    """The components of a Gaussian mixture: centres (k, d) and the common standard deviation."""

    centres: Tensor
    std: float


def _eight_centres() -> Tensor:
    s = 1.0 / math.sqrt(2.0)
    unit = [(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)]
    return 2.0 * torch.tensor(unit, dtype=torch.float64)


def _twentyfive_centres() -> Tensor:
    grid = torch.arange(-2, 3, dtype=torch.float64) * 2.0
    return torch.cartesian_prod(grid, grid)


def _ring_centres() -> Tensor:
    angles = torch.arange(8, dtype=torch.float64) * (2.0 * math.pi / 8)
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


MIXTURES: dict[str, Modes] = {
    "8gaussians": Modes(_eight_centres() / 1.414, 0.02 / 1.414),
    "25gaussians": Modes(_twentyfive_centres() / 2.828, 0.05 / 2.828),
    "ring": Modes(_ring_centres(), 0.01),
    "grid": Modes(_twentyfive_centres(), 0.05),
}


class ToyDistribution:
    """A named 2-D distribution with an exact sampler and, for mixtures, its modes."""

    dim = 2

    def __init__(self, name: str) -> None:
        if name not in MIXTURES and name != "swissroll":
            raise ValueError(f"unknown toy distribution {name!r}")
        self.name = name
        self.modes: Modes | None = MIXTURES.get(name)
        self._centres: dict[torch.device, Tensor] = {}  # fp32 copies on each device used

    def _device_centres(self, device: torch.device) -> Tensor:
        """The centres in fp32 on `device`, copied there once (a copy per batch would wait for
        the GPU every time)."""
        assert self.modes is not None
        if device not in self._centres:
            self._centres[device] = self.modes.centres.to(device=device, dtype=torch.float32)
        return self._centres[device]

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n points, (n, 2) float32 on the generator's device."""
        return self.sample_labelled(n, generator)[0]

    def sample_labelled(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """n points (n, 2) float32 and, for mixtures, the index of each one's mode (n,) int64
        (None for the swiss roll); the same random numbers as `sample`."""
        device = generator.device
        if self.modes is not None:
            centres = self._device_centres(device)
            which = torch.randint(len(centres), (n,), generator=generator, device=device)
            noise = torch.randn(n, 2, generator=generator, device=device)
            return centres[which] + self.modes.std * noise, which
        # make_swiss_roll: t = 1.5 pi (1 + 2u), (x, y, z) = (t cos t, 21 v, t sin t) + 0.25 N(0, I)
        u = torch.rand(n, generator=generator, device=device)
        t = 1.5 * math.pi * (1.0 + 2.0 * u)
        noise = 0.25 * torch.randn(n, 2, generator=generator, device=device)
        return (torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) + noise) / 7.5, None
