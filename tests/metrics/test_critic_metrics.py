from __future__ import annotations

import torch
from torch import nn

from wgan.metrics.critic import critic_accuracy, input_gradient_norms, layer_gradient_norms


def test_input_gradient_norms_of_a_linear_critic() -> None:
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, -4.0]]))
    torch.testing.assert_close(
        input_gradient_norms(critic, torch.randn(6, 2)), torch.full((6,), 5.0)
    )


def test_input_gradient_norms_of_a_distance_are_one() -> None:
    class Distance(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.norm(dim=1, keepdim=True)

    x = torch.randn(10, 3) + 5.0
    torch.testing.assert_close(input_gradient_norms(Distance(), x), torch.ones(10))


def test_layer_gradient_norms_by_hand_and_grads_untouched() -> None:
    # f(x) = w2 * relu(w1 x) with x = 2, w1 = 3, w2 = 5: df/dw1 = w2 x = 10, df/dw2 = w1 x = 6.
    critic = nn.Sequential(nn.Linear(1, 1, bias=False), nn.ReLU(), nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        critic[0].weight.fill_(3.0)
        critic[2].weight.fill_(5.0)
    loss = critic(torch.tensor([[2.0]])).sum()
    assert layer_gradient_norms(critic, loss) == [10.0, 6.0]
    assert all(p.grad is None for p in critic.parameters())


def test_critic_accuracy_counts_both_sides() -> None:
    real = torch.tensor([1.0, -0.5, 2.0])  # two right
    fake = torch.tensor([-1.0, 0.3])  # one right
    assert critic_accuracy(real, fake) == 3 / 5
    assert critic_accuracy(real, fake, threshold=0.5) == 4 / 5  # 1 and 2 above; -1 and 0.3 below
