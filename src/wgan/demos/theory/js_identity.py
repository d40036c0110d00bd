r"""Claim 2: at the optimal discriminator, V(D*, G) = 2 JS(p_r, p_g) - log 4.

Substituting D* = p_r / (p_r + p_g) into
:math:`V(D, G) = \mathbb E_{p_r}[\log D] + \mathbb E_{p_g}[\log(1 - D)]` gives
:math:`\mathrm{KL}(p_r \| m) + \mathrm{KL}(p_g \| m) - \log 4` with :math:`m = (p_r + p_g)/2`,
that is :math:`2\,\mathrm{JS}(p_r, p_g) - \log 4` with the 1/2-weighted JS of
:func:`wgan.distances.js`. Three independent computations of it are compared:

- the left side by quadrature of the closed-form densities (scipy ``quad``);
- the left side from a discriminator trained on samples, evaluated on fresh samples;
- the right side with :func:`wgan.distances.js` on the densities discretised into bins.

Moving the generator (shifting p_g by theta) changes V at the rate dV/dtheta; by the envelope
theorem that is the generator's gradient with D* held fixed. For disjoint supports JS = log 2 for
every small shift, so the gradient is 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy.integrate import quad
from scipy.special import xlogy
from torch import Tensor, nn

from wgan import losses
from wgan.demos.theory.critics import GAMES
from wgan.demos.theory.densities import Density
from wgan.demos.theory.optimal_discriminator import draw_samples
from wgan.distances import js

__all__ = [
    "LOG4",
    "IdentityCheck",
    "check_identity",
    "generator_gradient",
    "shift_derivative",
    "shifted",
    "value_by_quadrature",
    "value_from_discriminator",
    "value_from_js",
]

LOG4 = math.log(4.0)


def shifted(density: Density, theta: float) -> Density:
    """The density of X + theta for X ~ density."""
    locs = tuple(m + theta for m in density.locs)
    return replace(density, name=f"{density.name} + {theta:g}", locs=locs)


def _span(p_real: Density, p_fake: Density) -> tuple[float, float]:
    (a, b), (c, d) = p_real.span(), p_fake.span()
    return min(a, c), max(b, d)


def _optimal_integrand(p_real: Density, p_fake: Density) -> Callable[[float], float]:
    def integrand(x: float) -> float:
        pr, pg = float(p_real.pdf(x)), float(p_fake.pdf(x))
        total = pr + pg
        return 0.0 if total == 0.0 else float(xlogy(pr, pr / total) + xlogy(pg, pg / total))

    return integrand


def _critic_integrand(
    p_real: Density, p_fake: Density, critic: nn.Module
) -> Callable[[float], float]:
    def integrand(x: float) -> float:
        with torch.no_grad():
            a = critic(torch.tensor([[x]], dtype=torch.float32)).double()
            log_d = -losses.nonsaturating_generator_loss(a)
            log_1m_d = losses.minimax_generator_loss(a)
        return float(p_real.pdf(x)) * float(log_d) + float(p_fake.pdf(x)) * float(log_1m_d)

    return integrand


def value_by_quadrature(
    p_real: Density, p_fake: Density, critic: nn.Module | None = None
) -> tuple[float, float]:
    r"""V(D, G) = \int p_r \log D + p_g \log(1 - D) dx by quadrature, for D* or a given critic.

    With ``critic=None``, D = D* and the integrand is
    p_r log(p_r / (p_r + p_g)) + p_g log(p_g / (p_r + p_g)), with 0 log 0 = 0 (disjoint supports
    give exactly 0). With a critic (1-D points to logits a), log D and log(1 - D) are the
    library's loss terms on the logit (``-nonsaturating_generator_loss`` and
    ``minimax_generator_loss``), finite where D rounds to 0 or 1. Returns the value and scipy's
    estimate of its absolute error.
    """
    if critic is None:
        integrand = _optimal_integrand(p_real, p_fake)
    else:
        integrand = _critic_integrand(p_real, p_fake, critic)
    lo, hi = _span(p_real, p_fake)
    points = sorted({*p_real.breakpoints(), *p_fake.breakpoints(), *p_real.locs, *p_fake.locs})
    inner = [p for p in points if lo < p < hi]
    value, err = quad(integrand, lo, hi, points=inner or None, limit=500)
    return float(value), float(err)


def value_from_js(p_real: Density, p_fake: Density, bin_width: float) -> float:
    """2 JS(p_r, p_g) - log 4, with JS by :func:`wgan.distances.js` on exact bin masses.

    Bin edges are multiples of ``bin_width``, so the ends of uniform components that are
    multiples of it fall on edges. Binning can only lower JS (data processing inequality); the
    gap closes as the bins narrow.
    """
    lo, hi = _span(p_real, p_fake)
    edges = np.arange(math.floor(lo / bin_width), math.ceil(hi / bin_width) + 1) * bin_width
    return 2.0 * js(p_real.bin_masses(edges), p_fake.bin_masses(edges)) - LOG4


def _per_sample_values(critic: nn.Module, real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    # log D(x) = -nonsaturating_generator_loss and log(1 - D(x)) = minimax_generator_loss, taken
    # one logit at a time, so the standard error comes from the library's own loss terms.
    with torch.no_grad():
        log_d_real = -torch.vmap(losses.nonsaturating_generator_loss)(critic(real))
        log_1m_d_fake = torch.vmap(losses.minimax_generator_loss)(critic(fake))
    return log_d_real.double(), log_1m_d_fake.double()


def value_from_discriminator(critic: nn.Module, real: Tensor, fake: Tensor) -> tuple[float, float]:
    """V(D, G) = mean log D(x_r) + mean log(1 - D(x_g)) on samples, and its standard error.

    The value is ``-minimax_critic_loss``; for an optimal D and samples not used in training it
    is an unbiased estimate of V(D*, G), and a worse D scores lower in expectation.

    Parameters
    ----------
    critic : nn.Module
        Maps (n, 1) points to (n, 1) logits.
    real, fake : Tensor, shape (n, 1) and (m, 1)
        Fresh samples of p_r and p_g.

    Returns
    -------
    (value, standard error) : tuple of float
        The standard error is sqrt(var_r / n + var_g / m) over the per-sample terms.
    """
    a, b = _per_sample_values(critic, real, fake)
    value = float(a.mean() + b.mean())
    se = math.sqrt(float(a.var()) / a.numel() + float(b.var()) / b.numel())
    return value, se


def generator_gradient(critic: nn.Module, fake: Tensor) -> float:
    """d/dtheta of the minimax generator loss E[log(1 - D(x + theta))] at theta = 0, D fixed.

    By the envelope theorem this is dV(D*, G_theta)/dtheta when D = D*: the gradient the
    generator receives from an optimal discriminator.
    """
    theta = torch.zeros((), requires_grad=True)
    loss = losses.minimax_generator_loss(critic(fake + theta))
    (grad,) = torch.autograd.grad(loss, theta)
    return float(grad)


def shift_derivative(
    value: Callable[[Density, Density], float], p_real: Density, p_fake: Density, h: float = 1e-3
) -> float:
    """dV/dtheta at theta = 0 for p_g shifted by theta: (V(h) - V(-h)) / 2h."""
    return (value(p_real, shifted(p_fake, h)) - value(p_real, shifted(p_fake, -h))) / (2 * h)


@dataclass(frozen=True)
class IdentityCheck:
    """The three computations of V(D*, G) = 2 JS - log 4 for one pair, and dV/dtheta.

    Values (nats): ``quadrature`` = V(D*, G) by quadrature; ``from_js`` = 2 JS - log 4 from
    :func:`wgan.distances.js` on bins of ``bin_width`` and ``from_js_half`` on bins of half that
    (their difference measures the binning error); ``trained`` = V(D, G) of a trained discriminator
    on fresh samples, with standard error ``trained_se``; ``trained_quadrature`` = V(D, G) of the
    same D by quadrature, so that ``trained - trained_quadrature`` is sampling noise alone and
    ``gap = quadrature - trained_quadrature`` >= 0 is how far D is from optimal.
    Gradients with respect to a shift theta of p_g, at theta = 0: ``grad_quadrature`` and
    ``grad_js`` by central differences, ``grad_trained`` through the trained D by autograd.
    """

    name: str
    n: int
    bin_width: float
    quadrature: float
    from_js: float
    from_js_half: float
    trained: float
    trained_se: float
    trained_quadrature: float
    grad_quadrature: float
    grad_js: float
    grad_trained: float
    steps: int

    @property
    def gap(self) -> float:
        return self.quadrature - self.trained_quadrature


def check_identity(
    p_real: Density,
    p_fake: Density,
    *,
    n: int = 4000,
    seed: int = 0,
    bin_width: float = 0.01,
    max_steps: int = 1500,
) -> IdentityCheck:
    """Compute V(D*, G) three ways for one pair (see :class:`IdentityCheck`).

    The discriminator is trained as in claim 1 (:func:`wgan.demos.theory.critics.fit_critic`, minimax
    loss, n training and n held-out samples) and evaluated on n further samples. The JS
    derivative uses a step of one bin, so that bin-aligned edges stay aligned.
    """
    samples = draw_samples(p_real, p_fake, n, seed)
    fit = samples.fit(GAMES["minimax"], max_steps=max_steps, seed=seed)
    trained, se = value_from_discriminator(fit.critic, samples.test_real, samples.test_fake)

    def quad_value(a: Density, b: Density) -> float:
        return value_by_quadrature(a, b)[0]

    def js_value(a: Density, b: Density) -> float:
        return value_from_js(a, b, bin_width)

    return IdentityCheck(
        name=f"{p_real.name} vs {p_fake.name}",
        n=n,
        bin_width=bin_width,
        quadrature=quad_value(p_real, p_fake),
        from_js=js_value(p_real, p_fake),
        from_js_half=value_from_js(p_real, p_fake, bin_width / 2),
        trained=trained,
        trained_se=se,
        trained_quadrature=value_by_quadrature(p_real, p_fake, fit.critic)[0],
        grad_quadrature=shift_derivative(quad_value, p_real, p_fake),
        grad_js=shift_derivative(js_value, p_real, p_fake, h=bin_width),
        grad_trained=generator_gradient(fit.critic, samples.test_fake),
        steps=fit.steps,
    )
