"""The training loop every trainer shares: steps, log lines, evaluations and checkpoints on their
schedules, with the guards of `wgan.training.guard` (NaN or inf, Ctrl-C and SIGTERM) around them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wgan import distributed
from wgan.reporting.diagnosis import diagnose
from wgan.reporting.progress import TrainingProgress
from wgan.reporting.tensorboard import open_logger
from wgan.training.guard import (
    NonFiniteLossError,
    StopRequest,
    averages,
    check_parameters,
    roll_back,
    save_checked,
)
from wgan.training.rundir import append_metrics, save_sample_grid, truncate_metrics

if TYPE_CHECKING:
    from wgan.training.base import TrainerBase


def log_line(trainer: TrainerBase, elapsed: float, steps: int) -> dict[str, Any]:
    """The train record of the steps since the last one; starts the next sums."""
    record: dict[str, Any] = {"kind": "train", "step": trainer.step, **averages(trainer)}
    record["steps_per_s"] = steps / elapsed if elapsed > 0 else None
    trainer.sums, trainer.count = {}, 0
    return record


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
    session_start, elapsed_before = time.perf_counter(), trainer.elapsed_s
    history: list[dict[str, Any]] = []  # this session's records, for the warnings
    warned: set[str] = set()
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
            if record["kind"] == "eval":
                history.append(record)
                finished = trainer.step >= cfg.steps
                for warning in diagnose(cfg.to_dict(), history, finished=finished):
                    if warning.split(":")[0] not in warned:  # each kind of warning once
                        warned.add(warning.split(":")[0])
                        progress.warn(warning)

        def tick() -> None:
            trainer.elapsed_s = elapsed_before + time.perf_counter() - session_start

        def evaluate() -> None:
            check_parameters(trainer)  # NaN samples would fail the distances
            if main:  # the others wait in their next collective
                tick()
                write({"kind": "eval", **trainer.evaluate(), "elapsed_s": trainer.elapsed_s})
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
                    tick()
                    save_checked(trainer)
                    last_save = time.monotonic()
            except NonFiniteLossError as error:
                if cfg.on_nonfinite.action != "rollback":
                    raise
                write(roll_back(trainer, error))
                progress.advance(trainer.step)
                last_time, last_step = time.perf_counter(), trainer.step
        if trainer.stop_signal:
            tick()
            save_checked(trainer)
    return not trainer.stop_signal
