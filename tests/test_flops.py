"""count_flops adds torch's per-operator FLOP formulas over every pass, backward ones included."""

from __future__ import annotations

import torch
from torch import nn

from wgan.flops import count_flops


def test_linear_forward_and_backward_are_2mkn_each() -> None:
    m, k, n = 8, 5, 3
    layer = nn.Linear(k, n)
    x = torch.randn(m, k, requires_grad=True)
    forward, by_operator = count_flops(lambda: layer(x))
    assert forward == 2 * m * k * n and set(by_operator) == {"aten.addmm"}
    # backward: the input's gradient and the weight's gradient, one (m, k, n) product each
    total, _ = count_flops(lambda: layer(x).sum().backward())
    assert total == 3 * 2 * m * k * n


def test_convolution_is_2_per_multiply_add_of_each_output() -> None:
    conv = nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1)
    x = torch.randn(2, 3, 8, 8)
    total, _ = count_flops(lambda: conv(x))
    outputs = 2 * 4 * 4 * 4  # (B, C_out, H', W')
    assert total == 2 * outputs * 3 * 3 * 3  # C_in * kh * kw multiply-adds each


def test_elementwise_work_is_not_counted() -> None:
    x = torch.randn(100, 100)
    assert count_flops(lambda: (x.relu() * 2 + 1).sum())[0] == 0
