r"""Claim 5: on the parallel lines, only the Wasserstein critic tells the generator where to go.

Real data P_0 = (0, Z) and a generator G_theta(z) = (theta, z), Z, z ~ U[0, 1]: two segments at
horizontal distance theta (Arjovsky, Chintala & Bottou 2017, Example 1). W1(P_0, P_theta) = |theta|
is continuous with derivative sign(theta); JS(P_0, P_theta) = log 2 for every theta != 0, so its
derivative is 0 and a generator following the JS gradient has nothing to follow.

The generator has the single parameter theta, trained by plain gradient descent against a critic
that is itself trained by Adam: n_critic critic steps, then one theta step, after the critic has
been pre-trained at theta_0. The same protocol runs with a WGAN-GP critic, with the minimax GAN
and with the non-saturating GAN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from wgan.demos.theory.critics import Game, game_objective, make_critic
from wgan.distances._checks import FloatArray

__all__ = ["ThetaRun", "critic_steps_sweep", "lines", "train_theta"]


def lines(theta: Tensor, n: int, rng: torch.Generator) -> Tensor:
    """n points (theta, z), z ~ U[0, 1]: shape (n, 2); differentiable in theta."""
    z = torch.rand(n, generator=rng)
    return torch.stack([theta.expand(n), z], dim=1)


@dataclass(frozen=True)
class ThetaRun:
    """theta after each generator step (``theta[0]`` is theta_0) and the gradient at each step."""

    game: str
    theta: FloatArray  # (steps + 1,)
    grad: FloatArray  # (steps,)


class _Duel:
    """A critic, its optimiser and the sampling stream for one run on the parallel lines."""

    def __init__(self, game: Game, *, width: int, batch: int, lr: float, seed: int) -> None:
        self.game = game
        self.batch = batch
        self.critic = make_critic(2, width=width, depth=2, seed=seed)
        self.opt = torch.optim.Adam(self.critic.parameters(), lr=lr, betas=(0.5, 0.9))
        self.rng = torch.Generator().manual_seed(seed)

    def critic_step(self, theta: float) -> None:
        real = lines(torch.tensor(0.0), self.batch, self.rng)
        fake = lines(torch.tensor(theta), self.batch, self.rng)
        eps = torch.rand(self.batch, generator=self.rng)
        loss = game_objective(self.critic, self.game, real, fake, eps)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def generator_gradient(self, theta: Tensor, n: int | None = None) -> Tensor:
        """d/dtheta of the game's generator loss on n fresh points (default: a batch), critic fixed."""
        self.critic.requires_grad_(False)
        fake = lines(theta, n or self.batch, self.rng)
        loss = self.game.generator_loss(self.critic(fake))
        (grad,) = torch.autograd.grad(loss, theta)
        self.critic.requires_grad_(True)
        return grad


def train_theta(
    game: Game,
    *,
    steps: int = 300,
    theta0: float = 1.0,
    lr_theta: float = 0.01,
    n_critic: int = 5,
    pretrain: int = 200,
    batch: int = 256,
    width: int = 64,
    lr_critic: float = 1e-3,
    seed: int = 0,
) -> ThetaRun:
    """Gradient descent on theta, theta <- theta - lr_theta * dL_G/dtheta, against a live critic.

    The critic (an MLP 2 -> width -> width -> 1, Adam lr_critic, betas (0.5, 0.9)) takes
    ``pretrain`` steps at theta_0, then ``n_critic`` steps before every generator step; each step
    draws fresh batches of ``batch`` points from both segments.
    """
    duel = _Duel(game, width=width, batch=batch, lr=lr_critic, seed=seed)
    theta = torch.tensor(theta0, requires_grad=True)
    for _ in range(pretrain):
        duel.critic_step(theta0)
    thetas, grads = [theta0], []
    for _ in range(steps):
        for _ in range(n_critic):
            duel.critic_step(float(theta.detach()))
        grad = duel.generator_gradient(theta)
        with torch.no_grad():
            theta -= lr_theta * grad
        thetas.append(float(theta.detach()))
        grads.append(float(grad))
    return ThetaRun(game.name, np.array(thetas), np.array(grads))


def critic_steps_sweep(
    game: Game,
    checkpoints: Sequence[int],
    *,
    theta: float = 1.0,
    batch: int = 256,
    width: int = 64,
    lr_critic: float = 1e-3,
    seed: int = 0,
    n_grad: int = 4096,
) -> FloatArray:
    """The generator's gradient at a fixed theta after each number of critic steps in checkpoints.

    Shows what the gradient measures: for the WGAN-GP critic it settles near a fixed value as the
    critic converges; for the GAN discriminator it keeps changing with the training time, the
    minimax one towards 0. The gradient is averaged over ``n_grad`` fresh generated points.
    """
    duel = _Duel(game, width=width, batch=batch, lr=lr_critic, seed=seed)
    t = torch.tensor(theta, requires_grad=True)
    out, done = [], 0
    for k in checkpoints:
        for _ in range(k - done):
            duel.critic_step(theta)
        done = k
        out.append(float(duel.generator_gradient(t, n_grad)))
    return np.array(out)
