"""Minibatch discrimination (Salimans et al. 2016, section 3.2): a critic layer that lets each
sample's score depend on how close it is to the other samples of its batch, so that a generator
collapsing onto a few points is easy to tell from real data."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

_ROWS_PER_CHUNK = 512  # bounds the (kernels, rows, B) distance block of a large evaluation batch


class MinibatchDiscrimination(nn.Module):
    r"""Features f (B, A) -> [f, o(f)] (B, A + kernels).

    With M = f T reshaped to (B, kernels, kernel_dim) and T a learned (A, kernels * kernel_dim)
    tensor:

    .. math:: o(f)_{i,k} = \frac{1}{B - 1} \sum_{j \ne i} \exp(-\|M_{i,k} - M_{j,k}\|_1)

    The paper sums over j; the mean keeps o in [0, 1] whatever the batch size, so a critic trained
    on batches of 256 scores an evaluation batch of 2000 on the same scale. A batch of one sample
    has o = 0. Large batches are processed in chunks of rows to bound memory.
    """

    def __init__(self, in_features: int, *, kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.kernels = kernels
        self.kernel_dim = kernel_dim
        # Entries of M start at the scale of the features, so that exp(-L1) is neither 0 nor 1.
        self.T = nn.Parameter(
            torch.randn(in_features, kernels * kernel_dim) / math.sqrt(in_features)
        )

    def forward(self, f: Tensor) -> Tensor:
        b = f.shape[0]
        m = (f @ self.T).float().view(b, self.kernels, self.kernel_dim).transpose(0, 1)  # (K, B, C)
        sums = [
            torch.exp(-torch.cdist(m[:, start : start + _ROWS_PER_CHUNK], m, p=1)).sum(-1)
            for start in range(0, b, _ROWS_PER_CHUNK)
        ]  # each (K, rows)
        o = (torch.cat(sums, dim=1) - 1.0).T / max(b - 1, 1)  # (B, K); -1 drops j = i
        return torch.cat([f, o.to(f.dtype)], dim=1)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.T.shape[0]}, kernels={self.kernels}, kernel_dim={self.kernel_dim}"
        )
