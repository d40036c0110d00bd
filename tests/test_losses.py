from __future__ import annotations

import torch

from wgan.losses import wasserstein_critic_loss, wasserstein_generator_loss


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
