"""The auxiliary losses of AC-GAN, InfoGAN and CycleGAN against their formulas. Each takes
(prediction, target) and returns a loss to minimise; InfoGAN's is -L_I, the bound negated."""

from __future__ import annotations

import math

import pytest
import torch

from wgan.losses import (
    auxiliary_classifier_loss,
    cycle_consistency_loss,
    identity_loss,
    mutual_information_loss,
)


def test_class_loss_is_the_mean_negative_log_probability_of_the_label() -> None:
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 2])
    p0 = math.exp(2.0) / (math.exp(2.0) + 1.0 + math.exp(-1.0))
    expected = (-math.log(p0) + math.log(3.0)) / 2
    assert float(auxiliary_classifier_loss(logits, labels)) == pytest.approx(expected)


def test_categorical_bound_runs_from_zero_to_log_k() -> None:
    k, n = 10, 64
    codes = torch.arange(n) % k
    sure = 50.0 * torch.nn.functional.one_hot(codes, k).float()  # Q names each code for sure
    blind = torch.zeros(n, k)  # Q knows nothing: the uniform prior
    assert float(-mutual_information_loss(sure, None, codes, None)) == pytest.approx(
        math.log(k), abs=1e-6
    )
    assert float(-mutual_information_loss(blind, None, codes, None)) == pytest.approx(0.0, abs=1e-6)
    wrong = 50.0 * torch.nn.functional.one_hot((codes + 1) % k, k).float()
    assert float(-mutual_information_loss(wrong, None, codes, None)) < -40.0


def test_continuous_bound_is_entropy_plus_gaussian_log_likelihood() -> None:
    generator = torch.Generator().manual_seed(0)
    u = 2.0 * torch.rand(1000, 2, generator=generator) - 1.0
    means = u + 0.3 * torch.randn(1000, 2, generator=generator)
    gaussian = torch.distributions.Normal(means.double(), 1.0)
    expected = 2 * math.log(2.0) + float(gaussian.log_prob(u.double()).sum(1).mean())
    got = -mutual_information_loss(None, means, None, u)
    assert float(got) == pytest.approx(expected, rel=1e-5)
    # The best Q (means = u) stays below 0: the price of a fixed unit variance.
    best = float(-mutual_information_loss(None, u, None, u))
    assert best == pytest.approx(2 * (math.log(2.0) - 0.5 * math.log(2 * math.pi)))


def test_bound_of_both_parts_is_their_sum_and_needs_one() -> None:
    logits, codes = torch.randn(8, 4), torch.arange(8) % 4
    means, u = torch.randn(8, 3), torch.rand(8, 3)
    both = -mutual_information_loss(logits, means, codes, u)
    parts = -mutual_information_loss(logits, None, codes, None)
    parts = parts + -mutual_information_loss(None, means, None, u)
    torch.testing.assert_close(both, parts)
    with pytest.raises(ValueError, match="categorical part"):
        mutual_information_loss(None, None, None, None)


def test_cycle_and_identity_losses_are_mean_absolute_differences() -> None:
    a, b = torch.zeros(2, 3), torch.ones(4, 1, 2, 2)
    a_back = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 3.0]])  # mean |.| = 5 / 6
    b_back = b + 0.5
    expected = 5.0 / 6.0 + 0.5
    assert float(cycle_consistency_loss(a_back, a, b_back, b)) == pytest.approx(expected)
    assert float(identity_loss(a_back, a, b_back, b)) == pytest.approx(expected)
    assert float(cycle_consistency_loss(a, a, b, b)) == 0.0
