"""Entropic OT: against POT directly, above the exact value, tending to it as reg -> 0."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from scipy.spatial.distance import cdist

import wgan.distances.sinkhorn as sinkhorn_mod
from wgan.distances import ConvergenceWarning, wasserstein, wasserstein_exact, wasserstein_sinkhorn


def test_matches_pot_sinkhorn(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(80, 2)), rng.normal(size=(60, 2)) + 1
    a, b = rng.random(80), rng.random(60)
    a, b = a / a.sum(), b / b.sum()
    c = cdist(x, y)
    plan = ot.sinkhorn(a, b, c, 0.1, numItermax=10_000, stopThr=1e-12)
    res = wasserstein_sinkhorn(x, y, a, b, reg=0.1)
    assert res.converged
    np.testing.assert_allclose(res.plan, plan, rtol=1e-6, atol=1e-12)
    assert res.distance == pytest.approx(float((plan * c).sum()), rel=1e-8)
    np.testing.assert_allclose(res.plan.sum(1), a, atol=1e-9)
    np.testing.assert_allclose(res.plan.sum(0), b, atol=1e-9)


def test_above_exact_and_converging_to_it(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2)) * 1.5 + 0.5
    for p in (1, 2):
        exact = wasserstein_exact(x, y, p=p).distance
        gaps = []
        for reg in (1.0, 0.1, 0.03):
            res = wasserstein_sinkhorn(x, y, reg=reg, p=p)
            assert res.converged
            # A converged entropic plan is feasible: its cost is at least the optimum.
            assert res.distance >= exact - 1e-9
            gaps.append(res.distance - exact)
        assert gaps == sorted(gaps, reverse=True)
        assert gaps[-1] < 0.02 * exact


def test_log_domain_for_far_apart_clouds(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every point is about 50 from the other cloud: 50 / reg = 250 > 200, so log domain.
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + np.array([50.0, 0.0])
    calls: list[bool] = []
    solve = sinkhorn_mod._solve

    def spy(*args, log_domain: bool):
        calls.append(log_domain)
        return solve(*args, log_domain=log_domain)

    monkeypatch.setattr(sinkhorn_mod, "_solve", spy)
    res = wasserstein_sinkhorn(x, y, reg=0.2)
    assert calls == [True]
    assert res.converged
    exact = wasserstein_exact(x, y).distance
    assert exact - 1e-9 <= res.distance <= exact + 0.05
    # Forced plain scaling still works here (exp(-250) is a normal float) and agrees.
    monkeypatch.setattr(sinkhorn_mod, "_MAX_COST_OVER_REG_PLAIN", 1e9)
    calls.clear()
    assert wasserstein_sinkhorn(x, y, reg=0.2).distance == pytest.approx(res.distance, rel=1e-9)
    assert calls == [False]
    # At 500 apart exp(-C / reg) underflows to 0: the plain iteration breaks down and the
    # log-domain one takes over.
    calls.clear()
    far = wasserstein_sinkhorn(x, y + np.array([450.0, 0.0]), reg=0.2)
    assert calls == [False, True]
    assert far.converged
    far_exact = wasserstein_exact(x, y + np.array([450.0, 0.0])).distance
    assert far_exact - 1e-9 <= far.distance <= far_exact + 0.05


def test_zero_weights_are_dropped(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(10, 2)), rng.normal(size=(8, 2))
    a = np.r_[np.zeros(3), np.ones(7)]
    res = wasserstein_sinkhorn(x, y, a, reg=0.5)
    ref = wasserstein_sinkhorn(x[3:], y, reg=0.5)
    assert res.distance == pytest.approx(ref.distance, rel=1e-12)
    assert (res.plan[:3] == 0).all()


def test_non_convergence_is_reported(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    with pytest.warns(ConvergenceWarning, match="Sinkhorn did not reach"):
        res = wasserstein_sinkhorn(x, y, reg=0.01, max_iter=2)
    assert not res.converged


@pytest.mark.parametrize("reg", [None, 0.0, -1.0, np.nan, np.inf, "a"])
def test_reg_is_required_and_positive(reg: object) -> None:
    x = np.zeros((2, 2))
    with pytest.raises(ValueError, match="reg"):
        wasserstein(x, x, method="sinkhorn", reg=reg)
