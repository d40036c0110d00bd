"""Runs of the conditional GANs and CycleGAN end to end: exact resume, evaluation keys, samples
with --label, the CLI with labelled files and two --data paths, and the config's refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from conftest import tiny_config, tiny_image_config
from test_cli import TINY
from test_faults import test_rollback_restores_every_method_exactly as rollback_check
from test_train import _params
from wgan.api import Run, load_run
from wgan.cli import main
from wgan.errors import UserError
from wgan.training.loop import train_until
from wgan.training.rundir import make_trainer, open_run, start_run

DIGITS_B = {"name": "digits", "resolution": 8, "channels": 1, "transform": "invert"}
KINDS: dict[str, Any] = {
    "cgan-projection": tiny_config(gan="cgan", ema_decay=0.9),
    "cgan-concat": tiny_config(gan="cgan", cgan={"critic": "concat"}, precision="bf16"),
    "acgan": tiny_config(gan="acgan", lipschitz={"method": "clip"}),
    "infogan": tiny_config(gan="infogan", infogan={"categories": 3, "continuous": 2}),
    "cyclegan-points": tiny_config(
        gan="cyclegan",
        data={"name": "swissroll"},
        data_b={"name": "swissroll", "transform": "invert"},
        ema_decay=0.9,
    ),
    "cyclegan-gaussians": tiny_config(
        gan="cyclegan", data_b={"name": "8gaussians", "transform": "rotate90"}
    ),
    "cgan-digits": tiny_image_config(gan="cgan", cgan={"critic": "concat"}),
    "infogan-digits": tiny_image_config(gan="infogan"),
    "cyclegan-digits": tiny_image_config(gan="cyclegan", data_b=DIGITS_B, ema_decay=0.9),
}


@pytest.mark.usefixtures("fast_classifier")
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_resumed_run_equals_uninterrupted_run_to_the_bit(tmp_path: Path, kind: str) -> None:
    config = KINDS[kind].model_copy(update={"steps": 6})
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 6)
    halted = start_run(config, tmp_path / "halted", quiet=True)
    train_until(halted, 3)  # stops at step 3 with a checkpoint, as if killed after it
    resumed = open_run(tmp_path / "halted", quiet=True)
    assert resumed.step == 3 and type(resumed) is type(straight)
    train_until(resumed, 6)
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(straight.rng.get_state(), resumed.rng.get_state())
    Run(resumed).write_report()
    report = (tmp_path / "halted" / "report.md").read_text()
    if not kind.startswith("cyclegan"):
        assert (tmp_path / "halted" / "codes.png").stat().st_size > 5000
        assert "## Codes" in report
    else:
        assert "cycle error" in report


@pytest.mark.parametrize(
    "fields",
    [
        {"gan": "cgan", "cgan": {"critic": "concat"}},
        {"gan": "infogan"},
        {"gan": "cyclegan", "data_b": {"name": "8gaussians", "transform": "invert"}},
    ],
    ids=["cgan", "infogan", "cyclegan"],
)
def test_rollback_restores_every_kind_exactly(tmp_path: Path, fields: dict[str, Any]) -> None:
    rollback_check(tmp_path, fields)


@pytest.mark.usefixtures("fast_classifier")
def test_evaluation_keys_of_each_kind(tmp_path: Path) -> None:
    def keys(kind: str) -> dict[str, Any]:
        return make_trainer(KINDS[kind], tmp_path / kind, quiet=True).evaluate()

    for kind in ("cgan-projection", "acgan", "cgan-digits"):
        result = keys(kind)
        assert 0 <= result["label_accuracy"] <= 1 and result["critic_w_estimate"] is not None
        assert result["critic_lipschitz_bound"] > 0
    assert 0 < keys("infogan")["code_class_agreement"] <= 1
    assert 0 < keys("infogan-digits")["code_class_agreement"] <= 1
    cycle = keys("cyclegan-digits")
    for key in ("w1_ab", "w1_ba", "cycle_error_a", "cycle_error_b", "translation_error_ab"):
        assert cycle[key] > 0
    assert cycle["translation_baseline_ab"] == cycle["translation_baseline_ba"]  # T = T^-1
    assert cycle["fid"] is None and cycle["feature_extractor"] is None
    bounds = [cycle["critic_lipschitz_bound_a"], cycle["critic_lipschitz_bound_b"]]
    assert min(bounds) > 0 and cycle["critic_lipschitz_bound"] == max(bounds)
    points = keys("cyclegan-points")
    assert points["translation_error_ab"] is not None  # swiss roll -> inverted swiss roll
    assert points["w1"] == points["w1_ab"] and points["modes_total"] is None
    modes = keys("cyclegan-gaussians")["modes_total"]
    assert modes == 8
    other = tiny_config(gan="cyclegan", data_b={"name": "8gaussians"})
    assert (
        make_trainer(other, tmp_path / "other", quiet=True).evaluate()["translation_error_ab"]
        is None
    )  # no known map between two different data sets
    unconditional = make_trainer(tiny_config(), tmp_path / "plain", quiet=True).evaluate()
    assert "label_accuracy" not in unconditional and "code_class_agreement" not in unconditional


def test_samples_of_a_label_and_the_same_z_across_labels(tmp_path: Path) -> None:
    run = Run(make_trainer(KINDS["infogan"], tmp_path, quiet=True))
    assert run.n_classes == 3
    grid = run.class_grid(5)
    assert grid.shape == (3, 5, 2)
    np.testing.assert_array_equal(grid[1], run.sample(5, label=1, seed=1))
    assert not np.array_equal(grid[0], grid[1])
    traversal = run.code_traversal(1, rows=4, steps=7)
    assert traversal.shape == (4, 7, 2)
    with pytest.raises(UserError, match="label 3 is not a class"):
        run.sample(5, label=3)
    with pytest.raises(UserError, match="--label is for runs of gan cgan"):
        Run(make_trainer(tiny_config(), tmp_path / "plain", quiet=True)).sample(5, label=0)


def test_cli_conditional_run_on_a_labelled_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=150)
    points = labels[:, None] * 2.0 + rng.normal(scale=0.1, size=(150, 2))
    data = tmp_path / "labelled.csv"
    rows = [f"{x:.4f},{y:.4f},{k}" for (x, y), k in zip(points, labels, strict=True)]
    data.write_text("x,y,label\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    command = ["train", "8gaussians-cgan", "--data", str(data), "--steps", "4", "--out", str(out)]
    assert main([*command, *TINY]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    assert 0 <= json.loads(capsys.readouterr().out)["label_accuracy"] <= 1
    assert main(["sample", str(out), "-n", "7", "--label", "2", "-o", str(tmp_path / "k.npy")]) == 0
    assert np.load(tmp_path / "k.npy").shape == (7, 2)
    capsys.readouterr()
    assert main(["sample", str(out), "-n", "7", "--label", "3", "-o", str(tmp_path / "x.npy")]) == 2
    assert "classes are 0..2" in capsys.readouterr().err


def test_cli_cyclegan_takes_two_data_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.normal(size=(120, 2)))
    np.save(tmp_path / "b.npy", rng.normal(size=(120, 2)) + 3.0)
    out = tmp_path / "run"
    paths = ["--data", str(tmp_path / "a.npy"), "--data", str(tmp_path / "b.npy")]
    assert (
        main(["train", "swissroll-cyclegan", *paths, "--steps", "2", "--out", str(out), *TINY]) == 0
    )
    config = load_run(out).config
    assert config.data.path == str(tmp_path / "a.npy") and config.data.name == "points"
    assert config.data_b is not None and config.data_b.transform == "none"
    assert main(["sample", str(out), "-n", "10", "-o", str(tmp_path / "t.npy")]) == 0
    assert np.load(tmp_path / "t.npy").shape == (10, 2)  # translations of held-out A
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data", str(tmp_path / "a.npy")]) == 2
    assert "held-out sets of its two domains" in capsys.readouterr().err
    assert main(["train", "8gaussians-cgan", *paths, "--out", str(tmp_path / "x")]) == 2
    assert "data_b (a second domain, or a second --data PATH) is for gan 'cyclegan'" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"gan": "cgan", "data": {"name": "swissroll"}}, "swiss roll has none"),
        ({"gan": "cyclegan"}, "needs data_b"),
        ({"gan": "acgan", "data_b": {"name": "8gaussians"}}, "is for gan 'cyclegan'"),
        ({"data": {"transform": "invert"}}, "data.transform makes a second domain"),
        ({"gan": "infogan", "infogan": {"categories": 0, "continuous": 0}}, "categories or"),
        ({"gan": "infogan", "infogan": {"categories": 1}}, "constant code"),
        ({"gan": "cgan", "loss": "ebgan", "lipschitz": {"method": "none"}}, "linear head"),
        ({"gan": "cyclegan", "data_b": {"name": "digits"}}, "of one kind"),
        ({"gan": "cgan", "cgan": {"critic": "dot"}}, "cgan.critic"),
        ({"gan": "cyclegan", "data_b": {"name": "points"}}, "data_b.name 'points' needs"),
        ({"gan": "cyclegan", "data_b": {"nmae": "8gaussians"}}, "did you mean 'data_b.name'"),
    ],
)
def test_config_refusals_name_the_keys(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=message):
        tiny_config(**fields)


def test_identity_loss_needs_domains_of_one_shape(tmp_path: Path) -> None:
    np.save(tmp_path / "b.npy", np.random.default_rng(0).normal(size=(80, 3)))
    config = tiny_config(
        gan="cyclegan",
        data_b={"name": "points", "path": str(tmp_path / "b.npy")},
        cyclegan={"identity_weight": 1.0},
    )
    with pytest.raises(UserError, match="identity_weight needs domains of one shape"):
        make_trainer(config, tmp_path / "run", quiet=True)
