"""Closed forms against independent numerics: quadrature, scipy's folded normal, quantile grids."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import foldnorm, norm

from wgan.distances import (
    gaussian_w1,
    gaussian_w2,
    js,
    kl,
    parallel_lines,
    tv,
    uniform_shift,
    wasserstein,
    wasserstein_1d,
)

CASES = [
    (0.0, 1.0, 0.0, 1.0),
    (0.0, 1.0, 1.0, 1.0),
    (0.0, 1.0, 0.0, 2.0),
    (0.0, 1.0, 1.0, 2.0),
    (-2.0, 0.5, 1.5, 3.0),
    (3.0, 2.0, 2.9, 0.1),
    (0.0, 0.0, 1.0, 1.0),
    (0.0, 1.0, 50.0, 1.5),
]


def _cdf_integral(m1: float, s1: float, m2: float, s2: float) -> float:
    # W1 = integral of |F1 - F2| over the line, by adaptive quadrature.
    lo = min(m1 - 12 * s1, m2 - 12 * s2) - 1
    hi = max(m1 + 12 * s1, m2 + 12 * s2) + 1

    def cdf(x: float, m: float, s: float) -> float:
        return float(norm.cdf(x, m, s)) if s > 0 else float(x >= m)

    value, _ = quad(
        lambda x: abs(cdf(x, m1, s1) - cdf(x, m2, s2)), lo, hi, limit=500, points=[m1, m2]
    )
    return value


@pytest.mark.parametrize(("m1", "s1", "m2", "s2"), CASES)
def test_gaussian_w1_against_quadrature_and_folded_normal(
    m1: float, s1: float, m2: float, s2: float
) -> None:
    value = gaussian_w1(m1, s1, m2, s2)
    assert value == pytest.approx(_cdf_integral(m1, s1, m2, s2), rel=1e-7, abs=1e-9)
    mu, s = m2 - m1, abs(s2 - s1)
    if s > 0:
        assert value == pytest.approx(foldnorm.mean(abs(mu) / s, scale=s), rel=1e-12)
    assert gaussian_w1(m2, s2, m1, s1) == pytest.approx(value, rel=1e-14)


def test_gaussian_w1_is_not_the_loose_formula() -> None:
    # Equal means, sigma 1 vs 2: W1 = sqrt(2 / pi), not |0| + |2 - 1| = 1.
    assert gaussian_w1(0, 1, 0, 2) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-15)
    assert gaussian_w1(0, 1, 1, 2) < 1 + 1
    # mu = s = 1: 2 phi(1) + (2 Phi(1) - 1) = 2 e^{-1/2} / sqrt(2 pi) + erf(1 / sqrt 2).
    by_hand = 2 * math.exp(-0.5) / math.sqrt(2 * math.pi) + math.erf(1 / math.sqrt(2))
    assert gaussian_w1(0, 1, 1, 2) == pytest.approx(by_hand, rel=1e-15)
    # Bounds: max(|mu|, s sqrt(2/pi)) <= W1 <= sqrt(mu^2 + s^2) = W2.
    for m1, s1, m2, s2 in CASES:
        mu, s = abs(m2 - m1), abs(s2 - s1)
        w1 = gaussian_w1(m1, s1, m2, s2)
        assert max(mu, s * math.sqrt(2 / math.pi)) - 1e-12 <= w1 <= math.hypot(mu, s) + 1e-12


def test_gaussian_w1_against_samples_on_quantile_grids() -> None:
    n = 200_000
    q = norm.ppf((np.arange(n) + 0.5) / n)
    for m1, s1, m2, s2 in CASES[:6]:
        grid = wasserstein_1d(m1 + s1 * q, m2 + s2 * q)
        assert grid == pytest.approx(gaussian_w1(m1, s1, m2, s2), abs=2e-5)


def test_gaussian_w2_one_dimensional_and_diagonal() -> None:
    assert gaussian_w2(0.0, 1.0, 1.0, 4.0) == pytest.approx(math.sqrt(1 + 1), rel=1e-14)
    m1, m2 = np.array([0.0, 1.0, -1.0]), np.array([2.0, 0.0, 0.5])
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = math.sqrt(np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2))
    assert gaussian_w2(m1, np.diag(v1), m2, np.diag(v2)) == pytest.approx(expected, rel=1e-13)


def test_gaussian_w2_invariances_and_quantile_grid(rng: np.random.Generator) -> None:
    a = rng.normal(size=(3, 3))
    b = rng.normal(size=(3, 3))
    c1, c2 = a @ a.T + 0.1 * np.eye(3), b @ b.T
    m1, m2 = rng.normal(size=3), rng.normal(size=3)
    value = gaussian_w2(m1, c1, m2, c2)
    assert gaussian_w2(m2, c2, m1, c1) == pytest.approx(value, rel=1e-10)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    assert gaussian_w2(q @ m1, q @ c1 @ q.T, q @ m2, q @ c2 @ q.T) == pytest.approx(
        value, rel=1e-10
    )
    assert gaussian_w2(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-7)
    # Equal covariances: only the means count.
    assert gaussian_w2(m1, c1, m2, c1) == pytest.approx(np.linalg.norm(m1 - m2), rel=1e-7)
    # Along any direction u the projections are 1-D normals, and W2 of projections <= W2.
    u = rng.normal(size=3)
    u /= np.linalg.norm(u)
    proj = math.hypot(u @ (m1 - m2), math.sqrt(u @ c1 @ u) - math.sqrt(u @ c2 @ u))
    assert proj <= value + 1e-12


def test_gaussian_w2_against_exact_lp_on_samples(rng: np.random.Generator) -> None:
    # Loose check (sampling error of about 0.05 at n = 600 in 2-D).
    mean2, cov2 = np.array([1.0, 0.5]), np.array([[2.0, 0.8], [0.8, 1.0]])
    x = rng.standard_normal((600, 2))
    y = rng.multivariate_normal(mean2, cov2, 600)
    truth = gaussian_w2(np.zeros(2), np.eye(2), mean2, cov2)
    assert wasserstein(x, y, p=2) == pytest.approx(truth, abs=0.15)


@pytest.mark.parametrize("eps", [0.0, 0.05, 0.3, -0.7, 1.0, 2.5])
def test_uniform_shift(eps: float) -> None:
    cf = uniform_shift(eps)
    n = 20_000
    u = (np.arange(n) + 0.5) / n
    for p in (1, 2, 3):
        assert wasserstein_1d(u, u + eps, p=p) == pytest.approx(cf.wasserstein, abs=1e-12)
        assert uniform_shift(eps, p=p).wasserstein == abs(eps)
    # Histograms of the exact densities on bins of width 1/n; eps is a multiple of the width.
    width = 0.01
    edges = np.arange(-3.0, 4.0 + width / 2, width)
    lo, hi = edges[:-1], edges[1:]
    hp = np.clip(np.minimum(hi, 1.0) - np.maximum(lo, 0.0), 0, None)
    hq = np.clip(np.minimum(hi, 1.0 + eps) - np.maximum(lo, eps), 0, None)
    assert tv(hp, hq) == pytest.approx(cf.tv, abs=1e-9)
    assert js(hp, hq) == pytest.approx(cf.js, abs=1e-9)
    assert kl(hp, hq) == cf.kl
    assert cf.tv == min(abs(eps), 1.0)


def test_parallel_lines(rng: np.random.Generator) -> None:
    assert parallel_lines(0.0) == uniform_shift(0.0)
    cf = parallel_lines(-0.4)
    assert (cf.wasserstein, cf.js, cf.kl, cf.tv) == (0.4, math.log(2), math.inf, 1.0)
    # Numerically, with the same Z for both segments the W1 is exactly theta.
    z = rng.uniform(size=300)
    p0 = np.column_stack([np.zeros(300), z])
    p1 = np.column_stack([np.full(300, 0.4), z])
    assert wasserstein(p0, p1) == pytest.approx(0.4, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gaussian_w1(0, -1, 0, 1), "sigma1 is a standard deviation"),
        (lambda: gaussian_w1(0, 1, np.nan, 1), "mu2 must be finite"),
        (lambda: gaussian_w1("a", 1, 0, 1), "mu1 must be a real number"),
        (lambda: gaussian_w2([0, 0], np.eye(3), [0, 0], np.eye(2)), r"cov1 must have shape"),
        (lambda: gaussian_w2([0, 0], np.eye(2), [0, 0, 0], np.eye(3)), "same dimension"),
        (lambda: gaussian_w2([0, 0], [[1, 2], [0, 1]], [0, 0], np.eye(2)), "symmetric"),
        (lambda: gaussian_w2([0, 0], np.eye(2), [0, 0], -np.eye(2)), "positive semi-definite"),
        (lambda: gaussian_w2([0, np.nan], np.eye(2), [0, 0], np.eye(2)), "mean1 has a NaN"),
        (lambda: uniform_shift(np.inf), "eps must be finite"),
        (lambda: parallel_lines(0.5, p=0.5), "p must be"),
    ],
)
def test_bad_input(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
