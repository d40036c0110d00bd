"""Claim 2: V(D*, G) = 2 JS(p_r, p_g) - log 4, by quadrature, from JS on bins, from samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from wgan.demos.theory.densities import Density, normal, uniform
from wgan.demos.theory.js_identity import (
    LOG4,
    check_identity,
    generator_gradient,
    shift_derivative,
    shifted,
    value_by_quadrature,
    value_from_discriminator,
    value_from_js,
)
from wgan.demos.theory.optimal_discriminator import default_pair, draw_samples
from wgan.distances import js, uniform_shift
from wgan.losses import minimax_critic_loss

PAIRS = [
    default_pair(),
    (normal(0.0, 1.0), normal(1.0, 1.0)),
    (normal(0.0, 1.0), normal(0.0, 2.0)),
    (uniform(0.0, 1.0), uniform(0.5, 1.5)),
    (uniform(0.0, 1.0), uniform(2.0, 3.0)),
]


def _exact_logit_n01_n11() -> nn.Module:
    # log N(x; 0, 1) - log N(x; 1, 1) = 1/2 - x: D* for N(0,1) against N(1,1), as a module.
    layer = nn.Linear(1, 1)
    with torch.no_grad():
        layer.weight.fill_(-1.0)
        layer.bias.fill_(0.5)
    return layer


@pytest.mark.parametrize(("p_real", "p_fake"), PAIRS, ids=lambda d: d.name)
def test_quadrature_agrees_with_js_on_bins(p_real: Density, p_fake: Density) -> None:
    value, err = value_by_quadrature(p_real, p_fake)
    assert err < 1e-7
    assert -LOG4 - 1e-12 <= value <= 1e-12
    coarse, fine = value_from_js(p_real, p_fake, 0.01), value_from_js(p_real, p_fake, 0.005)
    # Binning only lowers JS, by O(h^2): the half-width bins are closer, and both within 1e-4.
    assert coarse <= fine + 1e-12 <= value + 1e-9
    assert abs(coarse - value) <= 1e-4


def test_missing_factor_two_is_caught() -> None:
    # A loose statement "V(D*) = JS - log 4" (no factor 2, or JS without its 1/2) fails.
    p_real, p_fake = normal(0.0, 1.0), normal(1.0, 1.0)
    value, _ = value_by_quadrature(p_real, p_fake)
    edges = np.arange(-13.0, 14.0, 0.01)
    js_value = js(p_real.bin_masses(edges), p_fake.bin_masses(edges))
    assert abs(2 * js_value - LOG4 - value) <= 1e-4
    assert abs(js_value - LOG4 - value) > 0.1


@pytest.mark.parametrize("eps", [0.0, 0.25, 0.5, 1.0, 2.5])
def test_uniform_shift_matches_the_closed_form(eps: float) -> None:
    p_real, p_fake = uniform(0.0, 1.0), uniform(eps, 1.0 + eps)
    expected = 2 * uniform_shift(eps).js - LOG4
    assert value_by_quadrature(p_real, p_fake)[0] == pytest.approx(expected, abs=1e-9)
    assert value_from_js(p_real, p_fake, 0.01) == pytest.approx(expected, abs=1e-9)


def test_identical_and_disjoint_extremes() -> None:
    assert value_by_quadrature(normal(0, 1), normal(0, 1))[0] == pytest.approx(-LOG4, abs=1e-9)
    assert value_by_quadrature(uniform(0, 1), uniform(2, 3))[0] == 0.0
    assert value_from_js(uniform(0, 1), uniform(2, 3), 0.01) == pytest.approx(0.0, abs=1e-12)


def test_exact_discriminator_on_samples_agrees_within_three_standard_errors() -> None:
    p_real, p_fake = normal(0.0, 1.0), normal(1.0, 1.0)
    critic = _exact_logit_n01_n11()
    samples = draw_samples(p_real, p_fake, 20_000, seed=3)
    value, se = value_from_discriminator(critic, samples.test_real, samples.test_fake)
    with torch.no_grad():
        loss = minimax_critic_loss(critic(samples.test_real), critic(samples.test_fake))
    assert value == pytest.approx(-float(loss), abs=1e-6)
    exact, _ = value_by_quadrature(p_real, p_fake)
    assert abs(value - exact) <= 3 * se
    assert value_by_quadrature(p_real, p_fake, critic)[0] == pytest.approx(exact, abs=1e-6)
    # A wrong discriminator, 1 - D*, scores far lower: V is maximised by D*, not any D.
    wrong = _exact_logit_n01_n11()
    with torch.no_grad():
        wrong.weight.neg_()
        wrong.bias.neg_()
    wrong_value, wrong_se = value_from_discriminator(wrong, samples.test_real, samples.test_fake)
    assert wrong_value < exact - 100 * wrong_se


def test_generator_gradient_through_d_star_is_dv_dtheta() -> None:
    # Envelope theorem: with D* held fixed, d/dtheta E log(1 - D*(x + theta)) = dV(D*_theta)/dtheta.
    p_real, p_fake = normal(0.0, 1.0), normal(1.0, 1.0)
    samples = draw_samples(p_real, p_fake, 20_000, seed=4)
    through_d = generator_gradient(_exact_logit_n01_n11(), samples.test_fake)
    quadrature = shift_derivative(lambda a, b: value_by_quadrature(a, b)[0], p_real, p_fake)
    binned = shift_derivative(lambda a, b: value_from_js(a, b, 0.01), p_real, p_fake, h=0.01)
    assert binned == pytest.approx(quadrature, abs=1e-4)
    assert abs(through_d - quadrature) <= 3 * 0.5 / math.sqrt(20_000)  # D* in [0, 1]: sd <= 1/2
    assert quadrature > 0.3  # moving the generator away from the data raises V


def test_disjoint_supports_give_no_gradient() -> None:
    p_real, p_fake = uniform(0.0, 1.0), uniform(2.0, 3.0)
    assert shift_derivative(lambda a, b: value_by_quadrature(a, b)[0], p_real, p_fake) == 0.0
    assert shift_derivative(
        lambda a, b: value_from_js(a, b, 0.01), p_real, p_fake, h=0.01
    ) == pytest.approx(0.0, abs=1e-12)
    assert value_by_quadrature(p_real, shifted(p_fake, 0.5))[0] == 0.0


def test_trained_discriminator_matches_its_quadrature_and_d_star() -> None:
    check = check_identity(normal(0.0, 1.0), normal(1.0, 1.0), n=2000, seed=0)
    assert abs(check.trained - check.trained_quadrature) <= 3 * check.trained_se
    assert -1e-6 <= check.gap <= 0.01  # D* is the maximiser; the trained D is close to it
    assert check.grad_trained == pytest.approx(check.grad_quadrature, abs=0.05)


def test_trained_discriminator_on_disjoint_supports_has_no_gradient() -> None:
    check = check_identity(uniform(0.0, 1.0), uniform(2.0, 3.0), n=500, seed=0, max_steps=300)
    assert check.quadrature == 0.0 and abs(check.from_js) < 1e-12
    assert -0.01 < check.trained <= 0.0
    assert abs(check.grad_trained) < 1e-3
