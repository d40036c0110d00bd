from __future__ import annotations

import torch

from wgan.losses import (
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)


def test_wasserstein_losses_by_hand() -> None:
    real = torch.tensor([[1.0], [3.0]])  # mean 2
    fake = torch.tensor([[-1.0], [0.0], [4.0]])  # mean 1
    torch.testing.assert_close(wasserstein_critic_loss(real, fake), torch.tensor(-1.0))
    torch.testing.assert_close(wasserstein_generator_loss(fake), torch.tensor(-1.0))


def test_critic_loss_pushes_real_scores_up_and_fake_down() -> None:
    real = torch.zeros(4, 1, requires_grad=True)
    fake = torch.zeros(4, 1, requires_grad=True)
    wasserstein_critic_loss(real, fake).backward()
    assert real.grad is not None and fake.grad is not None
    torch.testing.assert_close(real.grad, torch.full((4, 1), -0.25))
    torch.testing.assert_close(fake.grad, torch.full((4, 1), 0.25))


def test_minimax_losses_against_the_formula() -> None:
    real = torch.tensor([[0.5], [-1.0], [2.0]])
    fake = torch.tensor([[-0.3], [1.5]])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    torch.testing.assert_close(minimax_critic_loss(real, fake), expected)
    torch.testing.assert_close(minimax_generator_loss(fake), torch.log(1 - d_fake).mean())
    torch.testing.assert_close(nonsaturating_generator_loss(fake), -torch.log(d_fake).mean())


def test_minimax_is_stable_for_confident_discriminators() -> None:
    fake = torch.tensor([[-200.0]], requires_grad=True)  # D(G(z)) = sigmoid(-200), about 1e-87
    minimax_generator_loss(fake).backward()
    assert fake.grad is not None and fake.grad.abs().item() < 1e-60  # saturated: no signal
    fake.grad = None
    nonsaturating_generator_loss(fake).backward()
    torch.testing.assert_close(fake.grad, torch.tensor([[-1.0]]))  # full-strength signal
    assert torch.isfinite(minimax_critic_loss(torch.tensor([300.0]), torch.tensor([-300.0])))
