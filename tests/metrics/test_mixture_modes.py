"""PacGAN's reverse KL of the mode histogram, and the 2D-ring and 2D-grid it is measured on."""

from __future__ import annotations

import math

import pytest
import torch

from wgan.data.toy import MIXTURES, ToyDistribution
from wgan.metrics.modes import mode_keys, mode_reverse_kl

GRID = MIXTURES["grid"]


def test_the_grid_and_ring_are_pacgans() -> None:
    assert sorted({float(x) for x in GRID.centres.flatten()}) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert GRID.std == 0.05 and len(GRID.centres) == 25
    ring = MIXTURES["ring"]
    assert ring.std == 0.01 and len(ring.centres) == 8
    assert torch.allclose(ring.centres.norm(dim=1), torch.ones(8, dtype=torch.float64))
    assert ring.centres[2].tolist() == pytest.approx([0.0, 1.0])  # angle 2 pi 2 / 8
    points, labels = ToyDistribution("ring").sample_labelled(4000, torch.Generator().manual_seed(0))
    assert labels is not None
    spread = (points.double() - ring.centres[labels]).std().item()
    assert spread == pytest.approx(0.01, rel=0.05)


def test_reverse_kl_of_known_histograms() -> None:
    centres = GRID.centres.float()
    # Every mode alike: 0. All good samples on one mode: log 25, however many bad ones there are.
    assert mode_reverse_kl(centres.repeat(4, 1), GRID) == pytest.approx(0.0, abs=1e-12)
    one_mode = torch.cat([centres[:1].repeat(10, 1), torch.full((5, 2), 1.0)])
    assert mode_reverse_kl(one_mode, GRID) == pytest.approx(math.log(25))
    # Half the good samples on mode 0, the other half on mode 1: log 25 - log 2.
    two = torch.cat([centres[:1].repeat(3, 1), centres[1:2].repeat(3, 1)])
    assert mode_reverse_kl(two, GRID) == pytest.approx(math.log(25 / 2))
    # No sample within 3 standard deviations of a centre: no histogram.
    assert mode_reverse_kl(torch.full((5, 2), 1.0), GRID) is None


def test_mode_keys_count_good_samples_only() -> None:
    centres = GRID.centres.float()
    samples = torch.cat([centres[:3], centres[:1] + 0.16])  # 0.16 > 3 x 0.05: not good
    keys = mode_keys(samples, GRID)
    assert (keys["modes_covered"], keys["modes_total"], keys["high_quality"]) == (3, 25, 0.75)
    assert keys["reverse_kl"] == pytest.approx(math.log(25 / 3))
    assert mode_keys(samples, None) == dict.fromkeys(keys)
