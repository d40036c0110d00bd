from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from wgan.cli import main

TINY = [
    "--set", "data.resolution=8", "--set", "model.latent_dim=8",
    "--set", "model.generator_width=4", "--set", "model.critic_width=4",
    "--set", "batch_size=16", "--set", "eval.every=2", "--set", "eval.n=40",
    "--set", "checkpoint.every=2", "--set", "precision=fp32", "--device", "cpu", "--quiet",
]  # fmt: skip


def _train(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "run"
    assert main(["train", "digits-wgan-gp", "--steps", "4", "--out", str(out), *TINY, *extra]) == 0
    return out


@pytest.mark.usefixtures("fast_classifier")
def test_digits_train_sample_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _train(tmp_path)
    assert (out / "report.png").stat().st_size > 20_000
    assert "FID" in (out / "report.md").read_text()
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        "step-00000000.png", "step-00000002.png", "step-00000004.png"
    ]  # fmt: skip
    assert main(["sample", str(out), "-n", "12", "-o", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (12, 1, 8, 8) and samples.dtype == np.float32
    assert np.abs(samples).max() <= 1.0
    assert main(["sample", str(out), "-n", "12", "-o", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 500
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "40"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"step", "fid", "kid_mean", "kid_std", "feature_extractor"} <= set(result)
    assert result["step"] == 4 and result["feature_extractor"] == "classifier"
    assert result["classes_total"] == 10


def test_images_npy_with_an_image_preset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "faces.npy"
    np.save(data, np.random.default_rng(0).integers(0, 256, (80, 12, 12, 3), dtype=np.uint8))
    out = _train(tmp_path, "--data", str(data), "--set", "data.channels=null")
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["feature_extractor"] is None and result["fid"] is None
    assert main(["evaluate", str(out), "--data", str(data), "--n", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 20
    assert main(["sample", str(out), "-n", "3", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 3, 8, 8)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--data", "."], "holds images and 8gaussians-wgan-gp is a preset for points"),
        (["train", "mnist-wgan-gp"], "needs data.path (or --data PATH)"),
        (["train", "mnist-wgan-gp", "--data", "nowhere"], "nowhere: no such file or directory"),
        (["train", "digits-wgan-gp", "--set", "model.critic_norm=batchnorm"], "BatchNorm"),
    ],
)
def test_image_user_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.usefixtures("fast_classifier")
def test_inception_weights_without_the_extra_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _train(tmp_path)
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # not installed
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"")
    capsys.readouterr()
    assert main(["evaluate", str(out), "--inception-weights", str(weights)]) == 2
    assert "pip install 'wgan[inception]'" in capsys.readouterr().err


class _FakeInception(torch.nn.Module):
    """Stands in for torch-fidelity's network: checks its input, returns fixed-size outputs."""

    def __init__(self, name: str, features_list: list[str], feature_extractor_weights_path: str):
        super().__init__()
        assert features_list == ["2048", "logits_unbiased"]
        assert Path(feature_extractor_weights_path).is_file()
        self.mix = torch.nn.Linear(3, 8)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        assert x.dtype == torch.uint8 and x.shape[1] == 3
        pooled = x.float().mean(dim=(2, 3)) / 255.0
        return pooled.repeat(1, 4) + 0.01 * torch.randn(len(x), 12), self.mix(pooled)


@pytest.mark.usefixtures("fast_classifier")
def test_inception_features_feed_fid_kid_and_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _train(tmp_path)
    package = types.ModuleType("torch_fidelity")
    module = types.ModuleType("torch_fidelity.feature_extractor_inceptionv3")
    module.FeatureExtractorInceptionV3 = _FakeInception  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch_fidelity", package)
    monkeypatch.setitem(sys.modules, "torch_fidelity.feature_extractor_inceptionv3", module)
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"weights")
    capsys.readouterr()
    assert main(["evaluate", str(out), "--inception-weights", str(weights), "--n", "40"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["feature_extractor"] == "inception-v3"
    assert result["fid"] > 0 and 1.0 <= result["inception_score"] <= 8.0
    assert result["classes_total"] == 10  # the classifier metrics stay
