"""The judges' and the real-vs-real keys of an image evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from conftest import tiny_image_config
from wgan.config import load_config
from wgan.data.sources import ImageSource, build_source
from wgan.evaluation.conditional import NO_CONDITIONING
from wgan.evaluation.images import ImageEvaluator
from wgan.metrics.judges import JUDGE_NAMES
from wgan.training.trainer import Trainer


@pytest.mark.usefixtures("fast_classifier")
def test_an_image_evaluation_carries_the_judges(tmp_path: Path) -> None:
    result = Trainer(tiny_image_config(), tmp_path, quiet=True).evaluate()
    judges = result["judges"]
    assert set(judges) == set(JUDGE_NAMES)
    for scores in judges.values():
        assert 0.1 <= scores["confidence"] <= 1 and 0.1 <= scores["confidence_real"] <= 1
        assert 0 <= scores["classes_covered"] <= 10
    gaps = [s["confidence_real"] - s["confidence"] for s in judges.values()]
    assert result["judges_confidence_gap"] == max(gaps)
    assert result["judges_classes_covered"] == min(s["classes_covered"] for s in judges.values())
    for key in ("precision_real", "recall_real", "coverage_real"):
        assert 0 < result[key] <= 1
    assert result["density_real"] > 0


@pytest.mark.usefixtures("fast_classifier")
def test_the_evaluation_separates_noisy_digits_from_real_ones() -> None:
    """A 'generator' that returns held-out digits with pixel noise (sd 0.8): every judge and
    wgan's own precision put it below the held-out digits; the held-out digits themselves show
    no gap."""
    source = build_source(load_config("digits-wgan-gp"), torch.device("cpu"))
    assert isinstance(source, ImageSource)
    held = source.holdout(200)
    noise = torch.randn(held.shape, generator=torch.Generator().manual_seed(0))
    evaluate = ImageEvaluator(
        source,
        inception_weights=None,
        device=torch.device("cpu"),
        quiet=True,
        conditional=NO_CONDITIONING,
    )
    critic = nn.Sequential(nn.Flatten(), nn.Linear(64, 1))

    def record(images: Tensor) -> dict:
        return evaluate(step=0, generate=lambda n, labels=None: images[:n], critic=critic, n=200,
                        real=None)  # fmt: skip

    noisy, same = record((held + 0.8 * noise).clamp(-1, 1)), record(held)
    assert noisy["judges_confidence_gap"] > 0.08
    # measured with the 20-step classifier of these tests: precision 0.83 against 0.925 real
    assert noisy["precision"] < noisy["precision_real"] - 0.05
    assert same["judges_confidence_gap"] == 0.0 and same["judges_classes_covered"] == 10
