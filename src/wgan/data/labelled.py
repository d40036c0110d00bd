"""The labelled examples of a semi-supervised run (`data.labelled`): a few training samples whose
labels the run may use, drawn evenly over the classes with the run's seed, and batches of them.

The other training samples are used without their labels. The examples' indices and the
position in their epoch order are part of the checkpoint, so a resumed run trains on the same
examples in the same order as an uninterrupted one.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor

from wgan.data.sources import ALL_ROWS, EpochOrder
from wgan.errors import UserError

_LABELLED_STREAM = 3_000_003  # apart from the run's training stream and the evaluation sets


@runtime_checkable
class FiniteLabelledSource(Protocol):
    """A source with a finite training split whose samples can be taken by index."""

    n_classes: int | None

    def training_labels(self) -> Tensor: ...
    def labelled_items(self, index: Tensor) -> tuple[Tensor, Tensor]: ...


def even_subset(labels: Tensor, n: int, n_classes: int, seed: int) -> Tensor:
    """The sorted indices of n of `labels` (m,), n // K of each class 0..K-1 and one more of
    n % K classes picked at random, each class's examples drawn at random: all by `seed`.

    Fewer than K examples, or a class with fewer samples than its share, is a UserError.
    """
    if n < n_classes:
        raise UserError(
            f"data.labelled {n} is fewer than the data's {n_classes} classes; give at least one "
            "labelled example per class"
        )
    generator = torch.Generator().manual_seed(seed + _LABELLED_STREAM)
    labels = labels.cpu()
    extra = torch.randperm(n_classes, generator=generator)[: n % n_classes]
    chosen = []
    for k in range(n_classes):
        members = torch.nonzero(labels == k).flatten()
        share = n // n_classes + int(bool((extra == k).any()))
        if len(members) < share:
            raise UserError(
                f"data.labelled {n} needs {share} examples of class {k}, and the training split "
                f"holds {len(members)}; lower data.labelled"
            )
        chosen.append(members[torch.randperm(len(members), generator=generator)[:share]])
    return torch.cat(chosen).sort().values


class LabelledExamples:
    """The run's labelled examples (`even_subset` of the training split) and batches of them,
    walked through in a fresh random order each epoch, as the training split is."""

    def __init__(self, source: object, n: int, *, seed: int) -> None:
        if not isinstance(source, FiniteLabelledSource) or source.n_classes is None:
            raise UserError(
                "data.labelled picks labelled examples from the training split, and this data "
                "has none with labels; use digits, MNIST IDX files with their labels files, "
                "CIFAR-10 batches, or a .csv of points whose header names a 'label' column"
            )
        self.source = source
        self.n_classes = source.n_classes
        self.index = even_subset(source.training_labels(), n, source.n_classes, seed)
        self.order = EpochOrder(n)

    def batch(
        self, n: int, generator: torch.Generator, rows: slice = ALL_ROWS
    ) -> tuple[Tensor, Tensor]:
        """n labelled examples (samples, labels), then `rows` of them; with n above the number
        of examples, every example and a draw of them again."""
        size = self.order.size
        positions = torch.cat(
            [self.order.next(min(n - i, size), generator) for i in range(0, n, size)]
        )
        index = self.index.to(positions.device)[positions[rows]]
        return self.source.labelled_items(index)

    def state_dict(self) -> dict[str, Any]:
        return {"index": self.index, "order": self.order.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.index = state["index"]
        self.order.load_state_dict(state["order"])
