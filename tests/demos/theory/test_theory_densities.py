"""1-D densities against scipy's integrals and their own samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from wgan.demos.theory.densities import Density, mixture, normal, uniform

DENSITIES = [
    normal(0.5, 2.0),
    uniform(-1.0, 3.0),
    mixture([normal(-1.5, 0.5), normal(1.5, 0.5)], [1.0, 1.0], name="two modes"),
    mixture([uniform(0.0, 1.0), normal(3.0, 0.2)], [3.0, 1.0], name="uniform and normal"),
]


@pytest.mark.parametrize("density", DENSITIES, ids=lambda d: d.name)
def test_pdf_integrates_to_cdf(density: Density) -> None:
    lo, hi = density.span()
    points = [p for p in density.breakpoints() if lo < p < hi]
    total, _ = quad(density.pdf, lo, hi, points=points or None, limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    for x in (-1.2, 0.3, 2.9):
        left, _ = quad(density.pdf, lo, x, points=[p for p in points if p < x] or None, limit=200)
        assert float(density.cdf(x)) == pytest.approx(left, abs=1e-8)
    edges = np.linspace(lo, hi, 301)
    assert density.bin_masses(edges).sum() == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("density", DENSITIES, ids=lambda d: d.name)
def test_samples_follow_the_cdf(density: Density) -> None:
    x = density.sample(20_000, np.random.default_rng(0))
    grid = np.linspace(*np.quantile(x, [0.05, 0.95]), 7)
    empirical = (x[:, None] <= grid[None, :]).mean(0)
    # Kolmogorov-Smirnov at n = 20,000: sup |F_n - F| < 1.63 / sqrt(n) = 0.0115 with prob. 0.99.
    np.testing.assert_array_less(np.abs(empirical - density.cdf(grid)), 0.0115)


def test_mixture_normalises_weights_and_keeps_components() -> None:
    m = mixture([normal(0.0, 1.0), uniform(2.0, 4.0)], [3.0, 1.0], name="m")
    assert m.weights == pytest.approx((0.75, 0.25))
    assert m.breakpoints() == [2.0, 4.0]
    assert float(m.pdf(3.0)) == pytest.approx(0.75 * float(normal(0, 1).pdf(3.0)) + 0.25 * 0.5)
