"""The data sets of benchmarks/unseen.py: the 2-D densities of the normalising-flow literature,
mixtures and curves in 5, 10 and 50 dimensions, and columns on raw scales.

Every set is drawn with numpy from a fixed seed (the same points on every machine) and written as
an (n, d) .npy file, the file a user would give `wgan train --data`. Mixtures also give their
centres and common standard deviation, for mode coverage. The 2-D formulas follow the toy
densities of FFJORD (Grathwohl et al. 2019) and scikit-learn's make_moons and make_circles, at
scales of a few units like the WGAN-GP paper's toys.

`TUNE` is the half that settings were chosen on; `HELD_OUT` was only ever run with the chosen
settings (docs/training.md, "Defaults for your own data").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DensitySet:
    points: Array  # (n, d)
    centres: Array | None = None  # (k, d) for mixtures
    std: float | None = None  # their common standard deviation


def _mixture(rng: np.random.Generator, n: int, centres: Array, std: float) -> DensitySet:
    which = rng.integers(len(centres), size=n)
    points = centres[which] + std * rng.standard_normal((n, centres.shape[1]))
    return DensitySet(points, centres, std)


def eight_gaussians(rng: np.random.Generator, n: int) -> DensitySet:
    angles = np.arange(8) * math.pi / 4
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1) / 1.414
    return _mixture(rng, n, centres, 0.02 / 1.414)


def twentyfive_gaussians(rng: np.random.Generator, n: int) -> DensitySet:
    grid = np.arange(-2, 3) * 2.0
    centres = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2) / 2.828
    return _mixture(rng, n, centres, 0.05 / 2.828)


def swissroll(rng: np.random.Generator, n: int) -> DensitySet:
    t = 1.5 * math.pi * (1 + 2 * rng.random(n))
    points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) + 0.25 * rng.standard_normal((n, 2))
    return DensitySet(points / 7.5)


def checkerboard(rng: np.random.Generator, n: int) -> DensitySet:
    x1 = rng.random(n) * 4 - 2
    x2 = rng.random(n) - rng.integers(0, 2, n) * 2.0
    x2 = x2 + np.floor(x1) % 2
    return DensitySet(np.stack([x1, x2], axis=1))


def two_spirals(rng: np.random.Generator, n: int) -> DensitySet:
    half = n // 2
    t = np.sqrt(rng.random(half)) * 540 * (2 * math.pi) / 360
    arm = np.stack(
        [-np.cos(t) * t + 0.5 * rng.random(half), np.sin(t) * t + 0.5 * rng.random(half)]
    )
    points = np.concatenate([arm.T, -arm.T]) / 3 + 0.1 * rng.standard_normal((2 * half, 2))
    return DensitySet(points[rng.permutation(2 * half)])


def pinwheel(rng: np.random.Generator, n: int) -> DensitySet:
    arms, per_arm = 5, n // 5
    features = rng.standard_normal((arms * per_arm, 2)) * np.array([0.3, 0.1])
    features[:, 0] += 1.0
    labels = np.repeat(np.arange(arms), per_arm)
    angles = labels * 2 * math.pi / arms + 0.25 * np.exp(features[:, 0])
    rotations = np.stack([np.cos(angles), -np.sin(angles), np.sin(angles), np.cos(angles)], axis=1)
    points = np.einsum("ti,tij->tj", features, rotations.reshape(-1, 2, 2))
    return DensitySet(2 * points[rng.permutation(len(points))])


def rings(rng: np.random.Generator, n: int) -> DensitySet:
    radii = np.array([1.0, 2.0, 3.0, 4.0])
    which = rng.integers(4, size=n)
    angle = rng.random(n) * 2 * math.pi
    r = radii[which] + 0.08 * rng.standard_normal(n)
    return DensitySet(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) / 2)


def moons(rng: np.random.Generator, n: int) -> DensitySet:
    half = n // 2
    t = rng.random(n) * math.pi
    outer = np.stack([np.cos(t[:half]), np.sin(t[:half])], axis=1)
    inner = np.stack([1 - np.cos(t[half:]), 1 - np.sin(t[half:]) - 0.5], axis=1)
    points = np.concatenate([outer, inner]) + 0.1 * rng.standard_normal((n, 2))
    return DensitySet(2 * (points - np.array([0.5, 0.25])))


def circles(rng: np.random.Generator, n: int) -> DensitySet:
    t = rng.random(n) * 2 * math.pi
    radius = np.where(rng.random(n) < 0.5, 1.0, 0.5)
    points = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    return DensitySet(2 * (points + 0.05 * rng.standard_normal((n, 2))))


def moons_in_ring(rng: np.random.Generator, n: int) -> DensitySet:
    """Two moons inside a ring of radius 3.5: the set the issue's new user tried."""
    inner = moons(rng, n // 2).points
    angle = rng.random(n - n // 2) * 2 * math.pi
    r = 3.5 + 0.1 * rng.standard_normal(len(angle))
    ring = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    points = np.concatenate([inner, ring])
    return DensitySet(points[rng.permutation(n)] / 1.5)


def raw_scale(make: Callable[[np.random.Generator, int], DensitySet]) -> Callable[..., DensitySet]:
    """A set with its columns on raw scales: the first in the hundreds, the second in units,
    both offset (say, a price and a rating)."""

    def draw(rng: np.random.Generator, n: int) -> DensitySet:
        points = make(rng, n).points
        return DensitySet(points * np.array([150.0, 2.0]) + np.array([1200.0, -7.0]))

    return draw


def mixture(dim: int, k: int = 8) -> Callable[..., DensitySet]:
    """k Gaussians in `dim` dimensions, centres at distance 2 from the origin in random
    directions (fixed by the dimension), standard deviation 0.1 in each coordinate."""

    def draw(rng: np.random.Generator, n: int) -> DensitySet:
        directions = np.random.default_rng(1000 + dim).standard_normal((k, dim))
        centres = 2 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
        return _mixture(rng, n, centres, 0.1)

    return draw


def curve(dim: int) -> Callable[..., DensitySet]:
    """A noisy closed curve in `dim` dimensions: t -> sum_j a_j cos(j t + p_j) e_j-ish, a random
    trigonometric loop (fixed by the dimension) with noise 0.05 in each coordinate."""

    def draw(rng: np.random.Generator, n: int) -> DensitySet:
        shape = np.random.default_rng(2000 + dim)
        amplitude = shape.standard_normal((3, dim)) / np.sqrt(dim) * 2
        phase = shape.random((3, dim)) * 2 * math.pi
        t = rng.random(n) * 2 * math.pi
        points = sum(
            amplitude[j] * np.cos((j + 1) * t[:, None] + phase[j]) for j in range(3)
        ) + 0.05 * rng.standard_normal((n, dim))
        return DensitySet(np.asarray(points))

    return draw


SETS: dict[str, Callable[[np.random.Generator, int], DensitySet]] = {
    "8gaussians": eight_gaussians,
    "checkerboard": checkerboard,
    "pinwheel": pinwheel,
    "moons": moons,
    "mixture-10d": mixture(10),
    "curve-5d": curve(5),
    "raw-rings": raw_scale(rings),
    "25gaussians": twentyfive_gaussians,
    "swissroll": swissroll,
    "2spirals": two_spirals,
    "rings": rings,
    "circles": circles,
    "moons-in-ring": moons_in_ring,
    "raw-moons-in-ring": raw_scale(moons_in_ring),
    "mixture-5d": mixture(5),
    "mixture-50d": mixture(50),
    "curve-10d": curve(10),
    "curve-50d": curve(50),
}
TUNE = ("8gaussians", "checkerboard", "pinwheel", "moons", "mixture-10d", "curve-5d", "raw-rings")
HELD_OUT = tuple(name for name in SETS if name not in TUNE)


def density_set(name: str, n: int = 20_000, seed: int = 0) -> DensitySet:
    """The named set's n points (rows in a random order), the same for the same seed."""
    return SETS[name](np.random.default_rng(seed), n)
