from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path

import pytest
import torch

from wgan.errors import UserError
from wgan.training.checkpoint import (
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    load_latest,
    prune_checkpoints,
    save_checkpoint,
)


def _state(step: int) -> dict[str, object]:
    return {
        "step": step,
        "weights": {"a.weight": torch.randn(3, 2), "a.bias": torch.zeros(3)},
        "optimizer": {"state": {0: {"step": torch.tensor(4.0)}}, "groups": [{"betas": (0.0, 0.9)}]},
        "rng": torch.get_rng_state(),
        "none": None,
        "flag": True,
    }


def test_round_trip_keeps_values_and_types(tmp_path: Path) -> None:
    state = _state(7)
    path = checkpoint_path(tmp_path, 7)
    save_checkpoint(path, state)
    loaded = load_checkpoint(path)
    assert loaded["step"] == 7 and loaded["none"] is None and loaded["flag"] is True
    torch.testing.assert_close(loaded["weights"]["a.weight"], state["weights"]["a.weight"])  # type: ignore[index]
    assert 0 in loaded["optimizer"]["state"]  # integer keys survive
    assert loaded["optimizer"]["groups"][0]["betas"] == [0.0, 0.9]
    assert torch.equal(loaded["rng"], state["rng"])  # type: ignore[arg-type]


def test_truncated_checkpoint_is_refused_and_the_previous_one_used(tmp_path: Path) -> None:
    save_checkpoint(checkpoint_path(tmp_path, 1), _state(1))
    good = checkpoint_path(tmp_path, 2)
    save_checkpoint(good, _state(2))
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="corrupt"):
        load_checkpoint(good)
    state, path, warnings = load_latest(tmp_path)
    assert state["step"] == 1 and path == checkpoint_path(tmp_path, 1)
    assert len(warnings) == 1 and "step-00000002" in warnings[0]


def test_a_pickle_is_never_executed(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = checkpoint_path(tmp_path, 3)
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(UserError, match="corrupt or not a wgan checkpoint"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_failed_write_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = checkpoint_path(tmp_path, 5)
    save_checkpoint(path, _state(5))
    before = path.read_bytes()

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(path, _state(6))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for step in (1, 2, 3, 4):
        save_checkpoint(checkpoint_path(tmp_path, step), {"step": step})
    prune_checkpoints(tmp_path, keep=2)
    assert [step for step, _ in list_checkpoints(tmp_path)] == [3, 4]


def test_no_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="holds no checkpoint"):
        load_latest(tmp_path)
