"""``wgan demo findings``: five findings of the WGAN papers, reproduced on the toy data.

1. ``estimate.png``: the critic's W estimate against the exact W1 during training, with weight
   clipping (WGAN, Algorithm 1) and with the gradient penalty (WGAN-GP: its Algorithm 1, and the
   default preset's optimizer at lambda 10 and 1) on 8 Gaussians.
2. ``clipping.png``: weight clipping with c in {0.1, 0.01, 0.001} on the swiss roll: the gradient
   of the critic loss with respect to each layer's activations explodes or vanishes through a deep
   critic, and stays flat under the penalty (Gulrajani et al. 2017, Figure 1b); and the level sets
   of critics trained to optimality against a fixed P_g = P_r + N(0, I), clipped and penalised
   (their Figure 1a).
3. ``optimal_critic.png``: a penalised critic trained on two fixed point sets against the exact
   Kantorovich potential of the linear program (``wgan.distances``): ||grad f|| at real,
   generated and interpolated points, and f against the potential.
4. ``saturation.png``: a discriminator trained against a fixed generator; as its accuracy goes to
   1 the gradient of the minimax generator loss vanishes and the non-saturating one does not
   (Arjovsky & Bottou 2017, Figure 2).
5. ``constraints.png``: the other weight constraints (L2-norm clipping, weight normalisation, L1 and
   L2 weight decay) measured as parts 2 and 3 measure clipping: gradients through the deep
   critic, and the fixed-sets critic against the exact potential (Gulrajani et al. 2017, Section 3).

Writes the figures, ``findings.json`` (every number quoted) and ``findings.md`` into the output
directory (default ``runs/demo-findings``). :class:`Sizes` sets the run lengths; the defaults take
a few minutes on 2 CPU cores. :mod:`~wgan.demos.findings.experiments` runs the experiments,
:mod:`~wgan.demos.findings.figures` draws them and :mod:`~wgan.demos.findings.report` writes it
all.
"""

from wgan.demos.findings.experiments import (
    TINY,
    Sizes,
    activation_gradient_norms,
    kantorovich_potential,
)
from wgan.demos.findings.report import DEFAULT_OUT, run_demo, run_findings

__all__ = [
    "DEFAULT_OUT",
    "TINY",
    "Sizes",
    "activation_gradient_norms",
    "kantorovich_potential",
    "run_demo",
    "run_findings",
]
