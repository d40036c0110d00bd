"""The progress bar of a training run: step, critic W estimate, penalty, exact W1 (FID for images,
W1 and the cycle error for CycleGAN) and steps/s."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class TrainingProgress:
    """A rich progress bar on a terminal; one plain line per evaluation elsewhere (logs, CI)."""

    def __init__(self, start: int, total: int, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True)
        self.interactive = self.console.is_terminal and not quiet
        self.fields: dict[str, Any] = {"w": "", "gp": "", "w1": "", "speed": ""}
        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[w]} {task.fields[gp]} {task.fields[w1]} {task.fields[speed]}"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.interactive,
        )
        self.task = self.progress.add_task("train", total=total, completed=start, **self.fields)

    def __enter__(self) -> TrainingProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def warn(self, message: str) -> None:
        """A warning line above the bar (or in the log), unless quiet."""
        if not self.quiet:
            self.console.print(f"wgan: warning: {message}", markup=False, highlight=False)

    def advance(self, step: int) -> None:
        self.progress.update(self.task, completed=step)

    def update(self, record: dict[str, Any]) -> None:
        if record["kind"] == "train":
            self.fields["w"] = f"W est {record['critic_w_estimate']:.4f}"
            if "penalty" in record:
                self.fields["gp"] = f"GP {record['penalty']:.4f}"
            if record.get("steps_per_s"):
                self.fields["speed"] = f"{record['steps_per_s']:.1f} it/s"
        elif record["kind"] == "eval" and "w1" in record:
            self.fields["w1"] = f"W1 {record['w1']:.4f} (floor {record['w1_noise_floor']:.4f})"
        elif record["kind"] == "eval" and "w1_ab" in record:  # CycleGAN
            self.fields["w1"] = (
                f"W1 G(A)-B {record['w1_ab']:.4f} (floor {record['w1_ab_noise_floor']:.4f}) "
                f"cycle error {record['cycle_error_a']:.4f}"
            )
        elif record["kind"] == "eval":  # images
            fid = record["fid"]
            shown = f"FID {fid:.2f}" if fid is not None else f"W1 px {record['w1_pixels']:.2f}"
            if record["classes_total"]:
                shown += f" classes {record['classes_covered']}/{record['classes_total']}"
            if record.get("mode_kl") is not None:  # stacked images
                shown += f" modes {record['modes_covered']}/{record['modes_total']}"
            self.fields["w1"] = shown
        if record["kind"] == "eval":
            if not self.interactive and not self.quiet:
                print(
                    f"step {record['step']}: {self.fields['w']} {self.fields['w1']}",
                    file=sys.stderr,
                )
        self.progress.update(self.task, **self.fields)
