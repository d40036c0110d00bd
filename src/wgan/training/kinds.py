"""The GAN kinds of one generator and one critic: what differs between them, chosen once per run.

A kind supplies the generator's input (z, with a conditional run's codes), the critic call (one
signature for all: samples and labels in, scores and the auxiliary head's outputs out), the
critic that the gradient penalty differentiates, and its own loss terms:

- unconditional: none of the above beyond z and f(x);
- cgan (Mirza and Osindero 2014): labels into the generator (one-hot, appended to z) and the
  critic f(x, y); the penalty of f(., y) on interpolates of one label;
- acgan (Odena et al. 2017): labels into the generator; the critic's second head classifies, and
  both players minimise the class loss (the critic on real and generated samples);
- infogan (Chen et al. 2016): latent codes into the generator; the second head Q estimates them,
  and both players minimise lambda * -L_I on generated samples;
- sgan (Salimans et al. 2016): the critic's K class logits, the generated class's logit fixed at
  0; the loss's minimax term on log Z is the unsupervised loss, and the kind adds the
  cross-entropy of the logits on a batch of the run's labelled examples (`labelled_batch`).

CycleGAN is no kind of this trainer: it has two generators and two critics (`wgan.training.cycle`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from wgan import losses
from wgan.config import Config
from wgan.data.labelled import LabelledExamples
from wgan.data.sources import ALL_ROWS, DataSource
from wgan.errors import UserError
from wgan.evaluation.conditional import (
    CRITIC_CLASSIFIES,
    NO_CONDITIONING,
    CodeConditioning,
    Conditioning,
    LabelConditioning,
)
from wgan.lipschitz import spectral_normalize_
from wgan.models import build_critic, build_generator, constrain
from wgan.models.conditional import (
    AuxiliaryCritic,
    ClassifierCritic,
    LabelConcatCritic,
    ProjectionCritic,
)
from wgan.training.codes import NO_CODE, Code, LatentCodes

# The critic call of every kind: samples (B, ...) and their labels (or None) to fp32-able scores
# (B, 1) and the auxiliary head's outputs (B, k) (None for critics without one).
CriticCall = Callable[[Tensor, Tensor | None], tuple[Tensor, Tensor | None]]
Stats = dict[str, Tensor]


class Unconditional:
    """A GAN of z alone: the base of the other kinds, which override what differs."""

    name: ClassVar[str] = "unconditional"
    trains_on_labels: ClassVar[bool] = False  # real batches come with their labels
    critic_takes_labels: ClassVar[bool] = False  # the critic scores (x, y)

    def __init__(self, config: Config, source: DataSource) -> None:
        self.config = config
        self.codes: LatentCodes | None = None  # what the generator gets besides z

    def models(self, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        """(generator, critic): the generator takes z with the encoded codes appended."""
        code_dim = 0 if self.codes is None else self.codes.dim
        in_dim = self.config.model.latent_dim + code_dim
        generator = build_generator(self.config, in_dim, sample_shape)
        return generator, constrain(self.config, self._critic(sample_shape))

    def _critic(self, sample_shape: tuple[int, ...]) -> nn.Module:
        return build_critic(self.config, sample_shape)

    def generator_input(self, z: Tensor, code: Code) -> Tensor:
        """The generator's input: z, with the encoded codes appended in a conditional run."""
        if self.codes is None:
            return z
        return torch.cat([z, self.codes.encode(code).to(z.device)], dim=1)

    def draw_code(
        self,
        n: int,
        rng: torch.Generator,
        *,
        labels: Tensor | None = None,
        rows: slice = ALL_ROWS,
    ) -> Code:
        """The codes of `rows` of a batch of n: the given labels, else drawn (`LatentCodes`)."""
        if self.codes is None:
            return NO_CODE
        return self.codes.draw(n, rng, labels=labels, rows=rows)

    def critic_call(self, critic: nn.Module) -> CriticCall:
        """The critic of the first-order passes, with the call signature of every kind."""

        def call(x: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
            return critic(x), None

        return call

    def penalty_critic(
        self, critic: nn.Module, labels: Tensor | None
    ) -> Callable[[Tensor], Tensor]:
        """The function whose input gradient the penalty constrains."""
        return critic

    def critic_terms(
        self, real_out: Tensor | None, fake_out: Tensor | None, code: Code
    ) -> tuple[Tensor | None, Stats]:
        """The kind's own term of the critic's loss, on the auxiliary outputs of a real and a
        generated batch with `code`, and its statistics: (None, {}) for kinds without one."""
        return None, {}

    def generator_terms(self, fake_out: Tensor | None, code: Code) -> tuple[Tensor | None, Stats]:
        """The kind's own term of the generator's loss, and its statistics."""
        return None, {}

    def labelled_batch(
        self, n: int, rng: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor] | None:
        """A batch of n labelled examples (samples, labels), `rows` of it, for
        `supervised_terms`; None (nothing drawn) for kinds without a labelled stream."""
        return None

    def supervised_terms(self, logits: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        """The critic's loss term on its outputs for a labelled batch, and its statistics."""
        raise NotImplementedError(f"gan '{self.name}' has no labelled stream")

    def state_dict(self) -> dict[str, Any]:
        """What the kind changes while training (the labelled stream's order), for checkpoints."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def conditioning(self, device: torch.device) -> Conditioning:
        """How the run's evaluation generates and scores conditional samples."""
        return NO_CONDITIONING


class CGAN(Unconditional):
    name = "cgan"
    trains_on_labels = True
    critic_takes_labels = True

    def __init__(self, config: Config, source: DataSource) -> None:
        super().__init__(config, source)
        self.codes = _label_codes(config, source)

    def _critic(self, sample_shape: tuple[int, ...]) -> nn.Module:
        assert self.codes is not None
        k = self.codes.n_classes
        if self.config.cgan.critic == "projection":
            return ProjectionCritic(build_critic(self.config, sample_shape), k)
        widened = (sample_shape[0] + k, *sample_shape[1:])  # the label's K inputs
        return LabelConcatCritic(build_critic(self.config, widened), k)

    def critic_call(self, critic: nn.Module) -> CriticCall:
        def call(x: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
            return critic(x, labels), None

        return call

    def penalty_critic(
        self, critic: nn.Module, labels: Tensor | None
    ) -> Callable[[Tensor], Tensor]:
        # The penalty of f(., y) on interpolates of label y.
        return functools.partial(critic, labels=labels)

    def conditioning(self, device: torch.device) -> Conditioning:
        assert self.codes is not None
        return LabelConditioning(self.codes.n_classes, device, labelled_critic=True)


class _AuxiliaryHead(Unconditional):
    """The kinds whose critic has a second head on its features (`AuxiliaryCritic`): AC-GAN's
    class logits, InfoGAN's estimate of the codes."""

    def _critic(self, sample_shape: tuple[int, ...]) -> nn.Module:
        return AuxiliaryCritic(build_critic(self.config, sample_shape), self._head_size())

    def _head_size(self) -> int:
        raise NotImplementedError

    def critic_call(self, critic: nn.Module) -> CriticCall:
        def call(x: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
            return critic.with_auxiliary(x)  # type: ignore[operator]

        return call


class ACGAN(_AuxiliaryHead):
    name = "acgan"
    trains_on_labels = True

    def __init__(self, config: Config, source: DataSource) -> None:
        super().__init__(config, source)
        self.codes = _label_codes(config, source)

    def _head_size(self) -> int:
        assert self.codes is not None
        return self.codes.n_classes

    def critic_terms(
        self, real_out: Tensor | None, fake_out: Tensor | None, code: Code
    ) -> tuple[Tensor | None, Stats]:
        assert real_out is not None and fake_out is not None and code.labels is not None
        real_loss = losses.auxiliary_classifier_loss(real_out, code.labels)
        fake_loss = losses.auxiliary_classifier_loss(fake_out, code.labels)
        stats = {"class_loss_real": real_loss.detach(), "class_loss_fake": fake_loss.detach()}
        return self.config.acgan.class_weight * (real_loss + fake_loss), stats

    def generator_terms(self, fake_out: Tensor | None, code: Code) -> tuple[Tensor | None, Stats]:
        assert fake_out is not None and code.labels is not None
        loss = losses.auxiliary_classifier_loss(fake_out, code.labels)
        return self.config.acgan.class_weight * loss, {"generator_class_loss": loss.detach()}

    def conditioning(self, device: torch.device) -> Conditioning:
        assert self.codes is not None
        return LabelConditioning(self.codes.n_classes, device, labelled_critic=False)


class InfoGAN(_AuxiliaryHead):
    name = "infogan"

    def __init__(self, config: Config, source: DataSource) -> None:
        super().__init__(config, source)
        info = config.infogan
        self.codes = LatentCodes(n_classes=info.categories, n_continuous=info.continuous)

    def _head_size(self) -> int:
        assert self.codes is not None
        return self.codes.dim

    def _information_loss(self, q: Tensor, code: Code) -> Tensor:
        """-L_I of Q's outputs q (B, K + m) for the codes the samples were generated with."""
        k = self.config.infogan.categories
        return losses.mutual_information_loss(
            q[:, :k] if k else None, q[:, k:], code.labels, code.continuous
        )

    def critic_terms(
        self, real_out: Tensor | None, fake_out: Tensor | None, code: Code
    ) -> tuple[Tensor | None, Stats]:
        assert fake_out is not None
        loss = self._information_loss(fake_out, code)
        return self.config.infogan.weight * loss, {"mi_lower_bound": -loss.detach()}

    def generator_terms(self, fake_out: Tensor | None, code: Code) -> tuple[Tensor | None, Stats]:
        assert fake_out is not None
        loss = self._information_loss(fake_out, code)
        return self.config.infogan.weight * loss, {"generator_mi_lower_bound": -loss.detach()}

    def conditioning(self, device: torch.device) -> Conditioning:
        assert self.codes is not None
        return CodeConditioning(self.codes.n_classes, device)


class SGAN(_AuxiliaryHead):
    name = "sgan"

    def __init__(self, config: Config, source: DataSource) -> None:
        super().__init__(config, source)
        assert config.data.labelled is not None  # checked by Config
        self.examples = LabelledExamples(source, config.data.labelled, seed=config.seed)

    def _critic(self, sample_shape: tuple[int, ...]) -> nn.Module:
        critic = ClassifierCritic(build_critic(self.config, sample_shape), self.examples.n_classes)
        head = critic.base.head
        if self.config.model.critic_norm == "sn" and isinstance(head, nn.Module):
            spectral_normalize_(head, self.config.lipschitz.sn_norm)  # as the base's head was
        return critic

    def labelled_batch(
        self, n: int, rng: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor] | None:
        return self.examples.batch(n, rng, rows)

    def supervised_terms(self, logits: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        loss = losses.auxiliary_classifier_loss(logits, labels)
        accuracy = (logits.argmax(1) == labels).float().mean()
        stats = {"supervised_loss": loss.detach(), "labelled_accuracy": accuracy.detach()}
        return self.config.sgan.supervised_weight * loss, stats

    def state_dict(self) -> dict[str, Any]:
        return self.examples.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.examples.load_state_dict(state)

    def conditioning(self, device: torch.device) -> Conditioning:
        return CRITIC_CLASSIFIES


KINDS: dict[str, type[Unconditional]] = {
    kind.name: kind for kind in (Unconditional, CGAN, ACGAN, InfoGAN, SGAN)
}


def make_kind(config: Config, source: DataSource) -> Unconditional:
    """The kind of a run's `gan` (not 'cyclegan', which has a trainer of its own)."""
    return KINDS[config.gan](config, source)


def _label_codes(config: Config, source: DataSource) -> LatentCodes:
    """The one-hot labels of a cGAN or AC-GAN generator, drawn with the classes' shares.

    The data must have labels, every class 0..K-1 present in the training split; anything else
    is a UserError that says how to give labels.
    """
    if source.n_classes is None:
        raise UserError(
            f"gan '{config.gan}' trains on labelled data, and this data has no labels; use "
            "8gaussians, 25gaussians, digits, MNIST IDX files with their labels files, CIFAR-10 "
            "batches, or a .csv of points whose header names a 'label' column"
        )
    shares = source.class_frequencies()
    missing = [str(k) for k in torch.nonzero(shares == 0).flatten().tolist()]
    if missing:
        raise UserError(
            f"classes {', '.join(missing)} of 0..{len(shares) - 1} have no training sample; "
            "labels must be the numbers 0, 1, ..., K - 1, each used (renumber them)"
        )
    return LatentCodes(n_classes=len(shares), n_continuous=0, class_probs=shares)
