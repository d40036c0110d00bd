r"""Claim 3: the minimax generator loss saturates; the non-saturating and Wasserstein losses do not.

With D = sigmoid(a), the generator's minimax loss per sample is log(1 - sigmoid(a)) and

.. math::
    \frac{d}{da} \log(1 - \sigma(a)) = -\sigma(a), \qquad
    \frac{d}{da} \big(-\log \sigma(a)\big) = \sigma(a) - 1,

so where the discriminator confidently rejects a sample (a -> -inf, D -> 0) the minimax gradient
dies while the non-saturating one tends to -1 per unit of logit.

The example: p_r = N(0, 1) and a generator G_theta(z) = z + theta, z ~ N(0, 1). The optimal
discriminator's logit is a*(x) = log p_r(x) - log p_g(x) = theta (theta / 2 - x), and with it
held fixed the generator's gradients are

.. math::
    \partial_\theta\, \mathbb E \log(1 - D^*) = \theta\, \mathbb E_{p_g}[D^*],\qquad
    \partial_\theta\, \mathbb E[-\log D^*] = \theta\, \mathbb E_{p_g}[1 - D^*],

the first vanishing like exp(-theta^2 / 8) as the two drift apart, the second growing like theta.
The optimal 1-Lipschitz critic is f(x) = -x sign(theta), whose gradient is 1 in norm for every
theta: the Wasserstein generator's gradient is sign(theta), whatever the distance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.integrate import quad
from torch import Tensor, nn

from wgan import losses
from wgan.demos.theory.critics import GAMES
from wgan.demos.theory.densities import normal
from wgan.demos.theory.optimal_discriminator import draw_samples, optimal_discriminator
from wgan.distances._checks import FloatArray

__all__ = [
    "ShiftGradients",
    "expected_gradients",
    "logit_slopes",
    "optimal_logit",
    "sample_gradients",
    "shift_gradient",
    "sweep",
    "trained_gradients",
]


def logit_slopes(logits: Tensor) -> dict[str, Tensor]:
    """d/da of each generator loss at each logit a, by autograd on the library's losses.

    Returns ``{"minimax": d/da log(1 - sigmoid(a)), "nonsaturating": d/da -log sigmoid(a)}``,
    each the shape of ``logits`` (a 1-D tensor). They equal -sigmoid(a) and sigmoid(a) - 1.
    """
    return {
        name: torch.vmap(torch.func.grad(loss))(logits)
        for name, loss in (
            ("minimax", losses.minimax_generator_loss),
            ("nonsaturating", losses.nonsaturating_generator_loss),
        )
    }


def optimal_logit(x: Tensor, theta: float) -> Tensor:
    """a*(x) = log N(x; 0, 1) - log N(x; theta, 1) = theta (theta / 2 - x)."""
    return theta * (theta / 2.0 - x)


def expected_gradients(theta: float) -> dict[str, float]:
    """The generator's exact gradients at theta with the optimal critic held fixed (quadrature).

    ``minimax`` = theta E_{p_g}[D*], ``nonsaturating`` = theta E_{p_g}[1 - D*],
    ``wasserstein`` = sign(theta), and ``d_fake`` = E_{p_g}[D*], the discriminator's mean output on
    generated samples (its confidence that they are real).
    """
    lo, hi = min(0.0, theta) - 12.0, max(0.0, theta) + 12.0
    p_real, p_fake = normal(0.0, 1.0), normal(theta, 1.0)

    def integrand(x: float) -> float:
        pg = float(p_fake.pdf(x))  # D* is undefined where both densities underflow to 0
        return 0.0 if pg == 0.0 else pg * float(optimal_discriminator(p_real, p_fake, x))

    d_fake, _ = quad(integrand, lo, hi, points=[theta / 2], limit=200)
    return {
        "minimax": theta * d_fake,
        "nonsaturating": theta * (1.0 - d_fake),
        "wasserstein": float(np.sign(theta)),
        "d_fake": d_fake,
    }


def shift_gradient(
    score: Callable[[Tensor], Tensor], loss: Callable[[Tensor], Tensor], z: Tensor, theta: float
) -> float:
    """d/dtheta loss(score(z + theta)) by autograd: the critic held fixed, only the samples move.

    ``z`` (n, 1) is the generator's noise, ``score`` maps points to critic scores (logits for the
    GAN losses), ``loss`` is a generator loss from :mod:`wgan.losses`.
    """
    t = torch.tensor(theta, dtype=z.dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(loss(score(z + t)), t)
    return float(grad)


def sample_gradients(theta: float, n: int = 100_000, seed: int = 0) -> dict[str, float]:
    """The minimax and non-saturating gradients with D* fixed, by autograd on n samples."""
    z = torch.randn(n, 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)

    def score(x: Tensor) -> Tensor:
        return optimal_logit(x, theta)

    return {
        name: shift_gradient(score, GAMES[name].generator_loss, z, theta)
        for name in ("minimax", "nonsaturating")
    }


@dataclass(frozen=True)
class ShiftGradients:
    """Generator gradients at one theta through trained critics (autograd on fresh samples).

    ``minimax`` and ``nonsaturating`` come from one discriminator trained with the minimax loss;
    ``wasserstein`` from a WGAN-GP critic; ``critic_slope`` is the mean |f'(x)| of that critic
    at the generated samples; ``d_fake`` the discriminator's mean D on them.
    """

    theta: float
    minimax: float
    nonsaturating: float
    wasserstein: float
    critic_slope: float
    d_fake: float


def _mean_slope(critic: nn.Module, x: Tensor) -> float:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return float(grad.abs().mean())


def trained_gradients(
    theta: float, *, n: int = 2000, seed: int = 0, max_steps: int = 1000
) -> ShiftGradients:
    """Train a minimax discriminator and a WGAN-GP critic between N(0, 1) and N(theta, 1), then
    differentiate each generator loss with respect to theta through them."""
    samples = draw_samples(normal(0.0, 1.0), normal(theta, 1.0), n, seed)
    fits = {
        name: samples.fit(GAMES[name], max_steps=max_steps, seed=seed).critic
        for name in ("minimax", "wgan-gp")
    }
    z = samples.test_fake - theta  # the generator's noise behind fresh fake samples
    disc, wcritic = fits["minimax"], fits["wgan-gp"]
    with torch.no_grad():
        d_fake = float(torch.sigmoid(disc(samples.test_fake)).mean())
    return ShiftGradients(
        theta=theta,
        minimax=shift_gradient(disc, GAMES["minimax"].generator_loss, z, theta),
        nonsaturating=shift_gradient(disc, GAMES["nonsaturating"].generator_loss, z, theta),
        wasserstein=shift_gradient(wcritic, GAMES["wgan-gp"].generator_loss, z, theta),
        critic_slope=_mean_slope(wcritic, samples.test_fake),
        d_fake=d_fake,
    )


def sweep(thetas: FloatArray) -> dict[str, FloatArray]:
    """:func:`expected_gradients` over a grid of theta, as arrays keyed like its output."""
    rows = [expected_gradients(float(t)) for t in thetas]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]} | {"theta": np.asarray(thetas)}
