"""Inception-v3 features for FID, KID and the Inception Score, from a local weights file.

The network and its weights are torch-fidelity's (the TensorFlow FID network converted to
PyTorch: pool features 2048-d and the 1008 "unbiased" logits the Inception Score uses), so the
numbers match what papers report. torch-fidelity needs torchvision, which the core install does
not pull in: install the optional extra with ``pip install 'wgan[inception]'``. Nothing is
downloaded: give the weights file (``weights-inception-2015-12-05-6726825d.pth``) with
``--inception-weights PATH`` or ``eval.inception_weights``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from torch import Tensor

from wgan.errors import UserError
from wgan.metrics.features import Features, in_chunks, weights_digest


class InceptionFeatures:
    """torch-fidelity's Inception-v3 on images in [-1, 1]: 2048-d features, 1008-way probs."""

    name = "inception-v3"
    # What happens to an image on its way in (`_forward` and torch-fidelity's own resize).
    resize: str | None = (
        "to uint8, grey to RGB, bilinear to 299 x 299 as TensorFlow 1.x (torch-fidelity)"
    )

    def __init__(self, weights: str | Path, *, device: torch.device) -> None:
        try:
            from torch_fidelity.feature_extractor_inceptionv3 import (
                FeatureExtractorInceptionV3,
            )
        except ImportError:
            raise UserError(
                "Inception metrics need the optional extra: pip install 'wgan[inception]' "
                "(torch-fidelity and torchvision); or leave out --inception-weights"
            ) from None
        path = Path(weights)
        if not path.is_file():
            raise UserError(f"--inception-weights {path}: no such file")
        try:
            self.model = FeatureExtractorInceptionV3(
                "inception-v3-compat",
                ["2048", "logits_unbiased"],
                feature_extractor_weights_path=str(path),
            ).to(device)
        except (RuntimeError, OSError, KeyError, pickle.UnpicklingError) as err:
            raise UserError(
                f"--inception-weights {path}: not torch-fidelity's Inception-v3 weights ({err})"
            ) from None
        self.device = device
        self.weights_sha256 = weights_digest(self.model)

    def _forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        pixels = ((images.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
        if pixels.shape[1] == 1:
            pixels = pixels.expand(-1, 3, -1, -1)
        features, logits = self.model(pixels)
        return features, logits

    def __call__(self, images: Tensor) -> Features:
        return in_chunks(self._forward, images, device=self.device, chunk=100)
