"""Diagnostics of a critic: its input-gradient norms, the gradient norm of each layer's weights,
and its accuracy as a classifier."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


def input_gradient_norms(critic: nn.Module, x: Tensor) -> Tensor:
    """||grad_x f(x)|| for each sample of x (n, d): (n,), in fp32. The critic is not changed."""
    x = x.detach().float().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).float().sum(), x)
    return grad.flatten(1).norm(dim=1).detach()


def layer_gradient_norms(critic: nn.Module, loss: Tensor) -> list[float]:
    """||d loss / d W_l|| for the weight W_l of every linear or convolution layer, input first.

    The gradients are computed with autograd.grad, so the parameters' `.grad` stay as they were.
    """
    weights = [
        layer.weight for layer in critic.modules() if isinstance(layer, nn.Linear | nn.Conv2d)
    ]
    grads = torch.autograd.grad(loss, weights, retain_graph=True)
    return [float(g.norm()) for g in grads]


def critic_accuracy(real_scores: Tensor, fake_scores: Tensor, *, threshold: float = 0.0) -> float:
    """Share of samples classified right: real scores above `threshold`, generated ones below.

    The threshold is 0 for logits (D = 1/2) and hinge scores, 1/2 for LSGAN's 0-1 labels.
    """
    right = (real_scores > threshold).sum() + (fake_scores < threshold).sum()
    return float(right) / (real_scores.numel() + fake_scores.numel())


def critic_scores(critic: nn.Module, x: np.ndarray, *, device: torch.device) -> np.ndarray:
    """f(x) (n,) for samples x (n, ...) in fp32, the critic in eval mode (a spectral norm's power
    iteration must not advance here) and left in the mode it was in."""
    was_training = critic.training
    critic.eval()
    try:
        with torch.no_grad():
            inputs = torch.as_tensor(x, dtype=torch.float32, device=device)
            return critic(inputs).float().squeeze(-1).cpu().numpy()
    finally:
        critic.train(was_training)
