"""GAN losses as pure functions: scores in, a scalar loss out.

One sign convention everywhere: the critic scores real samples high. Critic losses take
(real_scores, fake_scores) in that order; generator losses take fake_scores. For the GAN losses
of Goodfellow et al. (2014) the scores are logits: D(x) = sigmoid(score).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[f(G(z))] - E[f(x)]: minimising it maximises the critic's estimate of W1."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """-E[f(G(z))]."""
    return -fake_scores.mean()


def minimax_critic_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))], the discriminator's side of the minimax game.

    log D = -softplus(-a) and log(1 - D) = -softplus(a) for D = sigmoid(a), computed stably.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """E[log(1 - D(G(z)))]: the saturating form; its gradient vanishes where D(G(z)) -> 0."""
    return -F.softplus(fake_logits).mean()


def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """-E[log D(G(z))]: the same fixed point, strong gradients when D rejects the samples."""
    return F.softplus(-fake_logits).mean()
