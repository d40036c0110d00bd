"""Writing a file so that a crash, a kill or a full disk leaves either the old file or the new one.

The bytes go to a temporary file beside the target, are flushed to disk, and the temporary file is
renamed over the target (an atomic step on POSIX file systems); the directory is then flushed so
that the rename itself survives a power cut.
"""

from __future__ import annotations

import os
from pathlib import Path


def temporary_path(path: Path) -> Path:
    """Where `write_atomically` stages `path`: a hidden file in the same directory."""
    return path.with_name(f".{path.name}.tmp")


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` by `data` atomically; on any error the old file stays and no temporary does."""
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
