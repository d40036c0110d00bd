"""What a conditional generator gets besides z: a one-hot label, or InfoGAN's latent codes.

cGAN and AC-GAN: the class label y, drawn with the classes' shares in the training data (or
taken from a real batch), enters the generator as one-hot (K,) appended to z.
InfoGAN (Chen et al. 2016): a categorical code c ~ Uniform{0..K-1} (one-hot) and continuous codes
u ~ U(-1, 1)^m, appended to z; nothing ties them to the data but the mutual-information term.

Codes are drawn for the whole global batch from the run's generator, like every random number,
and each process keeps its rows (see `wgan.training.trainer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from wgan.data.sources import ALL_ROWS


@dataclass(frozen=True)
class Code:
    """The codes of a batch: labels (B,) int64 (the class, or InfoGAN's categorical code) and
    InfoGAN's continuous codes (B, m); None where the run has none."""

    labels: Tensor | None
    continuous: Tensor | None

    def repeat_interleave(self, times: int) -> Code:
        """Each sample's codes `times` times in a row: (B * times, ...)."""
        return Code(
            None if self.labels is None else self.labels.repeat_interleave(times, dim=0),
            None if self.continuous is None else self.continuous.repeat_interleave(times, dim=0),
        )


NO_CODE = Code(None, None)  # the codes of an unconditional generator


class LatentCodes:
    """Draws codes and turns them into the generator's extra inputs (B, n_classes + n_continuous)."""

    def __init__(
        self, *, n_classes: int, n_continuous: int, class_probs: Tensor | None = None
    ) -> None:
        self.n_classes = n_classes
        self.n_continuous = n_continuous
        self.class_probs = class_probs  # (K,); None: uniform

    @property
    def dim(self) -> int:
        return self.n_classes + self.n_continuous

    def draw(
        self,
        n: int,
        generator: torch.Generator,
        *,
        labels: Tensor | None = None,
        rows: slice = ALL_ROWS,
    ) -> Code:
        """Codes for `rows` of a batch of n: continuous codes drawn from U(-1, 1), and the given
        labels (already those rows) or labels drawn from the class shares. The continuous codes
        come first, so that they are the same whether the labels are given or drawn."""
        device = generator.device
        continuous = None
        if self.n_continuous:
            u = torch.rand(n, self.n_continuous, generator=generator, device=device)
            continuous = (2.0 * u - 1.0)[rows]
        if labels is None and self.n_classes:
            probs = self.class_probs
            if probs is None:
                probs = torch.full((self.n_classes,), 1.0 / self.n_classes, device=device)
            labels = torch.multinomial(probs, n, replacement=True, generator=generator)[rows]
        return Code(labels, continuous)

    def encode(self, code: Code) -> Tensor:
        """[one-hot(labels), continuous] (B, dim), float32."""
        parts = []
        if code.labels is not None:
            parts.append(F.one_hot(code.labels, self.n_classes).float())
        if code.continuous is not None:
            parts.append(code.continuous.float())
        return torch.cat(parts, dim=1)
