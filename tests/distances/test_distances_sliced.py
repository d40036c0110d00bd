"""Sliced W_p: exact in 1-D, POT on the same directions, known translation value, error bar."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from scipy.special import gamma

from wgan.distances import sliced_wasserstein, wasserstein, wasserstein_1d
from wgan.distances.sliced import random_directions


def _mean_abs_coordinate(d: int) -> float:
    # E|theta_1| for theta uniform on the unit sphere of R^d.
    return gamma(d / 2) / (math.sqrt(math.pi) * gamma((d + 1) / 2))


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_matches_pot_on_the_same_directions(rng: np.random.Generator, p: float) -> None:
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(150, 3)) + 0.5
    a, b = rng.random(200), rng.random(150)
    ours = sliced_wasserstein(x, y, a, b, p=p, n_projections=50, seed=3)
    theta = random_directions(3, 50, 3)
    expected = ot.sliced_wasserstein_distance(
        x, y, a / a.sum(), b / b.sum(), p=p, projections=theta
    )
    assert ours.distance == pytest.approx(float(expected), rel=1e-10)


def test_equal_size_fast_path_agrees_with_weighted_path(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(300, 2)), rng.uniform(size=(300, 2))
    for p in (1, 2):
        fast = sliced_wasserstein(x, y, p=p, n_projections=20)
        slow = sliced_wasserstein(x, y, np.ones(300), np.ones(300), p=p, n_projections=20)
        assert fast.distance == pytest.approx(slow.distance, rel=1e-12)
        assert fast.stderr == pytest.approx(slow.stderr, rel=1e-9)


def test_one_dimensional_sliced_is_exact(rng: np.random.Generator) -> None:
    u, v = rng.normal(size=100), rng.exponential(size=80)
    res = sliced_wasserstein(u, v, p=2, n_projections=5)
    assert res.distance == pytest.approx(wasserstein_1d(u, v, p=2), rel=1e-12)
    assert res.stderr == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("d", [2, 5])
def test_translation_value_and_error_bar_coverage(rng: np.random.Generator, d: int) -> None:
    # Projected on theta, a translated copy moves by <theta, t>: SW_1 = |t| E|theta_1|.
    x = rng.normal(size=(50, d))
    t = rng.normal(size=d)
    truth = np.linalg.norm(t) * _mean_abs_coordinate(d)
    z = []
    for seed in range(200):
        res = sliced_wasserstein(x, x + t, n_projections=40, seed=seed)
        z.append((res.distance - truth) / res.stderr)
    z_arr = np.abs(np.array(z))
    # A 2-sigma interval should cover the truth about 95% of the time (binomial noise ~1.5%).
    assert 0.89 <= float(np.mean(z_arr < 2.0)) <= 0.995


def test_sliced_is_below_exact_and_seeded(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(100, 3)), rng.normal(size=(90, 3)) * 2
    for p in (1, 2):
        assert wasserstein(x, y, method="sliced", p=p) <= wasserstein(x, y, p=p)
    r1 = sliced_wasserstein(x, y, seed=7)
    assert r1 == sliced_wasserstein(x, y, seed=7)
    assert r1.distance != sliced_wasserstein(x, y, seed=8).distance
    assert sliced_wasserstein(x, x).distance == 0.0
    assert sliced_wasserstein(x, x).stderr == 0.0


def test_error_bar_shrinks_like_one_over_root_l(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(100, 4)), rng.normal(size=(100, 4)) + 1
    small = sliced_wasserstein(x, y, n_projections=100).stderr
    large = sliced_wasserstein(x, y, n_projections=1600).stderr
    assert large / small == pytest.approx(0.25, rel=0.25)


def test_directions_are_unit_vectors() -> None:
    theta = random_directions(4, 1000, 0)
    np.testing.assert_allclose(np.linalg.norm(theta, axis=0), 1.0, rtol=1e-14)
    # Uniform on the sphere: each coordinate has mean 0 and variance 1/d.
    assert abs(theta.mean()) < 0.02
    assert (theta**2).mean() == pytest.approx(0.25, rel=1e-12)


@pytest.mark.parametrize("n_projections", [0, 1, 2.5, True])
def test_bad_n_projections(n_projections: object) -> None:
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="n_projections must be an integer >= 2"):
        sliced_wasserstein(x, x, n_projections=n_projections)
