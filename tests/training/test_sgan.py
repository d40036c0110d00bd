"""The semi-supervised GAN (gan sgan): its losses against hand-computed values, the labelled
examples (even over the classes, fixed by the seed), the critic's objective in a step, a short
run that learns from its labels and reports critic_test_accuracy, exact resume, config errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize

from conftest import tiny_image_config
from test_train import _params
from wgan import losses
from wgan.api import Run
from wgan.cli import main
from wgan.config import load_config
from wgan.data.labelled import LabelledExamples, even_subset
from wgan.data.sources import build_source
from wgan.errors import UserError
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run
from wgan.training.trainer import Trainer


def tiny_sgan(**fields: Any) -> Any:
    """digits-sgan at 8x8 with 8-channel models, batch 16, 50 labels, Adam 3e-3, no input noise:
    steps take milliseconds."""
    base: dict[str, Any] = {
        "steps": 6,
        "batch_size": 16,
        "device": "cpu",
        "data": {"labelled": 50},
        "model": {"latent_dim": 8, "generator_width": 8, "critic_width": 8},
        "optimizer": {"lr_generator": 3e-3, "lr_critic": 3e-3},
        "stabilizers": {"feature_matching": True, "instance_noise": {"std": 0.0}},
        "eval": {"every": 3, "n": 40},
        "checkpoint": {"every": 3, "keep": 2},
        "log": {"every": 2},
    }
    return load_config("digits-sgan", **{**base, **fields})


def test_unsupervised_loss_is_the_minimax_loss_of_log_z() -> None:
    # Real: Z = 1 + 3 = 4, D = 4/5; generated: Z = 1/2 + 1/2 = 1, D = 1/2.
    # -log(4/5) - log(1 - 1/2) = log(5/2): the generated logit is 0, not learnt.
    real = torch.tensor([[0.0, math.log(3.0)]])
    fake = torch.tensor([[math.log(0.5), math.log(0.5)]])
    scores = losses.semi_supervised_logit(real), losses.semi_supervised_logit(fake)
    torch.testing.assert_close(scores[0], torch.tensor([[math.log(4.0)]]))
    torch.testing.assert_close(losses.minimax_critic_loss(*scores), torch.tensor(math.log(2.5)))
    # Shifting the K logits shifts log Z alike: nothing normalises them against a K+1-th logit.
    shifted = losses.semi_supervised_logit(real + 2.0)
    torch.testing.assert_close(shifted, scores[0] + 2.0)


def test_supervised_loss_is_the_cross_entropy_of_the_k_logits() -> None:
    logits = torch.tensor([[0.0, math.log(3.0)], [math.log(2.0), 0.0]])
    labels = torch.tensor([1, 0])
    expected = (math.log(4.0 / 3.0) + math.log(3.0 / 2.0)) / 2  # -log(3/4), -log(2/3)
    got = losses.auxiliary_classifier_loss(logits, labels)
    torch.testing.assert_close(got, torch.tensor(expected))


def test_labelled_examples_are_even_over_the_classes_and_fixed_by_the_seed() -> None:
    labels = torch.arange(10).repeat(20)[
        torch.randperm(200, generator=torch.Generator().manual_seed(1))
    ]
    index = even_subset(labels, 25, 10, seed=0)
    counts = torch.bincount(labels[index], minlength=10)
    assert len(index) == len(set(index.tolist())) == 25
    assert sorted(counts.tolist()) == [2] * 5 + [3] * 5
    assert torch.equal(index, even_subset(labels, 25, 10, seed=0))
    assert not torch.equal(index, even_subset(labels, 25, 10, seed=1))
    with pytest.raises(UserError, match="fewer than the data's 10 classes"):
        even_subset(labels, 9, 10, seed=0)
    with pytest.raises(UserError, match="class"):
        even_subset(labels, 250, 10, seed=0)


def test_labelled_examples_of_the_digits_keep_their_labels() -> None:
    config = tiny_sgan()
    source = build_source(config, torch.device("cpu"))
    examples = LabelledExamples(source, 50, seed=0)
    assert torch.bincount(source.training_labels()[examples.index]).tolist() == [5] * 10
    x, y = examples.batch(70, torch.Generator().manual_seed(0))  # more than the examples
    assert x.shape == (70, 1, 8, 8) and torch.bincount(y, minlength=10).min() >= 5
    expected_x, expected_y = source.labelled_items(examples.index)
    rows = [int(torch.nonzero((expected_x == xi).all(dim=(1, 2, 3)))[0]) for xi in x[:10]]
    assert torch.equal(expected_y[rows], y[:10])


def test_critic_step_minimises_the_unsupervised_plus_the_supervised_loss(tmp_path: Path) -> None:
    """The objective of a step, recomputed from the logits the critic gave the step's batches."""
    config = tiny_sgan(sgan={"supervised_weight": 0.5})
    trainer = Trainer(config, tmp_path, quiet=True)
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []  # (scores, logits) of each critic call
    call = trainer._critic_call

    def recorded(x: torch.Tensor, labels: torch.Tensor | None) -> Any:
        calls.append(call(x, labels))  # type: ignore[arg-type]
        return calls[-1]

    trainer._critic_call = recorded
    drawn = []
    labelled_batch = trainer.kind.labelled_batch

    def recorded_batch(*args: Any, **kwargs: Any) -> Any:
        drawn.append(labelled_batch(*args, **kwargs))
        return drawn[-1]

    trainer.kind.labelled_batch = recorded_batch  # type: ignore[method-assign]
    objectives: list[losses.CriticObjective] = []
    update = trainer.critic_update
    trainer.critic_update = lambda o: objectives.append(o) or update(o)  # type: ignore[method-assign]
    trainer.critic_step()
    (objective,), ((_, both), (_, labelled)), ((_, labels),) = objectives, calls, drawn
    m = config.batch_size
    unsupervised = losses.minimax_critic_loss(
        losses.semi_supervised_logit(both[:m]), losses.semi_supervised_logit(both[m:])
    )
    supervised = losses.auxiliary_classifier_loss(labelled, labels)
    assert objective.penalty is None
    torch.testing.assert_close(objective.loss, unsupervised + 0.5 * supervised)
    torch.testing.assert_close(objective.stats["critic_loss"], unsupervised.detach())


