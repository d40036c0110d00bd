from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from wgan.metrics.modes import stacked_modes


def test_modes_and_kl_by_hand() -> None:
    # Modes 123 (twice), 0 and 999 among four samples: p = (1/2, 1/4, 1/4) on three of 1000 modes.
    modes = stacked_modes(np.array([[1, 2, 3], [1, 2, 3], [0, 0, 0], [9, 9, 9]]))
    assert (modes.covered, modes.total) == (3, 1000)
    expected = 0.5 * math.log(0.5 * 1000) + 2 * 0.25 * math.log(0.25 * 1000)
    assert modes.kl == pytest.approx(expected, rel=1e-12)


def test_the_order_of_the_channels_makes_the_mode() -> None:
    assert stacked_modes(np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]])).covered == 3


def test_one_mode_is_log_1000_and_every_mode_once_is_zero() -> None:
    collapsed = stacked_modes(np.full((26, 3), 7))
    assert collapsed.covered == 1 and collapsed.kl == pytest.approx(math.log(1000))
    every = stacked_modes(np.array(list(itertools.product(range(10), repeat=3))))
    assert every.covered == 1000 and every.kl == pytest.approx(0.0, abs=1e-12)


def test_uniform_triples_cover_their_expected_share() -> None:
    # E covered = 1000 (1 - (1 - 1/1000)^n) = 864.7 at n = 2000; its sd is about 10.
    digits = np.random.default_rng(0).integers(0, 10, size=(2000, 3))
    assert abs(stacked_modes(digits).covered - 864.7) < 30


def test_other_depths_and_class_counts() -> None:
    modes = stacked_modes(np.array([[0, 2], [2, 0], [2, 0]]), n_classes=3)
    assert (modes.covered, modes.total) == (2, 9)
    assert modes.kl == pytest.approx(
        math.log(9) + (1 / 3) * math.log(1 / 3) + (2 / 3) * math.log(2 / 3)
    )


@pytest.mark.parametrize(
    "digits",
    [np.array([1, 2, 3]), np.zeros((0, 3), dtype=int), np.array([[0.0, 1.0, 2.0]]),
     np.array([[0, 1, 10]]), np.array([[0, -1, 2]])],
    ids=["1-d", "empty", "floats", "too-large", "negative"],
)  # fmt: skip
def test_bad_digits_are_refused(digits: np.ndarray) -> None:
    with pytest.raises(ValueError, match="digits must"):
        stacked_modes(digits)
