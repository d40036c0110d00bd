"""One writer per run directory: RUN_DIR/.lock, held with `flock` by the process that trains.

The kernel releases an `flock` when its process ends, however it ends (kill -9, a crash, power
loss on a local disk), so a lock can never outlive its writer and never blocks a resume. A second
`wgan train` or `wgan resume` into a directory whose lock is held is refused before it touches a
file. Readers (`wgan evaluate`, `wgan sample`, `wgan.load_run`) take no lock: checkpoints are
renamed into place whole, so a reader always finds complete ones.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from wgan.errors import UserError

LOCK_FILE = ".lock"


class RunLock:
    """The writer's lock of a run directory; `acquire` refuses a directory a live process holds."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock (a no-op when this object holds it); a UserError when another does."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read_owner(fd)
            os.close(fd)
            raise UserError(
                f"{self.path.parent} is being written by another process{owner}; wait for it to "
                "finish or stop it, or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def is_being_written(run_dir: Path) -> bool:
    """Whether a live process holds the run's lock, this one included (the lock is only tried:
    nothing changes)."""
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _read_owner(fd: int) -> str:
    """' (pid N)' from the lock file, '' when it cannot be read."""
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""
