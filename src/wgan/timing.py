"""Wall-clock time per phase of a training step, for `wgan bench`'s time split.

The trainer brackets its phases with `Trainer.timer(name)`. Its default, `NO_TIMER`, returns a
shared do-nothing context manager, so the normal training loop pays nothing for it. A
`PhaseTimer` given a device measures: on a GPU it synchronises before and after each phase, so
a phase is charged with its own kernels, not with the launches before it (which makes the
instrumented steps slower than plain ones; `wgan bench` times its steps/s without the timer).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch

_NOTHING = nullcontext()


class PhaseTimer:
    """Seconds spent in each named phase, summed over the steps timed (`seconds`)."""

    def __init__(self, device: torch.device | None) -> None:
        self.device = device
        self.enabled = device is not None
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, name: str) -> AbstractContextManager[None]:
        return self._timed(name) if self.enabled else _NOTHING

    def _sync(self) -> None:
        if self.device is not None and self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        self._sync()
        start = time.perf_counter()
        yield
        self._sync()
        self.seconds[name] += time.perf_counter() - start


NO_TIMER = PhaseTimer(None)
