"""Stacked MNIST end to end on small IDX files: training, resume, `wgan evaluate`'s mode keys."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from data.test_stacked import write_patch_mnist
from test_train import _params
from wgan.cli import main
from wgan.config import load_config
from wgan.data.sources import StackedSource, build_source
from wgan.evaluation.images import _stacked_modes
from wgan.metrics.features import Features
from wgan.metrics.modes import stacked_modes
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run

TINY = [
    "--set", "data.resolution=8", "--set", "model.latent_dim=8",
    "--set", "model.generator_width=4", "--set", "model.critic_width=4",
    "--set", "batch_size=16", "--set", "eval.every=2", "--set", "eval.n=40",
    "--set", "checkpoint.every=2", "--set", "precision=fp32", "--device", "cpu", "--quiet",
]  # fmt: skip


@pytest.mark.usefixtures("fast_classifier")
def test_train_then_evaluate_counts_modes_of_1000(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = write_patch_mnist(tmp_path / "mnist"), tmp_path / "run"
    argv = ["train", "stackedmnist-wgan-gp", "--data", str(data), "--steps", "2", "--out", str(out)]
    assert main([*argv, *TINY]) == 0
    assert "| modes | mode KL |" in (out / "report.md").read_text()
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "50"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 2 and result["n"] == 30  # the 30 held-out stacks
    assert result["modes_total"] == 1000 and 1 <= result["modes_covered"] <= 50
    assert 0 <= result["mode_kl"] <= math.log(1000)
    assert result["protocol"]["n_fake_modes"] == 50  # modes counted on all n generated images
    assert result["classes_covered"] is None and result["w1_pixels"] > 0
    assert 0 <= result["classifier_accuracy"] <= 1  # the digit classifier's, on held-out digits
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (4, 3, 8, 8)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "leave out --data" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "stackedmnist-wgan-gp", "--out", str(tmp_path / "none")]) == 2
    assert "needs data.path (or --data PATH)" in capsys.readouterr().err


class _PatchReader:
    """Stands in for the digit classifier: reads the class of a patch digit off its bright patch."""

    n_classes = 10

    def __call__(self, images: torch.Tensor) -> Features:
        assert images.shape[1:] == (1, 8, 8)
        places = [(2 * (k // 4), 2 * (k % 4)) for k in range(10)]
        brightness = torch.stack(
            [images[:, 0, r : r + 2, c : c + 2].mean((1, 2)) for r, c in places]
        )
        probs = torch.nn.functional.one_hot(brightness.argmax(0), 10).double().numpy()
        return Features(np.zeros((len(images), 1)), probs)


def test_each_channel_is_classified_in_order(tmp_path: Path) -> None:
    config = load_config(
        "stackedmnist-wgan-gp", data={"path": str(write_patch_mnist(tmp_path)), "resolution": 8}
    )
    source = build_source(config, torch.device("cpu"))
    assert isinstance(source, StackedSource)
    labels = source.digits.held.labels
    assert labels is not None
    truth = stacked_modes(labels[source.held_stacks])
    assert _stacked_modes(_PatchReader(), source.holdout(30)) == {
        "modes_covered": truth.covered,
        "modes_total": 1000,
        "mode_kl": truth.kl,
    }
    # Three copies of one triple and another: 2 modes; a mix-up of channels between samples
    # would see more.
    train = source.digits.train
    assert train.labels is not None
    by_class = {k: train.take(np.flatnonzero(train.labels == k)[:1]) for k in range(1, 7)}
    triples = [(1, 2, 3)] * 3 + [(4, 5, 6)]
    fake = torch.stack([torch.cat([by_class[d] for d in triple], dim=1)[0] for triple in triples])
    assert fake.shape == (4, 3, 8, 8)
    assert _stacked_modes(_PatchReader(), fake) == {
        "modes_covered": 2,
        "modes_total": 1000,
        "mode_kl": 0.75 * math.log(750) + 0.25 * math.log(250),
    }


@pytest.mark.usefixtures("fast_classifier")
def test_stacked_run_resumes_to_the_bit(tmp_path: Path) -> None:
    data = {"path": str(write_patch_mnist(tmp_path / "mnist")), "resolution": 8}
    config = load_config(
        "stackedmnist-wgan-gp", data=data, steps=6, batch_size=16, precision="fp32",
        device="cpu", model={"latent_dim": 8, "generator_width": 4, "critic_width": 4},
        eval={"every": 1000, "n": 20}, checkpoint={"every": 4}, log={"every": 2},
    )  # fmt: skip
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 6)
    halted = start_run(config, tmp_path / "halted", quiet=True)
    train_until(halted, 4)
    resumed = open_run(tmp_path / "halted", quiet=True)
    train_until(resumed, 6)
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)
