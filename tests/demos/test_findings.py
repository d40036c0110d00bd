from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from wgan.demos.findings import TINY, activation_gradient_norms, kantorovich_potential, run_findings
from wgan.demos.findings.constraints import CONSTRAINTS
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
