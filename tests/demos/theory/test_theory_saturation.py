"""Claim 3: the minimax generator loss saturates, the non-saturating and Wasserstein ones do not."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wgan.demos.theory.densities import normal
from wgan.demos.theory.saturation import (
    expected_gradients,
    logit_slopes,
    optimal_logit,
    sample_gradients,
    shift_gradient,
    trained_gradients,
)
from wgan.losses import minimax_generator_loss, nonsaturating_generator_loss


def test_slopes_match_the_closed_forms_and_finite_differences() -> None:
    a = torch.linspace(-30.0, 30.0, 121, dtype=torch.float64)
    slopes = logit_slopes(a)
    # torch's softplus is linear beyond |a| = 20 (its threshold), where sigmoid differs from 0 or
    # 1 by at most e^-20 = 2.1e-9: the only departure from the closed forms.
    torch.testing.assert_close(slopes["minimax"], -torch.sigmoid(a), rtol=0, atol=2.1e-9)
    torch.testing.assert_close(slopes["nonsaturating"], torch.sigmoid(a) - 1, rtol=0, atol=2.1e-9)
    inner = a.abs() < 20  # finite differences straddling the switch at 20 would be off
    torch.testing.assert_close(
        slopes["minimax"][inner], -torch.sigmoid(a[inner]), rtol=1e-12, atol=1e-15
    )
    h = 1e-6
    for name, loss in (
        ("minimax", minimax_generator_loss),
        ("nonsaturating", nonsaturating_generator_loss),
    ):
        fd = torch.stack([(loss(x + h) - loss(x - h)) / (2 * h) for x in a[inner]])
        torch.testing.assert_close(slopes[name][inner], fd, rtol=0, atol=1e-8)
    # Saturation in numbers: at a = -10 the minimax slope is 4.5e-5, the other one almost -1.
    assert abs(float(slopes["minimax"][40])) < 5e-5 and float(a[40]) == -10.0
    assert float(slopes["nonsaturating"][40]) < -0.9999


def test_optimal_logit_is_the_log_density_ratio() -> None:
    x = np.linspace(-4.0, 7.0, 23)
    for theta in (0.5, 3.0):
        expected = np.log(normal(0, 1).pdf(x)) - np.log(normal(theta, 1).pdf(x))
        got = optimal_logit(torch.tensor(x), theta).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("theta", [0.5, 2.0, 6.0])
def test_gradients_on_samples_match_quadrature(theta: float) -> None:
    exact = expected_gradients(theta)
    n = 50_000
    sampled = sample_gradients(theta, n=n, seed=1)
    # Per sample the gradients are theta D*(x) and theta (1 - D*(x)), in [0, theta]: sd <= theta/2.
    tol = 3 * (theta / 2) / math.sqrt(n)
    for name in ("minimax", "nonsaturating"):
        assert sampled[name] == pytest.approx(exact[name], abs=tol)
    assert exact["minimax"] + exact["nonsaturating"] == pytest.approx(theta, rel=1e-10)


def test_minimax_gradient_vanishes_as_the_discriminator_grows_confident() -> None:
    near, far = expected_gradients(1.0), expected_gradients(8.0)
    assert near["minimax"] / near["nonsaturating"] > 0.5  # not confident: comparable gradients
    assert far["d_fake"] < 1e-4
    assert far["minimax"] < 1e-3 and far["nonsaturating"] > 7.9
    assert far["wasserstein"] == 1.0


def test_a_flipped_sign_points_the_generator_the_wrong_way() -> None:
    # The real data sit at 0, the generated ones at theta > 0: descent must lower theta, so the
    # loss must grow with theta. A sign slip in the loss makes the gradient negative.
    theta = 2.0
    z = torch.randn(10_000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def score(x: torch.Tensor) -> torch.Tensor:
        return optimal_logit(x, theta)

    assert shift_gradient(score, nonsaturating_generator_loss, z, theta) > 1.0
    assert shift_gradient(score, lambda s: -nonsaturating_generator_loss(s), z, theta) < -1.0


def test_trained_critics_reproduce_the_picture() -> None:
    theta = 6.0
    g = trained_gradients(theta, n=1000, seed=0, max_steps=400)
    assert g.minimax < 0.02 * g.nonsaturating  # the trained D saturates the minimax loss
    assert g.nonsaturating > 2.0
    # A GP critic between two far-apart Gaussians is close to linear, f = -s x, and the GP
    # objective s theta - lambda (s - 1)^2 peaks at s = 1 + theta / (2 lambda) = 1.3 here.
    assert g.critic_slope == pytest.approx(1.0 + theta / 20.0, abs=0.05)
    assert g.wasserstein == pytest.approx(g.critic_slope, rel=1e-3)
