"""Errors of an unpaired translator (CycleGAN), in the units of the data.

Every error is the mean absolute difference per coordinate (per pixel for images), the L1
distance the cycle-consistency loss itself uses (Zhu et al. 2017), so the training loss and the
measured errors compare directly.
"""

from __future__ import annotations

import torch
from torch import Tensor


def mean_absolute_error(a: Tensor, b: Tensor) -> float:
    """mean |a - b| over samples and coordinates, for a and b of the same shape (n, ...)."""
    if a.shape != b.shape:
        raise ValueError(f"shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    return float((a.double() - b.double()).abs().mean())


def unpaired_baseline(truth: Tensor, others: Tensor) -> float:
    """The translation error of a translator that ignores its input and returns real samples of
    the target domain: mean |others_pi(i) - truth_i| for a fixed derangement pi (a shift by one)
    of the same number of target samples. A translator below it has learnt the correspondence.
    """
    n = min(len(truth), len(others))
    return mean_absolute_error(torch.roll(others[:n], 1, dims=0), truth[:n])