@pytest.mark.usefixtures("fast_classifier")
def test_a_short_run_learns_from_its_labels(tmp_path: Path) -> None:
    """60 steps on 50 labels: the critic classifies the held-out digits far above chance (0.1;
    0.85 measured), and a run whose labels are permuted does not (the labels are what it learns
    from)."""
    config = tiny_sgan(steps=60, eval={"every": 60, "n": 40})
    trainer = start_run(config, tmp_path / "run", quiet=True)
    train_until(trainer, 60)
    accuracy = trainer.evaluate()["critic_test_accuracy"]
    assert accuracy > 0.6
    labels = trainer.source.holdout_labels(1000)
    assert labels is not None
    classes = Run(trainer).classify(trainer.source.holdout(1000).numpy())
    assert classes.shape == labels.shape and (classes == labels.numpy()).mean() == accuracy
    Run(trainer).write_report()  # the evaluation table shows the accuracy of step 60
    assert "critic test accuracy" in (tmp_path / "run" / "report.md").read_text()

    shuffled = start_run(config, tmp_path / "shuffled", quiet=True)
    supervised_terms = shuffled.kind.supervised_terms
    permutation = torch.randperm(10, generator=torch.Generator().manual_seed(0))

    def wrong_labels(logits: torch.Tensor, labels: torch.Tensor) -> Any:
        return supervised_terms(logits, permutation[(labels + 1) % 10])

    shuffled.kind.supervised_terms = wrong_labels  # type: ignore[method-assign]
    train_until(shuffled, 60)
    assert shuffled.evaluate()["critic_test_accuracy"] < 0.3


@pytest.mark.usefixtures("fast_classifier")
def test_resumed_sgan_run_equals_uninterrupted_run_to_the_bit(tmp_path: Path) -> None:
    config = tiny_sgan(stabilizers={"feature_matching": True, "instance_noise": {"std": 0.1}})
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 6)
    halted = start_run(config, tmp_path / "halted", quiet=True)
    train_until(halted, 3)
    resumed = open_run(tmp_path / "halted", quiet=True)
    assert isinstance(resumed, Trainer) and resumed.step == 3
    train_until(resumed, 6)
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(straight.rng.get_state(), resumed.rng.get_state())
    examples = straight.kind.examples, resumed.kind.examples  # type: ignore[attr-defined]
    assert torch.equal(examples[0].index, examples[1].index)
    assert examples[0].order.state_dict()["pos"] == examples[1].order.state_dict()["pos"]


