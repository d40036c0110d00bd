"""The evaluation of point runs: exact W1 to held-out points, its noise floor, the critic's W
estimate and mode coverage.

Distances are in the data's units. A run on standardised points (`data.standardize`) trained its
critic on standardised points, so its estimate is read against `w1_standardized`, the exact W1
between the same two sets standardised.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch
from torch import Tensor, nn

from wgan.data.sources import DataSource
from wgan.evaluation.common import Generate, critic_accuracy, noise_floor, protocol, split_real
from wgan.evaluation.conditional import Conditioning
from wgan.lipschitz import critic_lipschitz_bound
from wgan.metrics.conditional import nearest_modes, neighbour_labels
from wgan.metrics.modes import mode_keys
from wgan.metrics.prdc import RealManifold

ALL_HELD_OUT = 1 << 62  # n that asks a finite source for its whole held-out split


class PointEvaluator:
    """Exact W1 to held-out points, its noise floor, the critic's estimate, precision, recall,
    density and coverage on the points, and mode coverage.

    The noise floor is W1 between two real sets of the same size, what a perfect generator
    would score: its mean and standard deviation over several pairs (`noise_floor`).
    """

    def __init__(self, source: DataSource, device: torch.device, conditional: Conditioning) -> None:
        self.source = source
        self.device = device
        self.conditional = conditional
        self._floors: dict[int, tuple[float, float]] = {}  # of the fixed real sets, by size
        self._manifolds: dict[int, RealManifold] = {}  # the held-out set's k-NN balls, by size

    def __call__(
        self, *, step: int, generate: Generate, critic: nn.Module, n: int, real: Tensor | None
    ) -> dict[str, Any]:
        from wgan.distances import wasserstein

        held_labels = None
        if real is None:
            held = self.source.holdout(n)
            held_labels = self.source.holdout_labels(n)
            if len(held) not in self._floors:
                reference = self.source.reference(len(held))
                self._floors[len(held)] = _w1_floor(reference, held)
            floor, floor_std = self._floors[len(held)]
            if len(held) not in self._manifolds:
                self._manifolds[len(held)] = RealManifold(held)
            manifold = self._manifolds[len(held)]
        else:
            held, reference = split_real(real, n, self.device)
            floor, floor_std = _w1_floor(reference, held)
            manifold = RealManifold(held)
        conditional = self.conditional
        labels = conditional.labels(len(held), held_labels)
        fake = generate(len(held), labels=labels)
        scaler = self.source.scaler
        held_seen, fake_seen = held, fake  # as the critic sees them
        w1_standardized = None
        if scaler is not None:
            held_seen, fake_seen = scaler.to_standard(held), scaler.to_standard(fake)
            w1_standardized = wasserstein(fake_seen.cpu().double(), held_seen.cpu().double())
        result: dict[str, Any] = {
            "step": step,
            "w1": wasserstein(fake.cpu().double(), held.cpu().double()),
            "w1_noise_floor": floor,
            "w1_noise_floor_std": floor_std,
            "w1_standardized": w1_standardized,
            "critic_w_estimate": conditional.critic_estimate(
                critic, held_seen, fake_seen, labels, held_labels=held_labels
            ),
            "critic_lipschitz_bound": critic_lipschitz_bound(critic, self.source.sample_shape),
            **asdict(manifold.prdc(fake)),
            "protocol": protocol(
                n_real=len(held),
                n_fake=len(fake),
                given=real is not None,
                exact_sampler=self.source.n_train is None,
            ),
            **mode_keys(fake, self.source.modes),
        }
        classes = None if labels is None else self._classes(fake, n)
        if conditional.critic_classifies:
            result["critic_test_accuracy"] = self._critic_test_accuracy(critic)
        return result | conditional.result(labels, classes, self.source.n_classes or 0)

    def _critic_test_accuracy(self, critic: nn.Module) -> float | None:
        """A semi-supervised critic's accuracy on the whole held-out split, which it sees
        standardised as it trained (None without held-out labels)."""
        source = self.source
        labels = source.holdout_labels(ALL_HELD_OUT)
        if labels is None:
            return None
        held = source.holdout(len(labels))
        if source.scaler is not None:
            held = source.scaler.to_standard(held)
        return critic_accuracy(critic, held, labels)

    def _classes(self, samples: Tensor, n: int) -> Tensor | None:
        """The classes of samples by the data's classifier: the nearest mode of a labelled
        mixture, else a vote of the nearest of n labelled held-out points; None without labels."""
        source = self.source
        if source.n_classes is None:
            return None
        if source.modes is not None:
            return nearest_modes(samples, source.modes)
        held_labels = source.holdout_labels(n)
        if held_labels is None:
            return None
        return neighbour_labels(samples, source.holdout(n), held_labels)


def _w1_floor(reference: Tensor, held: Tensor) -> tuple[float, float]:
    from wgan.distances import wasserstein

    a, b = reference.cpu().double(), held.cpu().double()
    m = min(len(a), len(b))
    return noise_floor(a[:m], b[:m], wasserstein)
