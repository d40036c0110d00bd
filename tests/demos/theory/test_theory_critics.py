"""The games pair the library's losses; fit_critic stops on held-out data and keeps the best."""

from __future__ import annotations

import pytest
import torch

from wgan import losses
from wgan.demos.theory.critics import GAMES, fit_critic, game_objective, make_critic
from wgan.lipschitz import gradient_penalty


def test_games_use_the_library_losses() -> None:
    assert GAMES["minimax"].critic_loss is losses.minimax_critic_loss
    assert GAMES["minimax"].generator_loss is losses.minimax_generator_loss
    assert GAMES["nonsaturating"].critic_loss is losses.minimax_critic_loss
    assert GAMES["nonsaturating"].generator_loss is losses.nonsaturating_generator_loss
    assert GAMES["wgan-gp"].critic_loss is losses.wasserstein_critic_loss
    assert GAMES["wgan-gp"].generator_loss is losses.wasserstein_generator_loss
    assert GAMES["wgan-gp"].gp_lambda == 10.0 and GAMES["minimax"].gp_lambda == 0.0


def test_objective_adds_the_penalty() -> None:
    critic = make_critic(2, width=16, depth=2, seed=0)
    g = torch.Generator().manual_seed(0)
    real, fake, eps = (
        torch.randn(64, 2, generator=g),
        torch.randn(64, 2, generator=g),
        torch.rand(64),
    )
    penalty, _ = gradient_penalty(critic, real, fake, eps=eps)
    expected = losses.wasserstein_critic_loss(critic(real), critic(fake)) + 10.0 * penalty
    torch.testing.assert_close(game_objective(critic, GAMES["wgan-gp"], real, fake, eps), expected)
    with pytest.raises(ValueError, match="eps"):
        game_objective(critic, GAMES["wgan-gp"], real, fake)


def test_make_critic_is_seeded_and_leaves_the_global_stream_alone() -> None:
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = make_critic(1, width=8, depth=1, seed=5)
    after = torch.rand(1)
    b = make_critic(1, width=8, depth=1, seed=5)
    assert torch.equal(before, after)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_fit_stops_when_held_out_loss_stops_improving() -> None:
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(200, 1, generator=g) + 1.0, torch.randn(200, 1, generator=g)
    val_real, val_fake = torch.randn(200, 1, generator=g) + 1.0, torch.randn(200, 1, generator=g)
    fit = fit_critic(GAMES["minimax"], real, fake, val_real, val_fake, max_steps=3000, patience=4)
    steps = [h[0] for h in fit.history]
    assert fit.steps == steps[-1] < 3000  # stopped early
    assert fit.steps - fit.best_step == 4 * 25  # four checks without a new best
    held_out = float(game_objective(fit.critic, GAMES["minimax"], val_real, val_fake).detach())
    assert held_out == pytest.approx(fit.best_loss, abs=1e-6)  # the best weights are kept
