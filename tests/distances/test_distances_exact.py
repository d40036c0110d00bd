"""Exact W_p: the primal and dual LPs solved apart by scipy, POT, duality and properties."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
import torch
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.spatial.distance import cdist

import wgan.distances.exact as exact_mod
from wgan.distances import ConvergenceWarning, wasserstein, wasserstein_exact


def _cost(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    # Independent of the library: pairwise differences by broadcasting.
    return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)) ** p


def _linprog_primal(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    n, m = c.shape
    rows = np.concatenate([np.repeat(np.arange(n), m), n + np.tile(np.arange(m), n)])
    cols = np.concatenate([np.arange(n * m), np.arange(n * m)])
    a_eq = coo_matrix((np.ones(2 * n * m), (rows, cols)), shape=(n + m, n * m))
    res = linprog(c.ravel(), A_eq=a_eq, b_eq=np.concatenate([a, b]), bounds=(0, None))
    assert res.status == 0
    return float(res.fun)


def _linprog_dual(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    # max a.f + b.g  subject to  f_i + g_j <= c_ij, f and g free.
    n, m = c.shape
    k = np.arange(n * m)
    rows = np.concatenate([k, k])
    cols = np.concatenate([np.repeat(np.arange(n), m), n + np.tile(np.arange(m), n)])
    a_ub = coo_matrix((np.ones(2 * n * m), (rows, cols)), shape=(n * m, n + m))
    res = linprog(
        -np.concatenate([a, b]), A_ub=a_ub, b_ub=c.ravel(), bounds=(None, None), method="highs"
    )
    assert res.status == 0
    return float(-res.fun)


def _case(rng: np.random.Generator, kind: str) -> tuple[np.ndarray, ...]:
    n, m, d = int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 5))
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(m, d)) + 0.5
    a, b = rng.random(n), rng.random(m)
    if kind == "duplicates":  # repeated points inside and across the clouds
        x = x[rng.integers(0, max(1, n // 2), n)]
        y[: min(n, m) // 2] = x[: min(n, m) // 2]
    elif kind == "ties":  # integer grid: many equal costs, degenerate LPs
        x = rng.integers(0, 3, (n, d)).astype(float)
        y = rng.integers(0, 3, (m, d)).astype(float)
    elif kind == "zero_weights":
        a[rng.random(n) < 0.3] = 0.0
        b[rng.random(m) < 0.3] = 0.0
        a[0] = max(a[0], 0.1)
        b[-1] = max(b[-1], 0.1)
    return x, y, a / a.sum(), b / b.sum()


@pytest.mark.parametrize("kind", ["generic", "duplicates", "ties", "zero_weights"])
@pytest.mark.parametrize("p", [1.0, 2.0, 1.5])
def test_primal_and_dual_match_linprog(rng: np.random.Generator, kind: str, p: float) -> None:
    for _ in range(6):
        x, y, a, b = _case(rng, kind)
        c = _cost(x, y, p)
        res = wasserstein_exact(x, y, a, b, p=p)
        primal, dual = _linprog_primal(a, b, c), _linprog_dual(a, b, c)
        assert res.converged
        assert res.cost == pytest.approx(primal, rel=1e-9, abs=1e-12)
        assert res.cost == pytest.approx(dual, rel=1e-9, abs=1e-12)
        assert res.distance == pytest.approx(primal ** (1 / p), rel=1e-9, abs=1e-12)
        # The plan is feasible and attains the cost.
        assert (res.plan >= 0).all()
        np.testing.assert_allclose(res.plan.sum(1), a, rtol=0, atol=1e-12)
        np.testing.assert_allclose(res.plan.sum(0), b, rtol=0, atol=1e-12)
        assert float((res.plan * c).sum()) == pytest.approx(res.cost, rel=1e-12, abs=1e-14)
        # The potentials are dual feasible and their value equals the primal one.
        scale = max(1.0, float(c.max()))
        assert (res.f[:, None] + res.g[None, :] <= c + 1e-10 * scale).all()
        assert float(a @ res.f + b @ res.g) == pytest.approx(res.cost, rel=1e-9, abs=1e-12)
        # Complementary slackness: mass moves only along tight constraints.
        slack = c - res.f[:, None] - res.g[None, :]
        assert float((res.plan * slack).sum()) == pytest.approx(0.0, abs=1e-10 * scale)
        # The float-only path agrees.
        assert wasserstein(x, y, a, b, p=p) == pytest.approx(res.distance, rel=1e-12, abs=1e-14)


def test_dual_potentials_give_an_optimal_1_lipschitz_critic(rng: np.random.Generator) -> None:
    # Kantorovich-Rubinstein: W1 = sup over 1-Lipschitz phi of E_P phi - E_Q phi. From the LP
    # potentials, phi(z) = min_j ||z - y_j|| - g_j is 1-Lipschitz and attains the supremum.
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + np.array([1.0, 0.5])
    a, b = rng.random(40), rng.random(30)
    a, b = a / a.sum(), b / b.sum()
    res = wasserstein_exact(x, y, a, b)

    def phi(z: np.ndarray) -> np.ndarray:
        return (cdist(z, y) - res.g[None, :]).min(axis=1)

    assert float(a @ phi(x) - b @ phi(y)) == pytest.approx(res.distance, rel=1e-10)
    z1, z2 = rng.normal(size=(500, 2)) * 3, rng.normal(size=(500, 2)) * 3
    ratio = np.abs(phi(z1) - phi(z2)) / np.linalg.norm(z1 - z2, axis=1)
    assert ratio.max() <= 1.0 + 1e-12


def test_matches_pot_on_larger_clouds(rng: np.random.Generator) -> None:
    for d in (2, 3, 10):
        x, y = rng.normal(size=(300, d)), rng.uniform(-1, 2, size=(250, d))
        a, b = rng.random(300), rng.random(250)
        a, b = a / a.sum(), b / b.sum()
        expected = ot.emd2(a, b, cdist(x, y), numItermax=10**7)
        assert wasserstein(x, y, a, b) == pytest.approx(expected, rel=1e-10)
        expected2 = ot.emd2(a, b, cdist(x, y, "sqeuclidean"), numItermax=10**7) ** 0.5
        assert wasserstein(x, y, a, b, p=2) == pytest.approx(expected2, rel=1e-10)


def test_known_values() -> None:
    assert wasserstein([[0.0, 0.0], [1.0, 0.0]], [[0.0, 3.0], [1.0, 3.0]]) == 3.0
    # Unequal sizes: 2/3 of the mass moves a distance 1.
    assert wasserstein([[0.0, 0.0]], [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]) == pytest.approx(2 / 3)
    assert wasserstein([[0.0, 0.0]], [[3.0, 4.0]], p=2) == pytest.approx(5.0)


def test_translation_rotation_symmetry_and_triangle(rng: np.random.Generator) -> None:
    x = rng.normal(size=(60, 3))
    t = np.array([0.3, -1.2, 2.0])
    for p in (1, 2):
        # A translated copy: W_p = |t| exactly (|E(X - Y)| <= W_1 <= W_p <= |t|).
        assert wasserstein(x, x + t, p=p) == pytest.approx(np.linalg.norm(t), rel=1e-12)
    y, z = rng.normal(size=(50, 3)) * 2, rng.standard_t(4, size=(40, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    assert wasserstein(x, y) == pytest.approx(wasserstein(y, x), rel=1e-12)
    assert wasserstein(x @ q, y @ q) == pytest.approx(wasserstein(x, y), rel=1e-10)
    assert wasserstein(x, x) == 0.0
    for p in (1, 2, 3):
        assert wasserstein(x, z, p=p) <= wasserstein(x, y, p=p) + wasserstein(y, z, p=p) + 1e-12


def test_one_dimensional_input_uses_the_closed_form_and_agrees(rng: np.random.Generator) -> None:
    u, v = rng.normal(size=80), rng.normal(size=70)
    wu, wv = rng.random(80), rng.random(70)
    lp = wasserstein_exact(u, v, wu, wv, p=2).distance
    assert wasserstein(u, v, wu, wv, p=2) == pytest.approx(lp, rel=1e-10)
    assert wasserstein(u[:, None], v[:, None]) == pytest.approx(
        wasserstein_exact(u, v).distance, rel=1e-10
    )


def test_lazy_solver_path_agrees(rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = rng.normal(size=(150, 2)), rng.normal(size=(120, 2))
    a = rng.random(150)
    dense = [wasserstein(x, y, a, p=p) for p in (1, 2)]
    monkeypatch.setattr(exact_mod, "_DENSE_MAX_ENTRIES", 100)
    lazy = [wasserstein(x, y, a, p=p) for p in (1, 2)]
    np.testing.assert_allclose(lazy, dense, rtol=1e-10)


def test_iteration_limit_is_reported(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(100, 2)), rng.normal(size=(100, 2))
    with pytest.warns(ConvergenceWarning, match="iteration limit"):
        res = wasserstein_exact(x, y, max_iter=5)
    assert not res.converged
    # Stopped early, POT's simplex leaves mass on its artificial arcs: the plan is incomplete.
    assert res.plan.sum() < 1.0 - 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wasserstein_exact(x, y).converged


def test_default_iteration_limit_handles_the_size_that_pot_default_does_not(
    rng: np.random.Generator,
) -> None:
    # n = m = 4,000 needs about 115,000 pivots, more than POT's default of 100,000.
    assert exact_mod.default_max_iter(4000, 4000) >= 50 * 8000
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wasserstein_exact(x, y).converged


def test_torch_tensors(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(20, 2))
    ref = wasserstein(x, y)
    tx = torch.tensor(x, requires_grad=True)
    assert wasserstein(tx, torch.tensor(y)) == ref
    assert wasserstein(tx.float(), torch.tensor(y).float()) == pytest.approx(ref, rel=1e-6)
    res = wasserstein_exact(tx, torch.tensor(y), torch.ones(30), torch.ones(20))
    assert res.distance == pytest.approx(ref, rel=1e-12)
    bf16 = wasserstein(tx.bfloat16(), torch.tensor(y).bfloat16())
    assert bf16 == pytest.approx(ref, rel=2e-2)
    with pytest.raises(ValueError, match="x must be real"):
        wasserstein(torch.zeros(3, 2, dtype=torch.complex64), y)


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "message"),
    [
        (np.zeros((0, 2)), np.zeros((3, 2)), {}, "x is empty"),
        (np.zeros((3, 2)), np.zeros((3, 3)), {}, "same dimension"),
        (np.zeros((3, 2, 1)), np.zeros((3, 2)), {}, r"x must be an \(n, d\) array"),
        ([[0.0, np.nan]], [[0.0, 0.0]], {}, r"x has a NaN value at index \(0, 1\)"),
        ([[0.0, 0.0]], [[0.0, -np.inf]], {}, "y has an infinite"),
        (np.zeros((3, 2)), np.zeros((2, 2)), {"a": [1, 1]}, r"a must have shape \(3,\)"),
        (np.zeros((3, 2)), np.zeros((2, 2)), {"b": [1, -1]}, "b has a negative"),
        (np.zeros((3, 2)), np.zeros((2, 2)), {"a": [0, 0, 0]}, "a is all zero"),
        (np.zeros((3, 2)), np.zeros((2, 2)), {"p": 0}, "p must be"),
    ],
)
def test_bad_input(x: object, y: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wasserstein(x, y, **kwargs)
    with pytest.raises(ValueError, match=message):
        wasserstein_exact(x, y, **kwargs)


def test_bad_method_and_options() -> None:
    x = np.zeros((2, 2))
    with pytest.raises(ValueError, match="method must be one of"):
        wasserstein(x, x, method="emd")
    with pytest.raises(ValueError, match="reg applies to method='sinkhorn' only"):
        wasserstein(x, x, reg=0.1)
    with pytest.raises(ValueError, match="n_projections applies to method='sliced' only"):
        wasserstein(x, x, n_projections=10)
    with pytest.raises(ValueError, match="max_iter"):
        wasserstein_exact(x, x, max_iter=0)
