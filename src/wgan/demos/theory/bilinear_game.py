r"""Claim 4: the game min_x max_y x y, played by gradient steps.

The only equilibrium is (0, 0). With the vector field F(x, y) = (df/dx, -df/dy) = (y, -x) and
step size eta, one step of each method is a linear map of z = (x, y):

- simultaneous gradient descent-ascent, z' = z - eta F(z): the matrix [[1, -eta], [eta, 1]], whose
  eigenvalues 1 +- i eta have modulus sqrt(1 + eta^2) > 1: it spirals outwards, |z_t| =
  (1 + eta^2)^(t/2) |z_0| exactly;
- alternating, x' = x - eta y then y' = y + eta x': the matrix [[1, -eta], [eta, 1 - eta^2]] with
  determinant 1 and, for eta < 2, eigenvalues on the unit circle: it cycles, keeping
  x^2 + y^2 - eta x y constant, neither converging nor diverging;
- extragradient, z' = z - eta F(z - eta F(z)): the matrix (1 - eta^2) I - eta J with modulus
  sqrt(1 - eta^2 + eta^4) < 1 for 0 < eta < 1: it converges linearly;
- optimistic gradient, z_{t+1} = z_t - 2 eta F(z_t) + eta F(z_{t-1}): converges for small eta.

The gradients are computed by autograd on f(x, y) = x y, as a training loop would.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from wgan.distances._checks import FloatArray

__all__ = ["METHODS", "distance_to_equilibrium", "game_field", "play"]


def _payoff(z: Tensor) -> Tensor:
    return z[0] * z[1]


def game_field(z: Tensor) -> Tensor:
    """F(x, y) = (df/dx, -df/dy) for f(x, y) = x y, by autograd: descent for x, ascent for y."""
    z = z.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(_payoff(z), z)
    return torch.stack([grad[0], -grad[1]])


Step = Callable[[Tensor, Tensor, float], tuple[Tensor, Tensor]]
# A step maps (z_t, F(z_{t-1}), eta) to (z_{t+1}, F(z_t)); only the optimistic method uses the
# previous field, the others ignore it.


def _simultaneous(z: Tensor, _prev: Tensor, eta: float) -> tuple[Tensor, Tensor]:
    field = game_field(z)
    return z - eta * field, field


def _alternating(z: Tensor, _prev: Tensor, eta: float) -> tuple[Tensor, Tensor]:
    field = game_field(z)
    x = z[0] - eta * field[0]  # x moves first; y then responds to the new x
    y = z[1] - eta * game_field(torch.stack([x, z[1]]))[1]
    return torch.stack([x, y]), field


def _extragradient(z: Tensor, _prev: Tensor, eta: float) -> tuple[Tensor, Tensor]:
    field = game_field(z)
    lookahead = z - eta * field
    return z - eta * game_field(lookahead), field


def _optimistic(z: Tensor, prev: Tensor, eta: float) -> tuple[Tensor, Tensor]:
    field = game_field(z)
    return z - 2.0 * eta * field + eta * prev, field


METHODS: dict[str, Step] = {
    "simultaneous": _simultaneous,
    "alternating": _alternating,
    "extragradient": _extragradient,
    "optimistic": _optimistic,
}


def play(
    method: str, *, steps: int, eta: float, start: tuple[float, float] = (1.0, 0.0)
) -> FloatArray:
    """The trajectory (steps + 1, 2) of (x, y) from ``start`` under ``METHODS[method]``.

    The optimistic method's first step uses F(z_{-1}) = F(z_0), i.e. it starts as plain
    simultaneous gradient descent-ascent.
    """
    step = METHODS[method]
    z = torch.tensor(start, dtype=torch.float64)
    prev = game_field(z)
    out = [z]
    for _ in range(steps):
        z, prev = step(z, prev, eta)
        out.append(z)
    return torch.stack(out).numpy()


def distance_to_equilibrium(trajectory: FloatArray) -> FloatArray:
    """|z_t| = sqrt(x_t^2 + y_t^2), the distance to (0, 0), shape (steps + 1,)."""
    return np.asarray(np.hypot(trajectory[:, 0], trajectory[:, 1]))
