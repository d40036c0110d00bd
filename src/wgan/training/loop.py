"""The training loop every trainer shares: steps, log lines, evaluations and checkpoints on their
schedules, the NaN guard (stop, or roll back to the last checkpoint), and Ctrl-C or SIGTERM (save
and stop after the current step)."""

from __future__ import annotations

import math
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch

from wgan import distributed
from wgan.errors import UserError
from wgan.reporting.progress import TrainingProgress
from wgan.reporting.tensorboard import open_logger
from wgan.training.checkpoint import list_checkpoints, load_latest
from wgan.training.rundir import (
    append_metrics,
    save_checkpoint_of,
    save_sample_grid,
    truncate_metrics,
)

if TYPE_CHECKING:
    from wgan.training.base import TrainerBase

_REPEAT_SIGNAL_S = 1.0  # a second Ctrl-C sooner than this is the same request (torchrun forwards)


class NonFiniteLossError(UserError):
    """A loss or a parameter became NaN or inf; the run keeps its last good checkpoint."""


def averages(trainer: TrainerBase) -> dict[str, float]:
    """The statistics summed since the last log line, averaged over the steps and the processes;
    NaN or inf stops the run (on every process, as all see the same averages)."""
    if trainer.sums:
        keys = list(trainer.sums)
        totals = distributed.mean_over_ranks_(torch.stack([trainer.sums[k] for k in keys]))
        trainer.sums = dict(zip(keys, totals, strict=True))  # kept reduced: checkpoints agree
    values = {key: float(total) / trainer.count for key, total in trainer.sums.items()}
    bad = [key for key, value in values.items() if not math.isfinite(value)]
    if bad:
        raise NonFiniteLossError(
            f"{', '.join(bad)} became NaN or inf before step {trainer.step}; the run stopped and "
            "kept its last good checkpoint. Lower the learning rates or raise the penalty, "
            "then `wgan resume` (or set on_nonfinite.action=rollback)"
        )
    return values


def check_parameters(trainer: TrainerBase) -> None:
    """A NaN gradient (e.g. of a norm at zero) can spoil the weights while the losses look fine."""
    for name, model in (("generator", trainer.generator), ("critic", trainer.critic)):
        if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
            raise NonFiniteLossError(
                f"the {name}'s parameters became NaN or inf before step {trainer.step}; the run "
                "stopped and kept its last good checkpoint. Lower the learning rates, then "
                "`wgan resume` (or set on_nonfinite.action=rollback)"
            )


def log_line(trainer: TrainerBase, elapsed: float, steps: int) -> dict[str, Any]:
    """The train record of the steps since the last one; starts the next sums."""
    record: dict[str, Any] = {"kind": "train", "step": trainer.step, **averages(trainer)}
    record["steps_per_s"] = steps / elapsed if elapsed > 0 else None
    trainer.sums, trainer.count = {}, 0
    return record


def save_checked(trainer: TrainerBase) -> None:
    """Save a checkpoint (rank 0), never one whose recent losses or weights are NaN or inf."""
    if trainer.count:
        averages(trainer)
    check_parameters(trainer)
    if distributed.is_main():
        save_checkpoint_of(trainer)


def roll_back(trainer: TrainerBase, error: NonFiniteLossError) -> dict[str, Any]:
    """Reload the newest checkpoint and lower the learning rates; the record to log.

    Every process does the same (they all saw the same NaN), reading the checkpoint rank 0 wrote.
    Without a checkpoint, or past `max_rollbacks`, the error stands.
    """
    policy = trainer.config.on_nonfinite
    run_dir = trainer.run_dir
    if trainer.rollbacks >= policy.max_rollbacks or not list_checkpoints(run_dir):
        raise NonFiniteLossError(f"{error} ({trainer.rollbacks} rollbacks done)") from None
    failed_at, rollbacks = trainer.step, trainer.rollbacks
    lr_scale = trainer.lr_scale * policy.lr_factor
    load_latest(run_dir, trainer.load_state_dict)
    trainer.lr_scale, trainer.rollbacks = lr_scale, rollbacks + 1
    if distributed.is_main():
        truncate_metrics(run_dir, trainer.step)
        print(
            f"wgan: warning: NaN or inf before step {failed_at}; rolled back to step "
            f"{trainer.step} with the learning rates scaled by {lr_scale:g}",
            file=sys.stderr,
        )
    return {"kind": "rollback", "step": trainer.step, "failed_at": failed_at, "lr_scale": lr_scale}


class StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM, as schedulers send, asks the loop to save and stop after the
    current step; another one, a second or more later, aborts. (torchrun forwards a terminal's
    Ctrl-C that its workers already got: that repeat is the same request.)"""

    def __init__(self) -> None:
        self.received = 0  # the signal this process got (0: none)
        self._first = 0.0

    def _handle(self, signum: int, frame: Any) -> None:
        if not self.received:
            self.received, self._first = signum, time.monotonic()
        elif time.monotonic() - self._first > _REPEAT_SIGNAL_S:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        previous: dict[signal.Signals, Any] = {}
        try:
            for kind in (signal.SIGINT, signal.SIGTERM):
                previous[kind] = signal.signal(kind, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            yield self
            return
        try:
            yield self
        finally:
            for kind, handler in previous.items():
                signal.signal(kind, handler)

    def agreed(self) -> int:
        """The signal any process was asked to stop on (0: none); every process learns it at
        the same step."""
        return distributed.max_over_ranks(self.received)


def train_until(
    trainer: TrainerBase,
    until: int,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> bool:
    """Train up to generator step `until`. Returns False when stopped early by a signal (after
    saving a checkpoint; `trainer.stop_signal` says which).

    Rank 0 holds the run's lock meanwhile (`wgan.training.lock`) and first drops the log lines
    written after the step the trainer is at (those of a run that was stopped after its last
    checkpoint, and a line a kill cut short).
    """
    main = distributed.is_main()
    with distributed.all_or_none():
        if main:
            trainer.lock.acquire()
    try:
        if main:
            truncate_metrics(trainer.run_dir, trainer.step if trainer.step else -1)
        return _train(trainer, until, on_record)
    finally:
        trainer.lock.release()


def _checkpoint_due(trainer: TrainerBase, final: bool, last_save: float) -> bool:
    """At every checkpoint.every steps, at the end, and when checkpoint.every_minutes have passed
    since the last save (so that a kill loses at most that much, however slow a step is). Every
    process takes rank 0's clock, so they agree."""
    cfg = trainer.config.checkpoint
    if trainer.step % cfg.every == 0 or final:
        return True
    if cfg.every_minutes is None:
        return False
    late = time.monotonic() - last_save >= 60.0 * cfg.every_minutes
    return bool(distributed.broadcast_int(int(late)))


def _train(
    trainer: TrainerBase,
    until: int,
    on_record: Callable[[dict[str, Any]], None] | None,
) -> bool:
    cfg = trainer.config
    main = distributed.is_main()
    last_time, last_step = time.perf_counter(), trainer.step
    last_save = time.monotonic()
    trainer.stop_signal = 0
    with (
        StopRequest().installed() as stop,
        TrainingProgress(trainer.step, until, quiet=trainer.quiet) as progress,
        open_logger(trainer) as log,
    ):

        def write(record: dict[str, Any]) -> None:
            if not main:
                return
            append_metrics(trainer.run_dir, record)
            progress.update(record)
            log(record)
            if on_record is not None:
                on_record(record)

        def evaluate() -> None:
            check_parameters(trainer)  # NaN samples would fail the distances
            if main:  # the others wait in their next collective
                write({"kind": "eval", **trainer.evaluate()})
                if cfg.is_image_run:
                    save_sample_grid(trainer)

        if trainer.step == 0:  # where the curves start
            evaluate()
        while trainer.step < until:
            trainer.stop_signal = stop.agreed()
            if trainer.stop_signal:
                break
            try:
                trainer.train_step()
                progress.advance(trainer.step)
                final = trainer.step == until
                if trainer.step % cfg.log.every == 0 or final:
                    now = time.perf_counter()
                    write(log_line(trainer, now - last_time, trainer.step - last_step))
                    last_time, last_step = now, trainer.step
                if trainer.step % cfg.eval.every == 0 or final:
                    evaluate()
                if _checkpoint_due(trainer, final, last_save):
                    save_checked(trainer)
                    last_save = time.monotonic()
            except NonFiniteLossError as error:
                if cfg.on_nonfinite.action != "rollback":
                    raise
                write(roll_back(trainer, error))
                progress.advance(trainer.step)
                last_time, last_step = time.perf_counter(), trainer.step
        if trainer.stop_signal:
            save_checked(trainer)
    return not trainer.stop_signal
