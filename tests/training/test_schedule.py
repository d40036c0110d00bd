"""The learning-rate schedule's horizon is explicit in a run's config, and a resume past it says
what it does to the schedule and lets the user choose."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import tiny_config
from test_cli import TINY
from wgan.cli import main
from wgan.config import load_config
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run

LINEAR = {"lr_decay": "linear", "lr_generator": 1e-3, "lr_critic": 1e-3}


def _lr(trainer: object) -> float:
    return float(trainer.g_opt.param_groups[0]["lr"])  # type: ignore[attr-defined]


def test_a_new_run_writes_where_its_decay_ends(tmp_path: Path) -> None:
    train_until(start_run(tiny_config(steps=4, optimizer=LINEAR), tmp_path / "a", quiet=True), 4)
    assert load_config(tmp_path / "a" / "config.yaml").optimizer.decay_steps == 4
    constant = start_run(
        tiny_config(steps=4, optimizer={"lr_decay": "constant"}), tmp_path / "b", quiet=True
    )
    assert constant.config.optimizer.decay_steps is None


def test_a_resume_within_the_schedule_equals_one_run(tmp_path: Path) -> None:
    config = tiny_config(steps=8, optimizer=LINEAR)
    straight = start_run(config, tmp_path / "straight", quiet=True)
    train_until(straight, 8)
    train_until(start_run(config, tmp_path / "halted", quiet=True), 4)
    resumed = open_run(tmp_path / "halted", steps=8, quiet=True, write=True)
    train_until(resumed, 8)
    for a, b in zip(resumed.generator.parameters(), straight.generator.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("schedule", ["stretch", "keep"])
def test_a_resume_past_the_decay_says_what_it_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: str
) -> None:
    out = tmp_path / "run"
    args = [*TINY, "--set", "optimizer.lr_decay=linear", "--set", "optimizer.lr_generator=0.001"]
    assert main(["train", "--steps", "4", *args, "--out", str(out)]) == 0
    capsys.readouterr()
    code = main(["resume", str(out), "--steps", "8", "--schedule", schedule, "--quiet"])
    assert code == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "note" in line]
    saved = load_config(out / "config.yaml")
    resumed = open_run(out, quiet=True)
    assert saved.steps == 8 and resumed.step == 8
    if schedule == "stretch":
        assert notes == [
            "wgan: note: the learning rates' linear decay now reaches zero at step 8 instead of "
            "4 (--schedule stretch): from here the run follows that schedule, so it will not "
            "equal a run trained to 8 in one go; --schedule keep leaves the decay ending at 4"
        ]
        assert saved.optimizer.decay_steps == 8
        assert _lr(resumed) == pytest.approx(1e-3 * (1 - 7 / 8))  # the rate of its last step
    else:
        assert len(notes) == 1 and "stays there (--schedule keep)" in notes[0]
        assert saved.optimizer.decay_steps == 4
        assert _lr(resumed) == 0.0


def test_a_stretched_run_is_not_a_run_to_its_new_total(tmp_path: Path) -> None:
    one_go = start_run(tiny_config(steps=8, optimizer=LINEAR), tmp_path / "one", quiet=True)
    train_until(one_go, 8)
    first = start_run(tiny_config(steps=4, optimizer=LINEAR), tmp_path / "two", quiet=True)
    train_until(first, 4)
    stretched = open_run(tmp_path / "two", steps=8, quiet=True, write=True)
    train_until(stretched, 8)
    gaps = [
        float((a - b).detach().abs().max())
        for a, b in zip(
            stretched.generator.parameters(), one_go.generator.parameters(), strict=True
        )
    ]
    assert max(gaps) > 1e-4  # what docs/training.md says: an extension is another run
