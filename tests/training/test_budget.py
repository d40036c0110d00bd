"""`wgan train --time`: a wall-clock budget resolved once into a step count."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import tiny_config
from wgan.cli import main
from wgan.errors import UserError
from wgan.training import budget
from wgan.training.budget import parse_duration, plan_steps


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("90s", 90.0), ("2m", 120.0), ("1.5h", 5400.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "-5", "5 days", "fast"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(UserError, match="--time expects a positive duration"):
        parse_duration(text)


def test_the_steps_fill_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "TIMING_SECONDS", 0.2)
    config = tiny_config(eval={"every": 50, "n": 100})
    plan = plan_steps(config, 20.0)
    # The plan's own arithmetic: training, evaluations and the timing fill the 20 s.
    t = plan.timing
    spent = t.timing_s + t.first_eval_s + plan.steps / t.steps_per_s + plan.steps / 50 * t.eval_s
    assert spent == pytest.approx(20.0, abs=0.5)
    assert plan.steps > 100  # a tiny config makes hundreds of steps a second


def test_too_short_a_budget_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "TIMING_SECONDS", 0.1)
    with pytest.raises(UserError, match="give a longer budget"):
        plan_steps(tiny_config(), 0.01)


def test_train_time_records_the_steps_and_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(budget, "TIMING_SECONDS", 0.2)
    monkeypatch.setattr(budget, "plan_steps", _fixed_plan)
    out = tmp_path / "run"
    tiny = ["--set", "model.generator_width=16", "--set", "model.critic_width=16"]
    args = ["train", "--time", "1m", *tiny, "--set", "eval.every=4", "--set", "eval.n=100"]
    args += ["--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["steps"] == 8 and saved["time_budget_s"] == 60.0
    # --resume of the same command keeps the steps it resolved, without timing again.
    monkeypatch.setattr(budget, "plan_steps", _no_plan)
    assert main([*args, "--quiet", "--resume"]) == 0
    assert main([*args, "--steps", "5"]) == 2
    assert "give --time or --steps, not both" in capsys.readouterr().err


def _fixed_plan(config: object, seconds: float) -> budget.BudgetPlan:
    assert seconds == 60.0
    return budget.BudgetPlan(8, budget.Timing(100.0, 0.1, 0.1, 0.1))


def _no_plan(config: object, seconds: float) -> budget.BudgetPlan:
    raise AssertionError("a resumed run must not be timed again")
