"""How a conditional run is evaluated: the labels its samples are generated with, the critic's W
estimate, and the key that says how well the samples obey their labels. The run's GAN kind
(`wgan.training.kinds`) chooses one of these once.

cGAN and AC-GAN (`LabelConditioning`): `label_accuracy`, the share of samples generated for a
label that the data's classifier gives that label (`wgan.metrics.conditional`); they are
evaluated on samples generated with the held-out set's labels. InfoGAN (`CodeConditioning`):
`code_class_agreement`, how well the categorical code matches the classes up to a renaming, on
samples with each code value equally often. The semi-supervised GAN (`CriticClassifies`):
`critic_test_accuracy`, the share of held-out samples its critic's class logits classify right.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from wgan.evaluation.common import critic_estimate
from wgan.metrics.conditional import matched_accuracy


class Conditioning:
    """An unconditional run: no labels, the plain critic estimate, no key."""

    n_classes = 0
    critic_classifies = False  # the critic has class logits (`critic_accuracy`)

    def labels(self, m: int, held_labels: Tensor | None) -> Tensor | None:
        """The labels (m,) to generate the evaluation samples with; None for none."""
        return None

    def critic_estimate(
        self,
        critic: nn.Module,
        held: Tensor,
        fake: Tensor,
        labels: Tensor | None,
        *,
        held_labels: Tensor | None,
    ) -> float | None:
        """The critic's W estimate between held-out and generated samples."""
        return critic_estimate(critic, held, fake)

    def result(
        self, labels: Tensor | None, classes: Tensor | None, n_data_classes: int
    ) -> dict[str, float | None]:
        """The conditional key, from the classes a classifier of the data gives the samples
        generated with `labels` (None when the data has no classifier)."""
        return {}


NO_CONDITIONING = Conditioning()


class CriticClassifies(Conditioning):
    """A semi-supervised run: an unconditional generator, and a critic whose class logits are
    scored on the held-out samples (`critic_test_accuracy`)."""

    critic_classifies = True


CRITIC_CLASSIFIES = CriticClassifies()


class LabelConditioning(Conditioning):
    """cGAN and AC-GAN: samples generated for the held-out labels, scored by label accuracy.

    `labelled_critic`: the critic scores (x, y) (cGAN), so it scores each real sample with its own
    label (and the generated samples had the same labels); without held-out labels (real samples
    given to `wgan evaluate --data`) it gives no estimate.
    """

    def __init__(self, n_classes: int, device: torch.device, *, labelled_critic: bool) -> None:
        self.n_classes = n_classes
        self.device = device
        self.labelled_critic = labelled_critic

    def labels(self, m: int, held_labels: Tensor | None) -> Tensor | None:
        """The held-out labels; every class equally often without them."""
        if held_labels is not None and len(held_labels) == m:
            return held_labels.to(self.device)
        return torch.arange(m, device=self.device) % self.n_classes

    def critic_estimate(
        self,
        critic: nn.Module,
        held: Tensor,
        fake: Tensor,
        labels: Tensor | None,
        *,
        held_labels: Tensor | None,
    ) -> float | None:
        if not self.labelled_critic:
            return critic_estimate(critic, held, fake)
        if held_labels is None:
            return None
        return critic_estimate(critic, held, fake, labels=labels)

    def result(
        self, labels: Tensor | None, classes: Tensor | None, n_data_classes: int
    ) -> dict[str, float | None]:
        if labels is None or classes is None:
            return {"label_accuracy": None}
        return {"label_accuracy": float((classes.to(labels.device) == labels).double().mean())}


class CodeConditioning(Conditioning):
    """InfoGAN: samples with each categorical code equally often, scored by how well the codes
    match the classes up to a renaming (no key without a categorical code)."""

    def __init__(self, n_classes: int, device: torch.device) -> None:
        self.n_classes = n_classes
        self.device = device

    def labels(self, m: int, held_labels: Tensor | None) -> Tensor | None:
        if not self.n_classes:
            return None
        return torch.arange(m, device=self.device) % self.n_classes

    def result(
        self, labels: Tensor | None, classes: Tensor | None, n_data_classes: int
    ) -> dict[str, float | None]:
        if labels is None:
            return {}
        if classes is None:
            return {"code_class_agreement": None}
        agreement = matched_accuracy(
            labels.cpu().numpy(),
            classes.cpu().numpy(),
            n_codes=self.n_classes,
            n_classes=max(n_data_classes, int(classes.max()) + 1),
        )
        return {"code_class_agreement": agreement}
