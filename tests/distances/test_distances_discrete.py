"""KL, JS and TV on histograms: known values, scipy oracles, properties and bad input."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

from wgan.distances import js, kl, tv

LOG2 = math.log(2.0)


def test_known_values() -> None:
    p = [0.5, 0.5]
    q = [0.25, 0.75]
    assert kl(p, q) == pytest.approx(0.5 * math.log(2.0) + 0.5 * math.log(2.0 / 3.0), abs=1e-15)
    assert tv(p, q) == pytest.approx(0.25, abs=1e-15)
    # m = (p + q) / 2 = (0.375, 0.625)
    expected_js = 0.5 * (0.5 * math.log(0.5 / 0.375) + 0.5 * math.log(0.5 / 0.625)) + 0.5 * (
        0.25 * math.log(0.25 / 0.375) + 0.75 * math.log(0.75 / 0.625)
    )
    assert js(p, q) == pytest.approx(expected_js, abs=1e-15)


def test_histograms_are_normalised_first() -> None:
    assert kl([1, 1], [1, 3]) == pytest.approx(kl([0.5, 0.5], [0.25, 0.75]), abs=1e-15)
    assert js([10, 30], [7, 7]) == pytest.approx(js([0.25, 0.75], [0.5, 0.5]), abs=1e-15)
    assert tv([2, 0, 2], [0, 5, 5]) == pytest.approx(tv([0.5, 0, 0.5], [0, 0.5, 0.5]), abs=1e-15)


def test_kl_is_infinite_where_q_has_no_mass_under_p() -> None:
    assert kl([0.5, 0.5], [1.0, 0.0]) == math.inf
    # The other way round is finite: 0 log 0 = 0.
    assert kl([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2.0), abs=1e-15)


def test_disjoint_supports_reach_the_bounds() -> None:
    p, q = [1, 2, 0, 0], [0, 0, 3, 1]
    assert js(p, q) == LOG2
    assert tv(p, q) == 1.0
    assert kl(p, q) == math.inf
    assert js(p, q, base=2) == pytest.approx(1.0, abs=1e-15)


def test_tv_is_the_supremum_over_events(rng: np.random.Generator) -> None:
    # Brute force over all 2^k events: sup |P(A) - Q(A)| equals half the L1 distance.
    for _ in range(20):
        k = int(rng.integers(1, 9))
        p = rng.random(k) * (rng.random(k) < 0.8)
        q = rng.random(k)
        pn, qn = p / p.sum() if p.sum() > 0 else None, q / q.sum()
        if pn is None:
            continue
        best = 0.0
        for mask in range(1 << k):
            sel = np.array([(mask >> i) & 1 for i in range(k)], dtype=bool)
            best = max(best, abs(pn[sel].sum() - qn[sel].sum()))
        assert tv(p, q) == pytest.approx(best, abs=1e-14)
        assert tv(p, q) == pytest.approx(0.5 * np.abs(pn - qn).sum(), abs=1e-15)


def test_against_scipy(rng: np.random.Generator) -> None:
    for k in (2, 5, 50, 1000):
        p = rng.random(k)
        q = rng.random(k) + 1e-3
        assert kl(p, q) == pytest.approx(entropy(p, q), rel=1e-12)
        assert kl(p, q, base=2) == pytest.approx(entropy(p, q, base=2), rel=1e-12)
        # scipy's jensenshannon is the distance: the square root of the divergence.
        assert js(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-9, abs=1e-15)
        assert js(p, q, base=2) == pytest.approx(jensenshannon(p, q, base=2) ** 2, rel=1e-9)


def test_two_dimensional_histograms_and_torch(rng: np.random.Generator) -> None:
    p = rng.random((4, 5))
    q = rng.random((4, 5))
    assert kl(p, q) == pytest.approx(kl(p.ravel(), q.ravel()), abs=0)
    assert js(torch.tensor(p), torch.tensor(q, requires_grad=True)) == pytest.approx(
        js(p, q), abs=0
    )
    assert tv(torch.tensor(p, dtype=torch.float32), q) == pytest.approx(tv(p, q), abs=1e-7)


hist = arrays(
    np.float64,
    st.integers(1, 12),
    elements=st.floats(0.0, 1e3, allow_nan=False, allow_infinity=False),
).filter(lambda a: a.sum() > 0)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hist, st.data())
def test_properties(p: np.ndarray, data: st.DataObject) -> None:
    q = data.draw(
        arrays(np.float64, p.shape, elements=st.floats(0.0, 1e3)).filter(lambda a: a.sum() > 0)
    )
    assert kl(p, p) == pytest.approx(0.0, abs=1e-12)
    assert js(p, p) == pytest.approx(0.0, abs=1e-12)
    assert tv(p, p) == 0.0
    assert js(p, q) == pytest.approx(js(q, p), abs=1e-12)
    assert tv(p, q) == pytest.approx(tv(q, p), abs=1e-15)
    assert 0.0 <= js(p, q) <= LOG2
    assert 0.0 <= tv(p, q) <= 1.0
    assert kl(p, q) >= 0.0
    # Pinsker: TV <= sqrt(KL / 2); and JS <= TV log 2 (Lin 1991).
    assert tv(p, q) <= math.sqrt(kl(p, q) / 2) + 1e-9
    assert js(p, q) <= tv(p, q) * LOG2 + 1e-12


@pytest.mark.parametrize("fn", [kl, js, tv])
@pytest.mark.parametrize(
    ("p", "q", "message"),
    [
        ([0.5, 0.5], [0.2, 0.3, 0.5], "same shape"),
        ([[0.5, 0.5]], [0.5, 0.5], "same shape"),
        ([], [], "empty"),
        ([0.5, np.nan], [0.5, 0.5], "p has a NaN"),
        ([0.5, 0.5], [np.inf, 0.5], "q has an infinite"),
        ([-0.1, 1.1], [0.5, 0.5], "p has a negative"),
        ([0.5, 0.5], [0.0, 0.0], "q is all zero"),
        (["a", "b"], [0.5, 0.5], "p must be numeric"),
    ],
)
def test_bad_input(fn: Callable[..., float], p: object, q: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fn(p, q)


@pytest.mark.parametrize("base", [0, -2, 1, math.inf, math.nan])
def test_bad_base(base: float) -> None:
    with pytest.raises(ValueError, match="base"):
        kl([0.5, 0.5], [0.2, 0.8], base=base)
    with pytest.raises(ValueError, match="base"):
        js([0.5, 0.5], [0.2, 0.8], base=base)
