"""A wall-clock budget turned into a step count (`wgan train --time 60s`).

The steps are resolved once, before the run starts, from a short timing of the same config on a
throwaway trainer: its steps per second and the cost of its evaluations. The run then trains for
that many steps, which its config.yaml records, so it stays reproducible and resumable (a budget
read from the clock at every step would make the run's length depend on the machine's load).
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wgan.config import Config
from wgan.errors import UserError

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
WARMUP_STEPS = 3  # not timed: the first steps allocate and warm the caches
TIMING_SECONDS = 2.0  # steps are timed until this much time has passed (at least 5 steps)
MIN_STEPS = 10


def parse_duration(text: str) -> float:
    """Seconds in '90', '90s', '2m', '1.5h' (a positive number, then s, m, min or h)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(s|m|min|h)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise UserError(f"--time expects a positive duration such as 90s, 2m or 1h, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or ""]


@dataclass(frozen=True)
class Timing:
    """What a config costs here, measured on a throwaway trainer."""

    steps_per_s: float  # training steps per second
    first_eval_s: float  # the first evaluation (it also computes the noise floors)
    eval_s: float  # each later evaluation
    timing_s: float  # what the timing itself took


@dataclass(frozen=True)
class BudgetPlan:
    steps: int
    timing: Timing

    def describe(self, seconds: float) -> str:
        t = self.timing
        return (
            f"--time {seconds:g}s: {self.steps} generator steps (measured {t.steps_per_s:.1f} "
            f"steps/s, evaluations {t.first_eval_s:.1f} s then {t.eval_s:.1f} s each; "
            f"the timing took {t.timing_s:.1f} s)"
        )


CLOCKS: dict[str, Callable[[], float]] = {
    "wall": time.perf_counter,  # wall-clock seconds
    # CPU seconds of this process: on a machine shared with other jobs, the compute a run had.
    "cpu": time.process_time,
}


def measure(config: Config, clock: str = "wall", *, evaluations: bool = True) -> Timing:
    """Steps per second of `config` and the cost of its evaluations (0 when `evaluations` is
    False), timed on a throwaway trainer (after WARMUP_STEPS untimed steps, for TIMING_SECONDS
    and at least 5 steps), in seconds of `clock` (CLOCKS)."""
    from wgan.training.rundir import make_trainer

    now = CLOCKS[clock]
    start = now()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(config, Path(tmp), quiet=True)
        for _ in range(WARMUP_STEPS):
            trainer.train_step()
        timed, began, wall_began = 0, now(), time.perf_counter()
        while timed < 5 or time.perf_counter() - wall_began < TIMING_SECONDS:
            trainer.train_step()
            timed += 1
        rate = timed / (now() - began)
        first_eval = eval_s = 0.0
        if evaluations:
            began = now()
            trainer.evaluate()
            first_eval = now() - began
            began = now()
            trainer.evaluate()
            eval_s = now() - began
    return Timing(rate, first_eval, eval_s, now() - start)


def plan_steps(config: Config, seconds: float) -> BudgetPlan:
    """The generator steps of `config` that fit in `seconds` of wall-clock, evaluations and this
    timing included: steps / rate + (steps / eval.every) * eval_s + first_eval_s = what is left."""
    t = measure(config)
    left = seconds - t.timing_s - t.first_eval_s
    steps = (
        math.floor(left / (1.0 / t.steps_per_s + t.eval_s / config.eval.every)) if left > 0 else 0
    )
    if steps < MIN_STEPS:
        raise UserError(
            f"--time {seconds:g}s leaves time for {max(steps, 0)} steps of this config "
            f"({t.steps_per_s:.1f} steps/s, {t.first_eval_s + t.timing_s:.1f} s to time it and "
            "evaluate once); give a longer budget"
        )
    return BudgetPlan(steps, t)
