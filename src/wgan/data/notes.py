"""What a run on a user's points should know before it starts: where the defaults (chosen on
benchmarks/unseen.py's sets of 20 000 points in 2 to 50 dimensions) are on less safe ground."""

from __future__ import annotations

from torch import Tensor

FEW_POINTS = 2000  # training points below which a generator can learn the set by heart
MANY_DIMENSIONS = 50  # the largest dimension the defaults were chosen on
FEW_VALUES = 10  # distinct values below which a column looks discrete


def point_notes(train: Tensor, n_holdout: int) -> list[str]:
    """Notes on the training points (n, d) of a run and the size of its held-out split."""
    n, d = train.shape
    notes = []
    if n < FEW_POINTS:
        notes.append(
            f"{n} training points: the defaults were chosen on 16 000; with few points the "
            "generator can reproduce the training points themselves, which the held-out W1 "
            f"(on {n_holdout} points) is there to show"
        )
    if d > MANY_DIMENSIONS:
        notes.append(
            f"{d} dimensions: the defaults were chosen on data of 2 to {MANY_DIMENSIONS}; a "
            "wider network (model.generator_width, model.critic_width) or more steps may be needed"
        )
    for column in range(d):
        values = train[:, column].unique()
        if len(values) == 1:
            notes.append(f"column {column + 1} is constant ({float(values[0]):g})")
        elif len(values) < FEW_VALUES:
            notes.append(
                f"column {column + 1} takes {len(values)} distinct values: the generator makes "
                "continuous values, so its samples fall between them; round them afterwards, or "
                "give the column as labels (a .csv 'label' column) for a conditional GAN"
            )
    return notes
