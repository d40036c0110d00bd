"""wasserstein_1d: scipy and POT oracles, the LP, ties and duplicates, properties, bad input."""

from __future__ import annotations

import numpy as np
import ot
import pytest
import torch
from scipy.stats import wasserstein_distance

from wgan.distances import wasserstein_1d, wasserstein_exact


def _random_case(rng: np.random.Generator, ties: bool) -> tuple[np.ndarray, ...]:
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    if ties:  # few distinct values, shared between the samples
        u = rng.integers(0, 5, n).astype(float)
        v = rng.integers(0, 5, m).astype(float)
    else:
        u = rng.normal(size=n)
        v = rng.normal(1.0, 2.0, size=m)
    wu = rng.random(n) * (rng.random(n) < 0.8)
    wv = rng.random(m)
    if wu.sum() == 0:
        wu[0] = 1.0
    return u, v, wu, wv


@pytest.mark.parametrize("ties", [False, True])
def test_p1_matches_scipy_with_weights_ties_and_duplicates(
    rng: np.random.Generator, ties: bool
) -> None:
    for _ in range(100):
        u, v, wu, wv = _random_case(rng, ties)
        ours = wasserstein_1d(u, v, wu, wv)
        assert ours == pytest.approx(wasserstein_distance(u, v, wu, wv), rel=1e-12, abs=1e-14)
        assert wasserstein_1d(u, v) == pytest.approx(
            wasserstein_distance(u, v), rel=1e-12, abs=1e-14
        )


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_matches_pot(rng: np.random.Generator, p: float) -> None:
    for _ in range(50):
        u, v, wu, wv = _random_case(rng, ties=bool(rng.integers(2)))
        expected = ot.wasserstein_1d(u, v, wu / wu.sum(), wv / wv.sum(), p=p) ** (1 / p)
        assert wasserstein_1d(u, v, wu, wv, p=p) == pytest.approx(expected, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("p", [1.0, 2.0, 2.5])
def test_matches_the_linear_program(rng: np.random.Generator, p: float) -> None:
    for _ in range(30):
        u, v, wu, wv = _random_case(rng, ties=bool(rng.integers(2)))
        lp = wasserstein_exact(u[:, None], v[:, None], wu, wv, p=p).distance
        assert wasserstein_1d(u, v, wu, wv, p=p) == pytest.approx(lp, rel=1e-10, abs=1e-13)


def test_equal_size_shortcut_agrees_with_general_path(rng: np.random.Generator) -> None:
    u, v = rng.normal(size=500), rng.exponential(size=500)
    ones = np.ones(500)
    for p in (1, 2, 3):
        assert wasserstein_1d(u, v, p=p) == pytest.approx(
            wasserstein_1d(u, v, ones, ones, p=p), rel=1e-12
        )


def test_known_values() -> None:
    assert wasserstein_1d([0.0], [3.0]) == 3.0
    assert wasserstein_1d([0, 1, 3], [5, 6, 8]) == pytest.approx(5.0)
    # Half the mass moves by 1: W1 = 0.5, W2 = sqrt(0.5).
    assert wasserstein_1d([0, 1], [1, 1]) == pytest.approx(0.5)
    assert wasserstein_1d([0, 1], [1, 1], p=2) == pytest.approx(np.sqrt(0.5))
    # Weights: all the mass of u sits at 2.
    assert wasserstein_1d([0, 2], [4], [0, 1]) == pytest.approx(2.0)


def test_properties(rng: np.random.Generator) -> None:
    u, v, w = rng.normal(size=300), rng.normal(size=200), rng.standard_t(3, size=250)
    assert wasserstein_1d(u, u) == 0.0
    assert wasserstein_1d(u, v) == pytest.approx(wasserstein_1d(v, u), rel=1e-13)
    for p in (1, 2):
        assert (
            wasserstein_1d(u, w, p=p)
            <= wasserstein_1d(u, v, p=p) + wasserstein_1d(v, w, p=p) + 1e-12
        )
        assert wasserstein_1d(u, u + 2.5, p=p) == pytest.approx(2.5, rel=1e-12)
    # W_p is non-decreasing in p.
    assert wasserstein_1d(u, v, p=1) <= wasserstein_1d(u, v, p=2) <= wasserstein_1d(u, v, p=4)
    # Scaling.
    assert wasserstein_1d(3 * u, 3 * v) == pytest.approx(3 * wasserstein_1d(u, v), rel=1e-12)


def test_torch_and_column_vectors(rng: np.random.Generator) -> None:
    u, v = rng.normal(size=50), rng.normal(size=60)
    ref = wasserstein_1d(u, v)
    assert wasserstein_1d(torch.tensor(u, requires_grad=True), torch.tensor(v)) == ref
    assert wasserstein_1d(u[:, None], v[:, None]) == ref


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([], [1.0]), {}, "u is empty"),
        (([1.0], np.zeros((2, 2))), {}, "v must be a 1-D"),
        (([1.0, np.nan], [1.0]), {}, "u has a NaN value at index 1"),
        (([1.0], [np.inf]), {}, "v has an infinite"),
        (([1.0, 2.0], [1.0], [1.0]), {}, r"u_weights must have shape \(2,\)"),
        (([1.0, 2.0], [1.0], [1.0, -1.0]), {}, "u_weights has a negative"),
        (([1.0, 2.0], [1.0], None, [0.0]), {}, "v_weights is all zero"),
        (([1.0, 2.0], [1.0], [1.0, np.nan]), {}, "u_weights has a NaN"),
        (([1.0], [2.0]), {"p": 0.5}, "p must be"),
        (([1.0], [2.0]), {"p": np.inf}, "p must be"),
    ],
)
def test_bad_input(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wasserstein_1d(*args, **kwargs)
