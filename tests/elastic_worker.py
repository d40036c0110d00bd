"""`wgan` as torchrun runs it, with rank 1 of the first attempt killed (SIGKILL) at one step:
the failure that `torchrun --max-restarts` answers by restarting every worker.

usage: torchrun ... tests/elastic_worker.py KILL_AT_STEP WGAN-ARGS...
"""

from __future__ import annotations

import os
import runpy
import signal
import sys

from wgan.training.base import TrainerBase


def _killed_at(step: int) -> None:
    train_step = TrainerBase.train_step

    def dying(self: TrainerBase) -> None:
        if self.step == step:
            os.kill(os.getpid(), signal.SIGKILL)
        train_step(self)

    TrainerBase.train_step = dying  # type: ignore[method-assign]


if __name__ == "__main__":
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    if first_attempt and os.environ.get("RANK") == "1":
        _killed_at(int(sys.argv[1]))
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    runpy.run_module("wgan", run_name="__main__")  # `python -m wgan`, as torchrun would run it
