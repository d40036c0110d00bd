from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from wgan.demos.findings import TINY, activation_gradient_norms, kantorovich_potential, run_findings
from wgan.demos.findings.constraints import CONSTRAINTS, weight_constraints
from wgan.demos.findings.experiments import Sizes
from wgan.distances import wasserstein_exact


def test_kantorovich_potential_is_the_exact_dual(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + np.array([1.0, 0.5])
    exact = wasserstein_exact(x, y)
    phi = kantorovich_potential(y, exact.g)
    # Kantorovich-Rubinstein: W1 = E phi(x) - E phi(y) for the c-transform of the optimal dual.
    assert phi(x).mean() - phi(y).mean() == pytest.approx(exact.distance, rel=1e-9)
    a, b = rng.normal(size=(500, 2)) * 3, rng.normal(size=(500, 2)) * 3
    assert (np.abs(phi(a) - phi(b)) <= np.linalg.norm(a - b, axis=1) + 1e-12).all()  # 1-Lipschitz
    h = 1e-6
    z = rng.normal(size=(200, 2)) * 2
    grad = np.stack(
        [(phi(z + h * e) - phi(z - h * e)) / (2 * h) for e in np.eye(2)], axis=1
    )  # central differences
    np.testing.assert_allclose(np.linalg.norm(grad, axis=1), 1.0, atol=1e-5)


def test_activation_gradient_norms_by_hand() -> None:
    # f(x) = 3 relu(2 x); L = mean f(fake) - mean f(real); for positive inputs dL/dh = +-3/n.
    critic = nn.Sequential(nn.Linear(1, 1, bias=False), nn.ReLU(), nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        critic[0].weight.fill_(2.0)
        critic[2].weight.fill_(3.0)
    real, fake = torch.ones(4, 1), torch.ones(5, 1)
    (norm,) = activation_gradient_norms(critic, real, fake)
    assert norm == pytest.approx(3.0 * (1 / 4 + 1 / 5) ** 0.5)


def test_findings_demo_writes_figures_and_numbers(tmp_path: Path) -> None:
    results = run_findings(tmp_path, TINY, command="test")
    for name in ("estimate", "clipping", "optimal_critic", "saturation"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    stored = json.loads((tmp_path / "findings.json").read_text())
    assert stored["command"] == "test" and stored["sizes"]["train_steps"] == TINY.train_steps
    assert set(stored["clipping_norms"]) == {
        "clipping, c = 0.1", "clipping, c = 0.01", "clipping, c = 0.001", "gradient penalty"
    }  # fmt: skip
    assert all(len(v) == TINY.deep_depth for v in stored["clipping_norms"].values())
    assert stored["optimal_critic"]["potential_w1"] == pytest.approx(
        stored["optimal_critic"]["exact_w1"]
    )
    # Each row is labelled from the config that ran it (a mislabelled row once said lambda 0.1).
    assert list(results["estimate"]) == [
        "clipping, c = 0.01; RMSProp 5e-05, batch 64",
        "penalty, lambda = 10; Adam 0.0001, betas (0, 0.9), batch 64",
        "penalty, lambda = 10; Adam 0.001, betas (0.5, 0.9), linear decay, batch 256",
        "penalty, lambda = 1; Adam 0.001, betas (0.5, 0.9), linear decay, batch 256",
    ]
    for curve in results["estimate"].values():
        assert len(curve["steps"]) == TINY.train_steps // TINY.eval_every + 1
    assert set(stored["constraints"]) == {label for label, _ in CONSTRAINTS}
    report = (tmp_path / "findings.md").read_text()
    assert "## 4. Saturation" in report and "## 5. The other weight constraints" in report
    assert (tmp_path / "constraints.png").stat().st_size > 10_000


def test_other_weight_constraints_fail_as_clipping_does() -> None:
    # Part 5 at small sizes (8 layers of 32 units, 60 deep iterations; about 9 s): measured
    # first/last gradient ratios 2.5e-10 (clipping), 3.6e-4 (||W|| <= 1), 6.9e-9 (|g| <= 0.1)
    # against 0.98 for the penalty; estimate / W1 of 21-114 for the loose bounds and weight decay
    # against 0.73 for the penalty. The bounds sit a factor 5 or more from every measured value.
    sizes = Sizes(
        width=32,
        deep_width=32,
        deep_depth=8,
        deep_iters=60,
        batch=64,
        critic_iters=300,
        optimal_n=128,
    )
    results = weight_constraints(sizes)
    penalty = results["gradient penalty, lambda = 10"]
    assert 0.2 < penalty["first_over_last"] < 5
    assert 0.4 < penalty["estimate_over_exact_w1"] < 1.5
    for vanishing in (
        "clipping, c = 0.01",
        "L2-norm clipping, ||W|| <= 1",
        "weight normalisation, |g| <= 0.1",
    ):
        assert results[vanishing]["first_over_last"] < 2e-3, vanishing
    for unbounded in (
        "L2-norm clipping, ||W|| <= 10",
        "weight normalisation, |g| <= 1",
        "L1 weight decay, 0.001",
        "L2 weight decay, 0.001",
    ):
        assert results[unbounded]["estimate_over_exact_w1"] > 5, unbounded
    assert results["L1 weight decay, 0.1"]["correlation_critic_potential"] == 0.0  # a constant
