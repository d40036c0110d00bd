"""The evaluator of a run, picked once from the kind of its data."""

from __future__ import annotations

import torch

from wgan.config import Config
from wgan.data.sources import DataSource, ImageSource, StackedSource
from wgan.evaluation.common import Evaluator
from wgan.evaluation.conditional import NO_CONDITIONING, Conditioning
from wgan.evaluation.images import ImageEvaluator
from wgan.evaluation.points import PointEvaluator


def build_evaluator(
    config: Config,
    source: DataSource,
    device: torch.device,
    *,
    quiet: bool,
    conditioning: Conditioning = NO_CONDITIONING,
) -> Evaluator:
    """The evaluator of a run's data; `conditioning`, that of a conditional run's GAN kind."""
    if isinstance(source, ImageSource | StackedSource):
        return ImageEvaluator(
            source,
            inception_weights=config.eval.inception_weights,
            device=device,
            quiet=quiet,
            conditional=conditioning,
            fid_infinity=config.eval.fid_infinity,
        )
    return PointEvaluator(source, device, conditioning)
