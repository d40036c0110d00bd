"""The three games of the notes as (critic loss, generator loss) pairs, and fitting a critic to
samples.

Every loss, and the objective with its penalty, comes from :mod:`wgan.losses`; this module only
pairs them up and runs the optimiser. One sign convention, as in :mod:`wgan.losses`: the critic
scores real samples high, and for the GAN games its score is the logit of D.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from wgan import losses
from wgan.config import LipschitzConfig
from wgan.models.mlp import mlp

__all__ = ["GAMES", "FitResult", "Game", "fit_critic", "game_objective", "make_critic"]


@dataclass(frozen=True)
class Game:
    """A critic loss, a generator loss and the gradient-penalty weight (0: no penalty)."""

    name: str
    critic_loss: Callable[[Tensor, Tensor], Tensor]
    generator_loss: Callable[[Tensor], Tensor]
    gp_lambda: float = 0.0

    @property
    def lipschitz(self) -> LipschitzConfig:
        """The penalty as a config's lipschitz section: the two-sided one, or none."""
        return LipschitzConfig(
            method="gp" if self.gp_lambda > 0 else "none", gp_lambda=self.gp_lambda
        )


GAMES: dict[str, Game] = {
    "minimax": Game("minimax", losses.minimax_critic_loss, losses.minimax_generator_loss),
    "nonsaturating": Game(
        "nonsaturating", losses.minimax_critic_loss, losses.nonsaturating_generator_loss
    ),
    "wgan-gp": Game(
        "wgan-gp", losses.wasserstein_critic_loss, losses.wasserstein_generator_loss, 10.0
    ),
}


def make_critic(dim: int, *, width: int, depth: int, seed: int) -> nn.Sequential:
    """An MLP critic (SiLU, so its score is smooth in x) with weights drawn from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return mlp(dim, 1, width=width, depth=depth, activation="silu")


def game_objective(
    critic: nn.Module, game: Game, real: Tensor, fake: Tensor, eps: Tensor | None = None
) -> Tensor:
    """What the critic minimises in ``game`` on (n, d) real and fake samples:
    :func:`wgan.losses.critic_objective` with the game's loss and penalty.

    ``eps`` (n,) are the interpolation weights of the gradient penalty; needed when
    ``game.gp_lambda > 0``.
    """
    return losses.critic_objective(
        critic(real),
        critic(fake),
        loss=game.critic_loss,
        lipschitz=game.lipschitz,
        critic=critic,
        real=real,
        fake=fake,
        eps=eps,
    ).total


@dataclass
class FitResult:
    """A fitted critic: the weights with the best held-out loss, and how training went.

    ``history`` holds (step, held-out loss, monitor value) at every check; the monitor value is
    NaN when no monitor was given.
    """

    critic: nn.Module
    steps: int
    best_step: int
    best_loss: float
    history: list[tuple[int, float, float]] = field(default_factory=list)


def fit_critic(
    game: Game,
    real: Tensor,
    fake: Tensor,
    val_real: Tensor,
    val_fake: Tensor,
    *,
    width: int = 64,
    depth: int = 2,
    lr: float = 1e-2,
    max_steps: int = 3000,
    check_every: int = 25,
    patience: int = 8,
    seed: int = 0,
    monitor: Callable[[nn.Module], float] | None = None,
) -> FitResult:
    """Train a critic on fixed samples, full batch, until its held-out loss stops improving.

    Adam with a cosine learning-rate decay over ``max_steps``; every ``check_every`` steps the
    loss on the held-out samples (val_real, val_fake) is computed, and training stops after
    ``patience`` checks without a new best (or at ``max_steps``). The weights of the best check
    are returned: early stopping on held-out data keeps the critic from fitting the sampling
    noise of a small training set.

    Parameters
    ----------
    game : Game
        Which critic loss (and penalty) to minimise.
    real, fake : Tensor, shape (n, d)
        Training samples.
    val_real, val_fake : Tensor, shape (m, d)
        Held-out samples for the stopping rule.
    width, depth, seed :
        The MLP critic (see :func:`make_critic`).
    lr, max_steps, check_every, patience :
        The optimiser and the stopping rule.
    monitor : callable, optional
        Called on the critic at each check (e.g. its error against a known optimum); recorded in
        ``history``.
    """
    critic = make_critic(real.shape[1], width=width, depth=depth, seed=seed)
    opt = torch.optim.Adam(critic.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max_steps)
    rng = torch.Generator().manual_seed(seed)
    val_eps = torch.rand(val_real.shape[0], generator=rng)
    best_loss, best_step, best_state = float("inf"), 0, copy.deepcopy(critic.state_dict())
    history: list[tuple[int, float, float]] = []
    since_best = 0
    step = 0
    for step in range(1, max_steps + 1):
        eps = torch.rand(real.shape[0], generator=rng)
        loss = game_objective(critic, game, real, fake, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        if step % check_every and step != max_steps:
            continue
        val = float(game_objective(critic, game, val_real, val_fake, val_eps).detach())
        history.append((step, val, monitor(critic) if monitor else float("nan")))
        if val < best_loss:
            best_loss, best_step, best_state = val, step, copy.deepcopy(critic.state_dict())
            since_best = 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    critic.load_state_dict(best_state)
    return FitResult(critic, step, best_step, best_loss, history)
