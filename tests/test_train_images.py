from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import tiny_image_config
from test_train import _params
from wgan.evaluation.images import IMAGE_KEYS
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run
from wgan.training.trainer import Trainer


@pytest.mark.usefixtures("fast_classifier")
@pytest.mark.parametrize(
    ("arch", "norm", "precision", "family"),
    [
        ("dcgan", "none", "fp32", {}),
        ("dcgan", "sn", "bf16", {}),
        ("dcgan", "sn", "bf16", {"lipschitz": {"sn_norm": "exact"}}),
        ("resnet", "layernorm", "fp32", {}),
        ("resnet", "none", "fp32", {"loss": "hinge", "lipschitz": {"method": "sn",
                                                                   "sn_norm": "exact"}}),
        # Another loss, spectral norm as the Lipschitz method, instance noise on images.
        ("dcgan", "none", "fp32", {"loss": "hinge", "lipschitz": {"method": "sn"},
                                   "stabilizers": {"instance_noise": {"std": 0.1}}}),
    ],
    ids=["dcgan", "dcgan-sn-bf16", "dcgan-sn-exact-bf16", "resnet-layernorm",
         "resnet-hinge-sn-exact", "dcgan-hinge-sn-noise"],
)  # fmt: skip
def test_image_run_resumes_to_the_bit(
    tmp_path: Path, arch: str, norm: str, precision: str, family: dict[str, object]
) -> None:
    config = tiny_image_config(
        precision=precision, model={"arch": arch, "critic_norm": norm, "latent_dim": 8,
                                    "generator_width": 4, "critic_width": 4}, **family
    )  # fmt: skip
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 6)
    # The same config (linear lr decay follows config.steps), stopped with a checkpoint at step 4.
    halted = start_run(config, tmp_path / "halted", quiet=True)
    train_until(halted, 4)
    resumed = open_run(tmp_path / "halted", quiet=True)
    train_until(resumed, 6)
    assert resumed.ema is not None and straight.ema is not None
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(
        straight.ema.state_dict().values(), resumed.ema.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    assert sorted(p.name for p in (tmp_path / "halted" / "samples").iterdir()) == [
        "step-00000000.png", "step-00000003.png", "step-00000004.png", "step-00000006.png"
    ]  # fmt: skip


@pytest.mark.usefixtures("fast_classifier")
def test_evaluation_does_not_change_training(tmp_path: Path) -> None:
    config = tiny_image_config(eval={"every": 1000, "n": 40}, checkpoint={"every": 1000})
    plain = Trainer(config, tmp_path / "a", quiet=True)
    watched = Trainer(config, tmp_path / "b", quiet=True)
    for step in range(4):
        plain.train_step()
        watched.train_step()
        if step % 2 == 0:
            watched.evaluate()  # trains the classifier at the first call
    for a, b in zip(_params(plain), _params(watched), strict=True):
        assert torch.equal(a, b)


@pytest.mark.usefixtures("fast_classifier")
def test_image_evaluation_keys(tmp_path: Path) -> None:
    result = Trainer(tiny_image_config(), tmp_path, quiet=True).evaluate()
    assert tuple(result) == IMAGE_KEYS
    assert result["feature_extractor"] == "classifier"
    assert result["classes_total"] == 10 and 0 <= result["classes_covered"] <= 10
    assert 0.1 <= result["confidence"] <= 1.0 and 0.1 <= result["confidence_real"] <= 1.0
    assert 0 < result["fid_noise_floor"] < result["fid"]
    assert 0 < result["fid_noise_floor_std"] < result["fid_noise_floor"]
    assert result["kid_noise_floor_std"] > 0 and result["kid_noise_floor"] < result["kid_mean"]
    assert 0 < result["w1_features_noise_floor"] < result["w1_features"]
    assert 0 < result["w1_pixels_noise_floor"] < result["w1_pixels"]
    assert result["w1_pixels_noise_floor_std"] > 0
    assert all(0 <= result[key] <= 1 for key in ("precision", "recall", "coverage"))
    assert result["fid_infinity"] is None  # an option (eval.fid_infinity)
    features = result["protocol"]["features"]
    assert features["name"] == "classifier" and len(features["weights_sha256"]) == 16
    assert 0 < result["sliced_w1_pixels"] < result["w1_pixels"]
    assert result["inception_score"] is None and result["n"] == 40
    assert (
        isinstance(result["critic_lipschitz_bound"], float) and result["critic_lipschitz_bound"] > 0
    )


@pytest.mark.usefixtures("fast_classifier")
def test_fid_infinity_is_an_option(tmp_path: Path) -> None:
    config = tiny_image_config(eval={"n": 40, "fid_infinity": True})
    result = Trainer(config, tmp_path, quiet=True).evaluate()
    assert isinstance(result["fid_infinity"], float)


def test_unlabelled_images_have_no_feature_extractor(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(60, 8, 8, 3), dtype=np.uint8)
    np.save(tmp_path / "x.npy", images)
    data = {"name": "images", "path": str(tmp_path / "x.npy"), "resolution": 8, "channels": None}
    config = tiny_image_config(data=data)
    trainer = Trainer(config, tmp_path / "run", quiet=True)
    assert trainer.source.sample_shape == (3, 8, 8)
    result = trainer.evaluate()
    assert result["feature_extractor"] is None and result["fid"] is None
    assert result["classes_covered"] is None and result["w1_pixels"] > 0


def test_samples_are_images_in_unit_range_from_fixed_z(tmp_path: Path) -> None:
    trainer = Trainer(tiny_image_config(), tmp_path, quiet=True)
    samples = trainer.sample(10)
    assert samples.shape == (10, 1, 8, 8) and samples.dtype == torch.float32
    assert samples.abs().max() <= 1.0
    torch.testing.assert_close(trainer.sample(10), samples)
    assert not torch.equal(trainer.sample(10, seed=5), samples)
