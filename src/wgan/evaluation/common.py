"""What every evaluator shares: the call it answers, the critic's W estimate, user-given real data,
the noise floor of a distance.

An evaluator draws no number from the training random streams (its sets are fixed, its samples use
the evaluation seed), so evaluating never changes how a run trains.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from wgan.errors import UserError
from wgan.metrics.features import FeatureExtractor


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


@torch.no_grad()
def critic_classes(critic: nn.Module, x: Tensor, *, chunk: int = 500) -> Tensor:
    """The class (n,) of each sample x: the largest of a semi-supervised critic's class logits
    (`critic.logits`), the critic in eval mode (its state left as it was)."""
    classify = critic.logits
    assert callable(classify), f"{type(critic).__name__} has no logits(x)"
    was_training = critic.training
    critic.eval()
    try:
        logits = torch.cat([classify(x[i : i + chunk]) for i in range(0, len(x), chunk)])
    finally:
        critic.train(was_training)
    return logits.argmax(1)


def critic_accuracy(critic: nn.Module, x: Tensor, labels: Tensor) -> float:
    """The share of samples x that `critic_classes` gives their label."""
    classes = critic_classes(critic, x)
    return float((classes == labels.to(classes.device)).double().mean())


def split_real(real: Tensor, n: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """User-given real data: its first n samples are the reference, the next n the floor's."""
    if len(real) < 4:
        raise UserError(f"the evaluation data holds {len(real)} samples; give at least 4")
    real = real.to(device, torch.float32)
    n = min(n, len(real) // 2)
    return real[:n], real[n : 2 * n]


FLOOR_DRAWS = 8  # pairs of real sets behind a noise floor: at n = 2000 on 8 Gaussians 3 s of LPs


def noise_floor(
    first: Tensor,
    second: Tensor,
    distance: Callable[[Tensor, Tensor], float],
    *,
    draws: int = FLOOR_DRAWS,
) -> tuple[float, float]:
    """The mean and standard deviation of `distance` between two real sets of the same size.

    `first` and `second` are two independent real sets of n samples each. Each draw splits their
    2n samples at random into two halves of n (a random split of i.i.d. samples is again two
    i.i.d. sets) and measures the distance between the halves; the spread over draws is what a
    single pair can be off by. One draw of W1 on 8 Gaussians at n = 2000 ranges from about 0.03
    to 0.10, so a run's W1 is read against this band, not a single pair. The splits use their own
    seeded generator: the same sets give the same floor.
    """
    if len(first) != len(second):
        raise ValueError(f"the two real sets differ in size: {len(first)} and {len(second)}")
    if draws < 2:
        raise ValueError(f"a spread needs at least 2 draws, got {draws}")
    pool = torch.cat([first, second])
    n = len(first)
    rng = torch.Generator().manual_seed(0)
    values = []
    for _ in range(draws):
        order = torch.randperm(2 * n, generator=rng).to(pool.device)
        values.append(distance(pool[order[:n]], pool[order[n:]]))
    return statistics.fmean(values), statistics.stdev(values)


def protocol(
    *,
    n_real: int,
    n_fake: int,
    given: bool,
    exact_sampler: bool,
    features: FeatureExtractor | None = None,
) -> dict[str, Any]:
    """How an evaluation's numbers were obtained, to be read beside them: the sample sizes, which
    real set the generated samples met (`real`: the run's held-out split, or data the caller
    gave), what the noise floors pair it with (`floor_reference`: training samples, fresh draws
    of an exact sampler, or the given data's second part) and over how many pairs, the feature
    extractor with a digest of its weights and its resize (None for point data), and wgan's
    version. The trainer adds which generator was sampled (`generator`: ema or raw)."""
    if given:
        reference = "the given data's second n samples"
    else:
        reference = "a fresh draw of the exact sampler" if exact_sampler else "the training split"
    extractor = None
    if features is not None:
        extractor = {
            "name": features.name,
            "weights_sha256": features.weights_sha256,
            "resize": features.resize,
        }
    return {
        "n_real": n_real,
        "n_fake": n_fake,
        "real": "the given data's first n samples" if given else "the held-out split",
        "floor_reference": reference,
        "floor_pairs": FLOOR_DRAWS,
        "features": extractor,
        "wgan_version": _version(),
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wgan")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"
