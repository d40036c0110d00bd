"""GAN losses as pure functions: scores in, a scalar loss out.

One sign convention everywhere: the critic scores real samples high. Critic losses take
(real_scores, fake_scores) in that order; generator losses take fake_scores.
"""

from __future__ import annotations

from torch import Tensor


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[f(G(z))] - E[f(x)]: minimising it maximises the critic's estimate of W1."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """-E[f(G(z))]."""
    return -fake_scores.mean()
