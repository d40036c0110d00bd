"""The GPU benchmark script runs (at a tiny size, on the CPU) and writes what it promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import benchmark_script
from wgan.data.images import load_image_data


def test_synthetic_sets_are_real_format_files(tmp_path: Path) -> None:
    gpu = benchmark_script("gpu_images")
    cifar = load_image_data(
        gpu.write_cifar_format(tmp_path, 50, 20), resolution=None, channels=None
    )
    assert cifar.train.pixels.shape == (50, 3, 32, 32) and cifar.test is not None
    assert set(np.unique(cifar.train.labels)) <= set(range(10))
    mnist = load_image_data(gpu.write_mnist_format(tmp_path / "m"), resolution=None, channels=None)
    assert mnist.train.pixels.shape == (1437, 28, 28) and mnist.test is not None
    assert mnist.test.labels is not None and len(mnist.test.labels) == 360


def test_gpu_images_runs_tiny_on_the_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wgan.metrics import classifier

    monkeypatch.setattr(classifier, "training_steps", lambda n: 2)  # the code path, not accuracy
    gpu = benchmark_script("gpu_images")
    argv = ["--out", str(tmp_path), "--tiny", "--device", "cpu", "--budget-s", "1"]
    argv += ["--eval-every-s", "5"]  # one evaluation after each run's half second
    assert gpu.main(argv) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "generator steps/s" in out
    summary = json.loads((tmp_path / "gpu_images.json").read_text())
    assert summary["synthetic_data"] is True
    assert [r["preset"] for r in summary["runs"]] == ["cifar10-wgan-gp", "mnist-wgan-gp"]
    for run in summary["runs"]:
        assert run["generator_steps"] > 0 and run["generator_steps_per_s"] > 0
        assert run["curve"][0]["step"] == 0 and len(run["curve"]) >= 2
        assert Path(run["report"]).is_file()
