"""benchmarks/sgan_digits.py and sgan_curve.py run tiny (a few steps) on the digits and on
MNIST-format files, and write what they promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import benchmark_script

TINY = ["--set", "steps=3", "--set", "model.critic_width=4", "--set", "model.generator_width=4"]
TINY += ["--set", "batch_size=16", "--set", "eval.every=3", "--set", "eval.n=40"]


@pytest.mark.usefixtures("fast_classifier")
def test_sgan_benchmark_runs_tiny_on_digits_and_mnist_files(tmp_path: Path) -> None:
    sgan = benchmark_script("sgan_digits")
    sgan.main(["--labels", "20", "--seeds", "0", "--results", str(tmp_path), *TINY])
    result = json.loads((tmp_path / "sgan_digits.json").read_text())
    (record,) = result["records"]
    assert record["labels"] == 20 and record["supervised"]["updates"] == 3
    for accuracy in (record["sgan"]["accuracy"], record["supervised"]["accuracy"]):
        assert 0.0 <= accuracy <= 1.0
    assert record["svm"]["grid_folds"] == 2  # 2 labelled examples a class
    assert "2 logical CPUs" in result["machine"] or "CPU" in result["machine"]
    table = (tmp_path / "sgan_digits.md").read_text()
    assert "| 20 |" in table and "seeds: 0" in table

    mnist = benchmark_script("gpu_images").write_mnist_format(tmp_path / "mnist")
    sgan.main(["--mnist", str(mnist), "--labels", "10", "--seeds", "1", "--results",
               str(tmp_path), *TINY])  # fmt: skip
    (record,) = json.loads((tmp_path / "sgan_mnist.json").read_text())["records"]
    assert record["labels"] == 10 and 0.0 <= record["sgan"]["accuracy"] <= 1.0
    assert record["svm"]["accuracy_grid"] is None  # one example a class: no cross-validation
    assert "| 10 |" in (tmp_path / "sgan_mnist.md").read_text()


def test_sgan_curve_prints_eight_points(capsys: pytest.CaptureFixture[str]) -> None:
    benchmark_script("sgan_curve").main(["--steps", "8", "--seed", "0", *TINY[2:6]])
    line = capsys.readouterr().out.strip()
    assert line.startswith("seed 0 model.critic_width=4") and line.count(":") == 8
