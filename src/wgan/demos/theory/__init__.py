"""The GAN theory of the lecture notes, computed and compared with the closed forms.

One module per claim: :mod:`~wgan.demos.theory.optimal_discriminator` (D* = p_r / (p_r + p_g)),
:mod:`~wgan.demos.theory.js_identity` (V(D*, G) = 2 JS - log 4),
:mod:`~wgan.demos.theory.saturation` (the minimax generator loss saturates),
:mod:`~wgan.demos.theory.bilinear_game` (min_x max_y xy) and
:mod:`~wgan.demos.theory.continuity` (parallel lines: W1 against JS).
:mod:`~wgan.demos.theory.demo` runs them all for ``wgan demo theory``; see docs/theory.md.
"""

from wgan.demos.theory.bilinear_game import METHODS as GAME_METHODS
from wgan.demos.theory.bilinear_game import distance_to_equilibrium, play
from wgan.demos.theory.continuity import ThetaRun, critic_steps_sweep, train_theta
from wgan.demos.theory.critics import GAMES, FitResult, Game, fit_critic, game_objective
from wgan.demos.theory.densities import Density, mixture, normal, uniform
from wgan.demos.theory.js_identity import (
    IdentityCheck,
    check_identity,
    value_by_quadrature,
    value_from_discriminator,
    value_from_js,
)
from wgan.demos.theory.optimal_discriminator import (
    DStarCheck,
    check_optimal_discriminator,
    default_pair,
    optimal_discriminator,
)
from wgan.demos.theory.saturation import expected_gradients, logit_slopes, trained_gradients

__all__ = [
    "GAMES",
    "GAME_METHODS",
    "DStarCheck",
    "Density",
    "FitResult",
    "Game",
    "IdentityCheck",
    "ThetaRun",
    "check_identity",
    "check_optimal_discriminator",
    "critic_steps_sweep",
    "default_pair",
    "distance_to_equilibrium",
    "expected_gradients",
    "fit_critic",
    "game_objective",
    "logit_slopes",
    "mixture",
    "normal",
    "optimal_discriminator",
    "play",
    "train_theta",
    "trained_gradients",
    "uniform",
    "value_by_quadrature",
    "value_from_discriminator",
    "value_from_js",
]
