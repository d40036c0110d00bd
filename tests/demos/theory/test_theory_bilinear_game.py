"""Claim 4: min_x max_y xy under gradient steps, against the linear maps in closed form."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wgan.demos.theory.bilinear_game import METHODS, distance_to_equilibrium, game_field, play

ETA = 0.1


def _closed_form(matrix: np.ndarray, steps: int, start: tuple[float, float]) -> np.ndarray:
    return np.linalg.matrix_power(matrix, steps) @ np.array(start)


def test_field_is_descent_for_x_and_ascent_for_y() -> None:
    z = torch.tensor([0.3, -1.7], dtype=torch.float64)
    torch.testing.assert_close(game_field(z), torch.tensor([-1.7, -0.3], dtype=torch.float64))


@pytest.mark.parametrize(
    ("method", "matrix"),
    [
        ("simultaneous", np.array([[1.0, -ETA], [ETA, 1.0]])),
        ("alternating", np.array([[1.0, -ETA], [ETA, 1.0 - ETA**2]])),
        ("extragradient", np.array([[1.0 - ETA**2, -ETA], [ETA, 1.0 - ETA**2]])),
    ],
)
def test_linear_methods_match_their_matrices(method: str, matrix: np.ndarray) -> None:
    traj = play(method, steps=200, eta=ETA, start=(0.6, -0.8))
    for t in (1, 17, 200):
        np.testing.assert_allclose(traj[t], _closed_form(matrix, t, (0.6, -0.8)), rtol=1e-11)


def test_simultaneous_spirals_out_at_the_predicted_rate() -> None:
    d = distance_to_equilibrium(play("simultaneous", steps=300, eta=ETA))
    np.testing.assert_allclose(d, (1 + ETA**2) ** (np.arange(301) / 2), rtol=1e-11)
    assert d[-1] > 4.0  # it does not converge, for any step size


def test_alternating_cycles_without_converging() -> None:
    traj = play("alternating", steps=2000, eta=ETA)
    x, y = traj[:, 0], traj[:, 1]
    energy = x**2 + y**2 - ETA * x * y
    np.testing.assert_allclose(energy, energy[0], rtol=0, atol=1e-11)
    d = distance_to_equilibrium(traj)
    assert d.min() > 0.9 and d.max() < 1.1


def test_extragradient_and_optimistic_converge() -> None:
    eg = distance_to_equilibrium(play("extragradient", steps=500, eta=ETA))
    np.testing.assert_allclose(eg[-1], (1 - ETA**2 + ETA**4) ** 250, rtol=1e-10)
    og = distance_to_equilibrium(play("optimistic", steps=1000, eta=ETA))
    assert og[-1] < 0.01 and og[500] < 0.1


def test_every_method_is_registered() -> None:
    assert set(METHODS) == {"simultaneous", "alternating", "extragradient", "optimistic"}
