"""Mode coverage, as in the VEEGAN and PacGAN papers: on Gaussian mixtures, and on stacked images
(Stacked MNIST) from the class of each channel.

A sample of a mixture is high quality when it lies within 3 standard deviations of its nearest
centre; a mode is covered when it is the nearest centre of at least one high-quality sample;
PacGAN's reverse KL is KL(p || uniform) of the modes' histogram p over the high-quality samples. A
stacked sample's mode is the tuple of its channels' classes; a mode is covered when at least one
sample has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from wgan.data.toy import Modes
from wgan.distances import kl

MIXTURE_KEYS = ("modes_covered", "modes_total", "high_quality", "reverse_kl")


def _good_counts(samples: Tensor, modes: Modes, n_std: float) -> tuple[Tensor, float]:
    """How many high-quality samples have each mode as nearest centre (k,), and the share of
    samples that are high quality."""
    centres = modes.centres.to(samples.device, torch.float64)
    nearest_distance, nearest = torch.cdist(samples.double(), centres).min(dim=1)
    good = nearest_distance <= n_std * modes.std
    counts = torch.bincount(nearest[good], minlength=len(centres)).cpu()
    return counts, float(good.double().mean())


def _reverse_kl(counts: Tensor) -> float | None:
    return None if counts.sum() == 0 else kl(counts.numpy(), np.ones(len(counts)))


def mode_coverage(samples: Tensor, modes: Modes, *, n_std: float = 3.0) -> tuple[int, int, float]:
    """(modes covered, modes in total, fraction of high-quality samples) for samples (n, d)."""
    counts, quality = _good_counts(samples, modes, n_std)
    return int((counts > 0).sum()), len(counts), quality


def mode_reverse_kl(samples: Tensor, modes: Modes, *, n_std: float = 3.0) -> float | None:
    """PacGAN's reverse KL: KL(p || uniform) of the histogram p of the high-quality samples'
    modes, in nats (0 for an even spread, log K when every good sample has one mode); None when
    no sample is high quality (p is then undefined)."""
    return _reverse_kl(_good_counts(samples, modes, n_std)[0])


def mode_keys(samples: Tensor, modes: Modes | None) -> dict[str, Any]:
    """An evaluation's `modes_covered`, `modes_total`, `high_quality` and `reverse_kl` of samples
    (n, d), from one pass over their distances to the centres; null for data without known
    modes."""
    if modes is None:
        return dict.fromkeys(MIXTURE_KEYS)
    counts, quality = _good_counts(samples, modes, n_std=3.0)
    return {
        "modes_covered": int((counts > 0).sum()),
        "modes_total": len(counts),
        "high_quality": quality,
        "reverse_kl": _reverse_kl(counts),
    }


@dataclass(frozen=True)
class StackedModes:
    covered: int  # distinct modes among the samples
    total: int  # K^k
    kl: float  # KL(histogram of the samples' modes || uniform over all K^k), in nats


def stacked_modes(digits: npt.ArrayLike, n_classes: int = 10) -> StackedModes:
    """The modes of stacked samples from their channels' classes.

    `digits` (n, k) holds the class (0..K-1) of each of the k channels of n samples. A sample's
    mode is its classes read as a k-digit number in base K (Stacked MNIST: 100 d1 + 10 d2 + d3,
    one of 1000); `kl` is the papers' "KL", KL(p || uniform) = log K^k - H(p), 0 for a perfectly
    even spread over every mode, log K^k (6.91 for 1000) when all samples share one.
    """
    classes = np.asarray(digits)
    if classes.ndim != 2 or classes.size == 0 or classes.dtype.kind not in "iu":
        raise ValueError(f"digits must be a non-empty (n, k) integer array, got {classes.shape}")
    if classes.min() < 0 or classes.max() >= n_classes:
        raise ValueError(f"digits must lie in 0..{n_classes - 1}")
    total = n_classes ** classes.shape[1]
    modes = classes.astype(np.int64) @ (n_classes ** np.arange(classes.shape[1] - 1, -1, -1))
    histogram = np.bincount(modes, minlength=total)
    return StackedModes(
        covered=int((histogram > 0).sum()),
        total=total,
        kl=kl(histogram, np.ones(total)),
    )
