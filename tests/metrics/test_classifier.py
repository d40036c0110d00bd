from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from wgan.config import load_config
from wgan.data.sources import ImageSource, build_source
from wgan.metrics import classifier as classifier_module
from wgan.metrics.classifier import cache_dir, cached_classifier, class_coverage


def _digits(resolution: int = 8) -> ImageSource:
    source = build_source(
        load_config("digits-wgan-gp", data={"resolution": resolution}), torch.device("cpu")
    )
    assert isinstance(source, ImageSource)
    return source


def _classifier(source: ImageSource):
    train, held = source.train, source.held
    assert train.labels is not None and held.labels is not None
    return cached_classifier(
        key=train.fingerprint(),
        train_take=train.take,
        train_labels=train.labels,
        held_images=held.first(len(held)),
        held_labels=held.labels,
        channels=1,
        device=torch.device("cpu"),
    )


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WGAN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "wgan"
    monkeypatch.setenv("WGAN_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_classifier_is_trained_once_then_read_from_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WGAN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(classifier_module, "training_steps", lambda n: 150)
    source = _digits()
    state = torch.get_rng_state()
    first = _classifier(source)
    assert torch.equal(torch.get_rng_state(), state)  # training leaves the global stream alone
    assert first.accuracy > 0.9  # 8x8 digits, held-out split
    files = list((tmp_path / "classifiers").glob("*.safetensors"))
    assert len(files) == 1

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached classifier should have been used")

    monkeypatch.setattr(classifier_module, "_train", no_training)
    second = _classifier(source)
    assert second.accuracy == first.accuracy
    images = source.held.first(50)
    np.testing.assert_allclose(second(images).features, first(images).features, rtol=1e-6)
    files[0].write_bytes(b"corrupt")  # an unreadable cache entry is trained again
    monkeypatch.undo()
    monkeypatch.setenv("WGAN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(classifier_module, "training_steps", lambda n: 20)
    assert _classifier(source).n_classes == 10


def test_another_resolution_is_another_cache_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _digits(8).train.fingerprint() != _digits(16).train.fingerprint()


def test_class_coverage_counts_classes_with_a_fair_share() -> None:
    probs = np.eye(4)[[0] * 50 + [1] * 45 + [2] * 4 + [3] * 1]
    # 100 samples, 4 classes: a class needs >= 0.1 * 25 = 2.5 samples
    assert class_coverage(probs, 4) == 3
    assert class_coverage(probs, 4, min_share=0.01) == 4
