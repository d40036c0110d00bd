"""Label accuracy, code-class agreement and translation errors against brute force and by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from wgan.data.toy import ToyDistribution
from wgan.metrics.conditional import matched_accuracy, nearest_modes, neighbour_labels
from wgan.metrics.translation import mean_absolute_error, unpaired_baseline


def _brute_force(codes: np.ndarray, classes: np.ndarray, k: int) -> float:
    return max(
        float(np.mean(np.asarray(perm)[codes] == classes))
        for perm in itertools.permutations(range(k))
    )


def test_matched_accuracy_is_the_best_renaming(rng: np.random.Generator) -> None:
    for _ in range(20):
        k = int(rng.integers(2, 6))
        codes = rng.integers(0, k, size=40)
        classes = np.where(rng.random(40) < 0.6, (codes + 1) % k, rng.integers(0, k, size=40))
        got = matched_accuracy(codes, classes, n_codes=k, n_classes=k)
        assert got == pytest.approx(_brute_force(codes, classes, k))


def test_matched_accuracy_of_renamed_and_independent_labels(rng: np.random.Generator) -> None:
    classes = rng.integers(0, 10, size=5000)
    renamed = rng.permutation(10)[classes]
    assert matched_accuracy(renamed, classes, n_codes=10, n_classes=10) == 1.0
    independent = rng.integers(0, 10, size=5000)
    assert matched_accuracy(independent, classes, n_codes=10, n_classes=10) < 0.15
    # More codes than classes: each class takes its best code, the rest count as wrong.
    assert matched_accuracy([0, 1, 2, 3], [0, 0, 1, 1], n_codes=4, n_classes=2) == 0.5


@pytest.mark.parametrize(
    ("codes", "classes"), [([0, 1], [0]), ([], []), ([0, 5], [0, 1]), ([0, -1], [0, 1])]
)
def test_matched_accuracy_refuses_bad_input(codes: list[int], classes: list[int]) -> None:
    with pytest.raises(ValueError):
        matched_accuracy(codes, classes, n_codes=3, n_classes=3)


def test_nearest_mode_recovers_the_mixture_labels() -> None:
    toy = ToyDistribution("8gaussians")
    assert toy.modes is not None
    points, labels = toy.sample_labelled(2000, torch.Generator().manual_seed(0))
    assert labels is not None
    assert torch.equal(nearest_modes(points, toy.modes), labels)


def test_neighbour_vote() -> None:
    reference = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0]])
    labels = torch.tensor([2, 2, 0, 1, 1])
    samples = torch.tensor([[0.05, 0.0], [4.9, 5.0]])
    assert neighbour_labels(samples, reference, labels, k=3).tolist() == [2, 1]
    assert neighbour_labels(samples, reference, labels, k=1).tolist() == [2, 1]


def test_translation_errors_by_hand() -> None:
    truth = torch.tensor([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]])
    assert mean_absolute_error(truth + 0.5, truth) == pytest.approx(0.5)
    # Each truth row against the previous row of the target set: |0-3|, |1-0|, |3-1|.
    assert unpaired_baseline(truth, truth) == pytest.approx((3 + 1 + 2) / 3)
    with pytest.raises(ValueError, match="differ"):
        mean_absolute_error(truth, truth[:2])
