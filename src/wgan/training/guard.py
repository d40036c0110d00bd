"""What keeps a run safe while it trains: the NaN guard (stop, or roll back to the last good
checkpoint with lower learning rates), checkpoints that are never saved from NaN weights, and
Ctrl-C or SIGTERM (save and stop after the current step)."""

from __future__ import annotations

import math
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch

from wgan import distributed
from wgan.errors import UserError
from wgan.training.checkpoint import list_checkpoints, load_latest
from wgan.training.rundir import save_checkpoint_of, truncate_metrics

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
