"""``wgan demo critic-fidelity``: how far the critic's W estimate can be believed.

Critics are trained alone (no generator) on pairs of distributions (P, Q) whose W1 is known
exactly in every dimension, and their estimate mean f(real) - mean f(fake) on held-out samples is
compared with it:

- translation: P = N(0, I_d), Q = P + v; W1 = |v| (any coupling moves mass by at least |v| on
  average, since |E(Y - X)| <= E|Y - X|, and x -> x + v moves it by exactly |v|);
- scaling: P = N(0, I_d), Q = s P (s > 0); W1 = |s - 1| E|X|. The map x -> s x costs
  |s - 1| E|X|, and the 1-Lipschitz f(x) = -sign(s - 1) |x| attains it in the dual, so the map
  is optimal. E|X| = sqrt(2) Gamma((d + 1) / 2) / Gamma(d / 2) for the standard normal;
- digits: P = scikit-learn's 8x8 digits in [-1, 1] (64-D), Q = P + v; W1 = |v|.

Three critics, the toy MLP of the presets (3 hidden ReLU layers) at a width of `Sizes.width`,
built and trained by :func:`wgan.demos.findings.experiments.constrained_critic` and
:func:`~wgan.demos.findings.experiments.fit_critic`: the gradient penalty (lambda 10, Adam),
weight clipping (c = 0.01, RMSProp) and spectral normalisation (Adam). Each point (pair,
dimension, critic, seed) trains one critic and measures it after each step count of
`Sizes.checkpoints` up to the point's own step count. Writes results.json (after every point: a
stopped run loses nothing and a rerun into the same directory with the same sizes continues it),
report.md and the figures into the output directory (default ``runs/demo-critic-fidelity``).
:mod:`~wgan.demos.critic_fidelity.experiment` holds the pairs and the training of one point,
:mod:`~wgan.demos.critic_fidelity.report` the run, its summaries, figures and report.
"""

from wgan.demos.critic_fidelity.experiment import (
    CRITICS,
    DEFAULT_SIZES,
    TINY,
    Pair,
    Sizes,
    fit_point,
    gaussian_norm_mean,
    grid,
    lipschitz_bound,
    lp_checks,
    make_pair,
    scaling_w1,
    width_bound,
)
from wgan.demos.critic_fidelity.report import (
    DEFAULT_OUT,
    FIGURES,
    run_critic_fidelity,
    run_demo,
    summarise,
)

__all__ = [
    "CRITICS",
    "DEFAULT_OUT",
    "DEFAULT_SIZES",
    "FIGURES",
    "TINY",
    "Pair",
    "Sizes",
    "fit_point",
    "gaussian_norm_mean",
    "grid",
    "lipschitz_bound",
    "lp_checks",
    "make_pair",
    "run_critic_fidelity",
    "run_demo",
    "scaling_w1",
    "summarise",
    "width_bound",
]
