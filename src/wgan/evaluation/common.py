"""What every evaluator shares: the call it answers, the critic's W estimate, user-given real data.

An evaluator draws no number from the training random streams (its sets are fixed, its samples use
the evaluation seed), so evaluating never changes how a run trains.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import Tensor, nn

from wgan.errors import UserError


class Generate(Protocol):
    """n samples of the sampling generator, fp32; a conditional run's for the given labels."""

    def __call__(self, n: int, *, labels: Tensor | None = None) -> Tensor: ...


class Evaluator(Protocol):
    def __call__(
        self, *, step: int, generate: Generate, critic: nn.Module, n: int, real: Tensor | None
    ) -> dict[str, Any]: ...


@torch.no_grad()
def critic_estimate(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    *,
    labels: Tensor | None = None,
    chunk: int = 500,
) -> float:
    """mean f(real) - mean f(fake), the critic in eval mode (its state left as it was).

    A cGAN critic f(x, y) takes `labels` (n,), the labels of the real samples and of the
    generated ones alike.
    """
    was_training = critic.training
    critic.eval()
    try:
        scores = []
        for x in (real, fake):
            parts = []
            for i in range(0, len(x), chunk):
                extra = () if labels is None else (labels[i : i + chunk],)
                parts.append(critic(x[i : i + chunk], *extra).float())
            scores.append(torch.cat(parts).mean())
    finally:
        critic.train(was_training)
    return float(scores[0] - scores[1])


def split_real(real: Tensor, n: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """User-given real data: its first n samples are the reference, the next n the floor's."""
    if len(real) < 4:
        raise UserError(f"the evaluation data holds {len(real)} samples; give at least 4")
    real = real.to(device, torch.float32)
    n = min(n, len(real) // 2)
    return real[:n], real[n : 2 * n]