@pytest.mark.usefixtures("fast_classifier")
def test_only_sgan_runs_report_critic_test_accuracy(tmp_path: Path) -> None:
    plain = Trainer(tiny_image_config(), tmp_path / "plain", quiet=True)
    assert plain.evaluate()["critic_test_accuracy"] is None
    with pytest.raises(UserError, match="classify is for runs of gan sgan"):
        Run(plain).classify(np.zeros((2, 1, 8, 8), dtype=np.float32))
    result = Trainer(tiny_sgan(), tmp_path / "sgan", quiet=True).evaluate()
    assert 0.0 <= result["critic_test_accuracy"] <= 1.0
    assert result["critic_lipschitz_bound"] > 0
    # A spectrally normalised critic's K-output head is normalised as its one-output head was.
    normalised = Trainer(tiny_sgan(model={"critic_norm": "sn"}), tmp_path / "sn", quiet=True)
    assert parametrize.is_parametrized(normalised.critic.base.head, "weight")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"data": {"labelled": None}}, "gan 'sgan' needs data.labelled"),
        ({"data": {"labelled": 5}}, "fewer than the digits' 10 classes"),
        ({"loss": "nonsaturating"}, "set loss to minimax"),
        ({"stabilizers": {"feature_matching": False}}, "feature matching"),
        ({"gan": "acgan", "loss": "wasserstein", "lipschitz": {"method": "gp"},
          "stabilizers": {"feature_matching": False}}, "data.labelled is for gan 'sgan'"),
    ],
)  # fmt: skip
def test_config_refuses_what_makes_no_sense(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=message):
        tiny_sgan(**fields)


def test_config_refuses_labels_on_toy_data_and_unlabelled_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="sampled afresh"):
        load_config(None, gan="sgan", loss="minimax", data={"labelled": 10},
                    stabilizers={"feature_matching": True})  # fmt: skip
    points = tmp_path / "points.csv"
    points.write_text("x,y\n" + "\n".join(f"{i},{i % 7}" for i in range(40)))
    config = load_config(
        None,
        gan="sgan",
        loss="minimax",
        lipschitz={"method": "none"},
        stabilizers={"feature_matching": True},
        data={"name": "points", "path": str(points), "labelled": 10},
        batch_size=8,
    )
    with pytest.raises(UserError, match="none with labels"):
        Trainer(config, tmp_path / "run", quiet=True)


def test_an_sgan_run_on_labelled_points_reports_its_critic_accuracy(tmp_path: Path) -> None:
    """Three well-separated clusters of a .csv with a label column, 2 labels a class: the critic
    classifies the held-out points, which it sees standardised as in training."""
    rng = np.random.default_rng(0)
    labels = rng.integers(3, size=300)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = centres[labels] + rng.normal(size=(300, 2))
    path = tmp_path / "points.csv"
    rows = [f"{x:.4f},{y:.4f},{k}" for (x, y), k in zip(points, labels, strict=True)]
    path.write_text("x,y,label\n" + "\n".join(rows) + "\n")
    config = load_config(
        None,
        gan="sgan",
        loss="minimax",
        lipschitz={"method": "none"},
        stabilizers={"feature_matching": True},
        data={"name": "points", "path": str(path), "labelled": 6},
        model={"generator_width": 16, "critic_width": 16, "generator_depth": 1},
        optimizer={"lr_generator": 3e-3, "lr_critic": 3e-3},
        batch_size=32,
        steps=40,
        device="cpu",
        eval={"every": 40, "n": 60},
    )
    trainer = start_run(config, tmp_path / "run", quiet=True)
    train_until(trainer, 40)
    assert trainer.evaluate()["critic_test_accuracy"] > 0.9


@pytest.mark.usefixtures("fast_classifier")
def test_cli_trains_and_evaluates_an_sgan_run_and_refuses_too_few_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    tiny = ["--set", "model.critic_width=4", "--set", "model.generator_width=4"]
    tiny += ["--set", "batch_size=16", "--set", "eval.every=2", "--set", "eval.n=40"]
    tiny += ["--device", "cpu", "--quiet"]
    assert main(["train", "digits-sgan", "--steps", "2", "--out", str(out), *tiny]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "40"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 2 and 0.0 <= result["critic_test_accuracy"] <= 1.0
    assert (
        main(["train", "digits-sgan", "--out", str(tmp_path / "b"), "--set", "data.labelled=5"])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "fewer than the digits' 10 classes" in err and "\n" not in err
