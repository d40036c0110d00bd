"""GAN losses as pure functions: scores in, a scalar loss out.

One sign convention everywhere: the critic scores real samples high. Critic losses take
(real_scores, fake_scores) in that order; generator losses take fake_scores. Scores are (B, 1) or
(B,) tensors; every loss is a mean over the batch.

- Wasserstein and hinge scores are the critic's raw output f(x).
- For the GAN losses of Goodfellow et al. (2014) the scores are logits: D(x) = sigmoid(score).
- LSGAN scores are the discriminator's raw output D(x), regressed on the labels 1 (real) and 0
  (generated) (Mao et al. 2017, the 0-1 coding a = 0, b = c = 1).
- EBGAN's discriminator is an energy E(x) >= 0, low on real data (Zhao et al. 2017); its critic
  module returns scores = -E(x), so that real samples score high here too, and the EBGAN losses
  take those scores.

`loss_pair(name)` gives the (critic loss, generator loss) pair of a config's `loss` name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "CriticLoss",
    "GeneratorLoss",
    "ebgan_critic_loss",
    "ebgan_generator_loss",
    "feature_matching_loss",
    "hinge_critic_loss",
    "hinge_generator_loss",
    "loss_pair",
    "lsgan_critic_loss",
    "lsgan_generator_loss",
    "minimax_critic_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "pullaway_term",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]

CriticLoss = Callable[[Tensor, Tensor], Tensor]
GeneratorLoss = Callable[[Tensor], Tensor]


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


def hinge_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[max(0, 1 - f(x))] + E[max(0, 1 + f(G(z)))] (Lim & Ye 2017; Miyato et al. 2018).

    Scores beyond the margins (f(x) >= 1, f(G(z)) <= -1) give no gradient, which bounds the
    critic without a Lipschitz constraint.
    """
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def hinge_generator_loss(fake_scores: Tensor) -> Tensor:
    """-E[f(G(z))], as for the Wasserstein loss."""
    return wasserstein_generator_loss(fake_scores)


def lsgan_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]: least squares on the labels 1 and 0."""
    return 0.5 * (real_scores - 1.0).square().mean() + 0.5 * fake_scores.square().mean()


def lsgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """1/2 E[(D(G(z)) - 1)^2]: pulls generated scores to the real label."""
    return 0.5 * (fake_scores - 1.0).square().mean()


def ebgan_critic_loss(real_scores: Tensor, fake_scores: Tensor, *, margin: float) -> Tensor:
    """E[E(x)] + E[max(0, m - E(G(z)))] with energies E = -scores and margin m > 0.

    The discriminator lowers the energy of real samples and raises that of generated ones up
    to the margin; beyond it they give no gradient.
    """
    if margin <= 0:
        raise ValueError(f"margin must be positive, got {margin}")
    return (-real_scores).mean() + F.relu(margin + fake_scores).mean()


def ebgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """E[E(G(z))] = -E[scores]: the generator lowers the energy of its samples."""
    return wasserstein_generator_loss(fake_scores)


def pullaway_term(features: Tensor) -> Tensor:
    r"""EBGAN's pulling-away term on the codes S (B, k) of a generated batch, B >= 2.

    .. math:: f_{PT} = \frac{1}{B(B-1)} \sum_i \sum_{j \ne i}
              \left(\frac{S_i^\top S_j}{\|S_i\| \|S_j\|}\right)^2

    0 for mutually orthogonal codes, 1 for parallel ones: adding it to the generator's loss
    pushes its samples apart in the encoder's space (Zhao et al. 2017, eq. 6).
    """
    b = features.shape[0]
    if b < 2:
        raise ValueError(f"the pulling-away term needs at least 2 samples, got {b}")
    unit = F.normalize(features.flatten(1), dim=1)  # (B, k)
    cosines = unit @ unit.T  # (B, B), ones on the diagonal
    return (cosines.square().sum() - b) / (b * (b - 1))


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """||E f(x) - E f(G(z))||^2 on critic features (B, k): the generator loss of feature
    matching (Salimans et al. 2016), used in place of the loss's own generator loss."""
    return (real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)).square().sum()


_PAIRS: dict[str, tuple[CriticLoss, GeneratorLoss]] = {
    "wasserstein": (wasserstein_critic_loss, wasserstein_generator_loss),
    "minimax": (minimax_critic_loss, minimax_generator_loss),
    "nonsaturating": (minimax_critic_loss, nonsaturating_generator_loss),
    "hinge": (hinge_critic_loss, hinge_generator_loss),
    "lsgan": (lsgan_critic_loss, lsgan_generator_loss),
}


def loss_pair(name: str, *, margin: float = 1.0) -> tuple[CriticLoss, GeneratorLoss]:
    """(critic loss, generator loss) for a config `loss` name; `margin` is EBGAN's m."""
    if name == "ebgan":
        return functools.partial(ebgan_critic_loss, margin=margin), ebgan_generator_loss
    if name not in _PAIRS:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join([*_PAIRS, 'ebgan'])}")
    return _PAIRS[name]
