"""Standardisation of point data: training sees each column shifted to mean 0 and scaled to
standard deviation 1, everything a user reads (samples, distances) is in the data's own units.

A column in the hundreds next to one in units would otherwise make the critic see the first alone
(its Lipschitz constraint is on the Euclidean norm), and networks initialised for unit-scale
inputs start far from either. The statistics are those of the training split.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Standardizer:
    """x -> (x - mean) / std per column, and back; a constant column keeps std 1."""

    def __init__(self, data: Tensor) -> None:
        self.mean = data.mean(dim=0)
        std = data.std(dim=0) if len(data) > 1 else torch.ones_like(self.mean)
        self.std = torch.where(std > 0, std, torch.ones_like(std))

    def to_standard(self, x: Tensor) -> Tensor:
        return (x - self.mean.to(x)) / self.std.to(x)

    def to_data(self, x: Tensor) -> Tensor:
        return x * self.std.to(x) + self.mean.to(x)

    def in_data_units(self, critic: nn.Module) -> nn.Module:
        """The critic as a function of points in the data's units."""
        return _Composed(critic, self)


class _Composed(nn.Module):
    def __init__(self, critic: nn.Module, scaler: Standardizer) -> None:
        super().__init__()
        self.critic = critic
        self.scaler = scaler

    def forward(self, x: Tensor) -> Tensor:
        return self.critic(self.scaler.to_standard(x))
