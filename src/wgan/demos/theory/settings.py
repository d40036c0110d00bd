"""The settings of ``wgan demo theory``: sizes, seeds and tolerances, one block per claim.

Read as ``settings.NAME`` when a claim runs or is checked, so that a test can shrink them; the
sizes are written to ``results.json``.
"""

from __future__ import annotations

import numpy as np

from wgan.demos.theory.densities import Density, normal, uniform
from wgan.demos.theory.optimal_discriminator import default_pair

SEED = 0

# Claim 1: samples per density, seeds, and the too-short training that must fail.
DSTAR_NS = (500, 2000, 8000)
DSTAR_SEEDS = (0, 1, 2)
DSTAR_SHORT_STEPS = 25

# Claim 2: the pairs, samples per set for the trained discriminator, and the bin width for JS.
JS_N = 4000
JS_MAX_STEPS = 1500  # the uniform pairs keep improving slowly: D* jumps, the MLP is smooth
JS_BIN = 0.01
JS_BIN_TOL = 1e-4  # binning lowers JS by O(h^2): measured <= 1e-5 at h = 0.01 (h vs h/2)
JS_SHIFTS = np.round(np.linspace(-3.0, 3.0, 121), 10)  # multiples of JS_BIN: edges stay on bins

# Claim 3: the generator's shift theta (real data N(0, 1), generated N(theta, 1)).
SAT_THETAS = np.linspace(0.05, 8.0, 160)
SAT_TRAINED = (1.0, 2.0, 4.0, 8.0)
SAT_N = 2000
SAT_SAMPLES = 100_000  # samples for the autograd gradients through the exact D*
SAT_SLOPE_TOL = 0.05  # the trained GP critic is close to, not exactly, linear

# Claim 4: step size and steps for min_x max_y xy.
GAME_ETA = 0.1
GAME_STEPS = 500

# Claim 5: parallel lines, and the critic-step checkpoints for the gradient sweep.
LINES_STEPS = 300
LINES_LR = 0.01
LINES_CHECKPOINTS = (1, 3, 10, 30, 100, 300, 1000)
LINES_NEAR = 0.05  # "theta has reached 0": |theta| below this


def js_pairs() -> list[tuple[Density, Density]]:
    """The (p_r, p_g) pairs of claim 2: smooth, overlapping, nearly and exactly disjoint."""
    return [
        default_pair(),
        (normal(0.0, 1.0), normal(1.0, 1.0)),
        (normal(0.0, 1.0), normal(4.0, 1.0)),
        (uniform(0.0, 1.0), uniform(0.5, 1.5)),
        (uniform(0.0, 1.0), uniform(2.0, 3.0)),
    ]
