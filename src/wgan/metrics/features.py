"""Feature extractors for image metrics: one small interface, swappable implementations.

An extractor maps images (n, C, H, W) in [-1, 1] to features (n, d) and, when it classifies,
class probabilities (n, K). FID and KID (`wgan.metrics.fid`) take the features; the Inception
Score and class coverage take the probabilities.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class Features:
    features: npt.NDArray[np.float64]  # (n, d)
    probs: npt.NDArray[np.float64] | None  # (n, K), or None for an extractor without classes


class FeatureExtractor(Protocol):
    name: str  # e.g. "inception-v3", "classifier"
    weights_sha256: str  # `weights_digest` of its network: which weights gave the features
    resize: str | None  # how images are resized on the way in, None when they are not

    def __call__(self, images: Tensor) -> Features: ...


def in_chunks(
    fn: Callable[[Tensor], tuple[Tensor, Tensor]],
    images: Tensor,
    *,
    device: torch.device,
    chunk: int = 500,
) -> Features:
    """Apply `fn` (images -> (features, logits)) in chunks, without gradients, in fp32."""
    feats, logits = [], []
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            f, lg = fn(images[start : start + chunk].to(device, torch.float32))
            feats.append(f.double().cpu())
            logits.append(lg.double().cpu())
    return Features(torch.cat(feats).numpy(), torch.softmax(torch.cat(logits), dim=1).numpy())


def weights_digest(module: nn.Module) -> str:
    """The sha256 (16 hex digits) of a network's state: every tensor's name, dtype, shape and bytes,
    in name order. Two extractors with the same digest compute the same features."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
