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

`LOSSES` is the registry of a config's `loss` names: one entry, (critic loss, generator loss,
the names of the loss's hyperparameters), per loss; the config accepts exactly its names, and
`loss_pair(name, **hyperparameters)` gives the pair with the hyperparameters bound. Adding a loss
is writing its functions and one entry.

`critic_objective` is what every critic in wgan minimises, for any loss and Lipschitz method:
the adversarial loss plus lambda times the gradient penalty when the method is one.

The auxiliary terms of the structured GANs are losses of their own, added to the adversarial
ones, each taking (prediction, target) and returning a loss to minimise: AC-GAN's class loss
(also the semi-supervised GAN's supervised loss), InfoGAN's mutual-information loss (-L_I),
CycleGAN's cycle and identity losses; `semi_supervised_logit` turns a semi-supervised critic's
class logits into the scores of its unsupervised (minimax) loss.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from wgan.lipschitz import PENALTY_METHODS, gradient_penalty

__all__ = [
    "LOSSES",
    "CriticLoss",
    "CriticObjective",
    "GeneratorLoss",
    "Loss",
    "auxiliary_classifier_loss",
    "critic_objective",
    "cycle_consistency_loss",
    "ebgan_critic_loss",
    "ebgan_generator_loss",
    "feature_matching_loss",
    "hinge_critic_loss",
    "hinge_generator_loss",
    "identity_loss",
    "loss_pair",
    "lsgan_critic_loss",
    "lsgan_generator_loss",
    "minimax_critic_loss",
    "minimax_generator_loss",
    "mutual_information_loss",
    "mutual_information_lower_bound",
    "nonsaturating_generator_loss",
    "pullaway_term",
    "semi_supervised_logit",
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


def feature_matching_loss(fake_features: Tensor, real_features: Tensor) -> Tensor:
    """||E f(G(z)) - E f(x)||^2 on critic features (B, k): the generator loss of feature
    matching (Salimans et al. 2016), used in place of the loss's own generator loss."""
    return (fake_features.flatten(1).mean(0) - real_features.flatten(1).mean(0)).square().sum()


def orthogonal_regularization(weights: Iterable[Tensor]) -> Tensor:
    r"""BigGAN's orthogonal regularisation, summed over weights (Brock et al. 2019, eq. 3):

    .. math:: R(W) = \|W^\top W \odot (1 - I)\|_F^2

    with the columns of W the weight's filters: a weight (out, ...) is reshaped to (out, fan_in)
    and its rows' Gram matrix taken. The diagonal (the filters' squared norms) is masked: the
    norms stay free, the filters' inner products are pushed to 0. The generator adds
    beta * R to its loss (`stabilizers.orthogonal_reg`, the paper's beta 1e-4).
    """
    terms = []
    for weight in weights:
        rows = weight.float().flatten(1)  # (out, fan_in)
        gram = rows @ rows.T  # (out, out)
        terms.append((gram - torch.diag(torch.diagonal(gram))).square().sum())
    if not terms:
        raise ValueError("orthogonal regularisation needs at least one weight")
    return torch.stack(terms).sum()


@dataclass(frozen=True)
class Loss:
    """A registry entry: the critic and generator losses, and the names of the keyword
    hyperparameters of the critic loss (taken from the config section named like the loss)."""

    critic: Callable[..., Tensor]
    generator: GeneratorLoss
    hyperparameters: tuple[str, ...] = ()


LOSSES: dict[str, Loss] = {
    "wasserstein": Loss(wasserstein_critic_loss, wasserstein_generator_loss),
    "minimax": Loss(minimax_critic_loss, minimax_generator_loss),
    "nonsaturating": Loss(minimax_critic_loss, nonsaturating_generator_loss),
    "hinge": Loss(hinge_critic_loss, hinge_generator_loss),
    "lsgan": Loss(lsgan_critic_loss, lsgan_generator_loss),
    "ebgan": Loss(ebgan_critic_loss, ebgan_generator_loss, ("margin",)),
}


def loss_pair(name: str, **hyperparameters: object) -> tuple[CriticLoss, GeneratorLoss]:
    """(critic loss, generator loss) for a config `loss` name, with the hyperparameters the
    entry names bound (others are ignored), e.g. ``loss_pair("ebgan", margin=0.5)``."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    entry = LOSSES[name]
    missing = [key for key in entry.hyperparameters if key not in hyperparameters]
    if missing:
        raise ValueError(f"loss {name!r} needs {', '.join(missing)}")
    if not entry.hyperparameters:
        return entry.critic, entry.generator
    bound = {key: hyperparameters[key] for key in entry.hyperparameters}
    return functools.partial(entry.critic, **bound), entry.generator


# ---- the critic's objective ---------------------------------------------------------------------


class LipschitzSettings(Protocol):
    """What the objective reads of a config's `lipschitz` section."""

    @property
    def method(self) -> str: ...
    @property
    def gp_lambda(self) -> float: ...


class CriticObjective(NamedTuple):
    """What a critic minimises, `total`, in two parts: `loss` (the adversarial loss plus a GAN
    kind's own terms) and `penalty` (lambda times the gradient penalty; None without one); and
    what it logs (detached): critic_loss (the adversarial loss alone), critic_w_estimate
    (mean f(real) - mean f(fake)) and, with a penalty, penalty (without lambda) and grad_norm
    (the mean gradient norm at the interpolates)."""

    loss: Tensor
    penalty: Tensor | None
    stats: dict[str, Tensor]

    @property
    def total(self) -> Tensor:
        return self.loss if self.penalty is None else self.loss + self.penalty


def critic_objective(
    real_scores: Tensor,
    fake_scores: Tensor,
    *,
    loss: CriticLoss,
    lipschitz: LipschitzSettings,
    critic: Callable[[Tensor], Tensor] | None = None,
    real: Tensor | None = None,
    fake: Tensor | None = None,
    eps: Tensor | None = None,
    extra: Tensor | None = None,
) -> CriticObjective:
    """loss(real_scores, fake_scores) [+ extra] + lambda * penalty: the critic's objective for
    any loss and Lipschitz method (Gulrajani et al. 2017, Algorithm 1, line 7, for the
    Wasserstein loss); `extra` is a GAN kind's own term (AC-GAN's class loss).

    The penalty is added when `lipschitz.method` is 'gp' or 'gp-one-sided': then `critic` (samples
    to scores; a conditional critic with its labels bound), the `real` and `fake` batches the
    scores came from and the interpolation weights `eps` (B,) are needed. It is computed in a
    pass of its own over the interpolates (docs/speed.md, "What makes the step fast": a shared
    pass would run the double backward over real and fake too). Clipping and spectral
    normalisation act on the weights, not on the objective (`wgan.lipschitz`).
    """
    adversarial = loss(real_scores, fake_scores)
    stats = {
        "critic_loss": adversarial.detach(),
        "critic_w_estimate": (real_scores.mean() - fake_scores.mean()).detach(),
    }
    total = adversarial if extra is None else adversarial + extra
    if lipschitz.method not in PENALTY_METHODS:
        return CriticObjective(total, None, stats)
    if critic is None or real is None or fake is None or eps is None:
        raise ValueError("a gradient penalty needs critic, real, fake and eps")
    penalty, norms = gradient_penalty(
        critic, real, fake, eps=eps, one_sided=lipschitz.method == "gp-one-sided"
    )
    stats |= {"penalty": penalty.detach(), "grad_norm": norms.mean().detach()}
    return CriticObjective(total, lipschitz.gp_lambda * penalty, stats)


# ---- auxiliary terms: AC-GAN, InfoGAN, CycleGAN ------------------------------------------------


def auxiliary_classifier_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """AC-GAN's class loss -E[log P(C = c | x)]: the cross-entropy of class logits (B, K) against
    labels (B,). Both players minimise it (Odena et al. 2017): the critic on real and generated
    samples, the generator on its own."""
    return F.cross_entropy(logits.float(), labels)


def semi_supervised_logit(logits: Tensor) -> Tensor:
    r"""log Z(x), Z = sum_k exp l_k(x), of a semi-supervised critic's K class logits (B, K), as
    scores (B, 1): the logit of D(x) = Z / (Z + 1), the probability that x is real, when the
    generated class's logit is fixed at 0 (Salimans et al. 2016, section 5).

    The critic's unsupervised loss is then the minimax loss of these scores,

    .. math:: L_{unsupervised} = -E_x \log \frac{Z(x)}{Z(x) + 1}
              - E_z \log \frac{1}{Z(G(z)) + 1}
              = E_x \operatorname{softplus}(-\log Z) + E_z \operatorname{softplus}(\log Z),

    (`minimax_critic_loss`), and its supervised loss the cross-entropy of the K logits on the
    labelled examples (`auxiliary_classifier_loss`).
    """
    return torch.logsumexp(logits.float(), dim=1, keepdim=True)


def mutual_information_lower_bound(
    categorical_logits: Tensor | None,
    categorical: Tensor | None,
    continuous_means: Tensor | None,
    continuous: Tensor | None,
) -> Tensor:
    r"""InfoGAN's variational lower bound on I(c; G(z, c)), in nats (Chen et al. 2016, eq. 4).

    .. math:: L_I = H(c) + E[\log Q(c \mid G(z, c))] \le I(c; G(z, c))

    for a categorical code c ~ Uniform{0..K-1}, H = log K, with Q a softmax over the logits
    (B, K); and continuous codes u ~ U(-1, 1)^m, H = m log 2, with Q a unit-variance Gaussian
    about the means (B, m): log Q(u | x) = -m/2 log(2 pi) - |u - mean|^2 / 2. Either part may be
    None. The bound reaches log K for the categorical part when Q names every code for sure; its
    continuous part stays below m (log 2 - log(2 pi) / 2) < 0, the price of a fixed variance.
    The loss to minimise is `mutual_information_loss`, -L_I.
    """
    terms = []
    if categorical_logits is not None and categorical is not None:
        k = categorical_logits.shape[1]
        terms.append(math.log(k) - F.cross_entropy(categorical_logits.float(), categorical))
    if continuous_means is not None and continuous is not None:
        m = continuous_means.shape[1]
        squared = (continuous.float() - continuous_means.float()).square().sum(1).mean()
        terms.append(m * (math.log(2.0) - 0.5 * math.log(2.0 * math.pi)) - 0.5 * squared)
    if not terms:
        raise ValueError("give the categorical part, the continuous part, or both")
    return torch.stack(terms).sum()


def mutual_information_loss(
    categorical_logits: Tensor | None,
    continuous_means: Tensor | None,
    categorical: Tensor | None,
    continuous: Tensor | None,
) -> Tensor:
    """InfoGAN's loss -L_I (`mutual_information_lower_bound`), with Q's predictions first and the
    codes they predict second; the generator and Q minimise lambda times it."""
    return -mutual_information_lower_bound(
        categorical_logits, categorical, continuous_means, continuous
    )


def _mean_abs(x: Tensor, y: Tensor) -> Tensor:
    return (x - y).abs().mean()


def cycle_consistency_loss(a_cycled: Tensor, a: Tensor, b_cycled: Tensor, b: Tensor) -> Tensor:
    """CycleGAN's cycle loss E|F(G(a)) - a|_1 + E|G(F(b)) - b|_1, each a mean absolute difference
    per coordinate (Zhu et al. 2017, eq. 2, with the norm averaged over coordinates)."""
    return _mean_abs(a_cycled, a) + _mean_abs(b_cycled, b)


def identity_loss(a_mapped: Tensor, a: Tensor, b_mapped: Tensor, b: Tensor) -> Tensor:
    """CycleGAN's identity loss E|F(a) - a|_1 + E|G(b) - b|_1: each translator should leave
    samples of its own target domain as they are (Zhu et al. 2017, section 5.2)."""
    return _mean_abs(a_mapped, a) + _mean_abs(b_mapped, b)
