"""Checkpoints: safetensors files written atomically, read without executing any code.

A checkpoint is a nested dict of tensors and plain values (ints, floats, strings, lists). Tensors
go into the safetensors payload; the structure and the plain values into its JSON metadata. A
file is first written to a temporary name, flushed to disk, then renamed: a crash or a full disk
leaves the previous checkpoints as they were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save as save_tensors

from wgan.atomic import temporary_path, write_atomically
from wgan.errors import UserError

FORMAT = "wgan-checkpoint-1"
_NAME = re.compile(r"^step-(\d+)\.safetensors$")


def _flatten(obj: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        return {
            "__dict__": [
                [_flatten(k, path, tensors), _flatten(v, path, tensors)] for k, v in obj.items()
            ]
        }
    if isinstance(obj, list | tuple):
        return [_flatten(v, path, tensors) for v in obj]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} at {path} in a checkpoint")


def _unflatten(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        return {_unflatten(k, tensors): _unflatten(v, tensors) for k, v in obj["__dict__"]}
    if isinstance(obj, list):
        return [_unflatten(v, tensors) for v in obj]
    return obj


def checkpoint_path(run_dir: Path, step: int) -> Path:
    return run_dir / "checkpoints" / f"step-{step:08d}.safetensors"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write `state` to `path` atomically (temporary file, fsync, rename)."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(state, "checkpoint", tensors)
    payload = save_tensors(tensors, metadata={"format": FORMAT, "state": json.dumps(skeleton)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, payload)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint; a missing, truncated or foreign file is a UserError."""
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except Exception as err:  # safetensors raises its own types for bad headers and short files
        raise UserError(f"checkpoint {path} is corrupt or not a wgan checkpoint ({err})") from None
    if metadata.get("format") != FORMAT:
        raise UserError(
            f"checkpoint {path} is not a wgan checkpoint (format {metadata.get('format')!r})"
        )
    try:
        state = _unflatten(json.loads(metadata["state"]), tensors)
    except (KeyError, TypeError, ValueError, AttributeError) as err:  # an altered skeleton
        raise UserError(f"checkpoint {path} is corrupt (its state: {err!r})") from None
    if not isinstance(state, dict):
        raise UserError(f"checkpoint {path} is corrupt (its state is not a mapping)")
    return state


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of every checkpoint in the run, oldest first."""
    folder = run_dir / "checkpoints"
    found = []
    for path in folder.glob("step-*.safetensors") if folder.is_dir() else []:
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


class CheckpointMismatch(UserError):
    """A checkpoint of another model or data config: no older checkpoint of the run would fit."""


def load_latest(
    run_dir: Path, restore: Callable[[dict[str, Any]], None] | None = None
) -> tuple[dict[str, Any], Path, list[str]]:
    """The newest checkpoint that loads (and that `restore` accepts), its path, and a warning for
    each newer one that did not. A `CheckpointMismatch` from `restore` is raised at once."""
    warnings: list[str] = []
    for _, path in reversed(list_checkpoints(run_dir)):
        try:
            state = load_checkpoint(path)
        except UserError as err:  # the message names the file
            warnings.append(f"skipping {err}")
            continue
        try:
            if restore is not None:
                restore(state)
        except CheckpointMismatch:
            raise
        except UserError as err:
            warnings.append(f"skipping {path} ({err})")
            continue
        return state, path, warnings
    if warnings:
        raise UserError(f"no checkpoint in {run_dir} could be read: " + "; ".join(warnings))
    raise UserError(f"{run_dir} holds no checkpoint; train it first with `wgan train`")


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the newest `keep` checkpoints, and any temporary file a killed write left."""
    found = list_checkpoints(run_dir)
    for _, path in found[:-keep]:
        path.unlink(missing_ok=True)
    for stale in (run_dir / "checkpoints").glob(temporary_path(Path("step-*.safetensors")).name):
        stale.unlink(missing_ok=True)
