"""Faults: kill -9 at any moment, SIGTERM, a full disk, NaN or inf; the run resumes exactly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from conftest import FAMILY_METHODS, tiny_config
from test_cli import TINY
from wgan.cli import main
from wgan.training import guard
from wgan.training.checkpoint import list_checkpoints, load_checkpoint
from wgan.training.guard import NonFiniteLossError
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run

WGAN = [sys.executable, "-m", "wgan"]


def _state_tensors(path: Path) -> dict[str, torch.Tensor]:
    """The models', the optimizers' and the random generator's tensors of a checkpoint, by name."""
    state = load_checkpoint(path)
    tensors = {"rng": state["rng"]}
    for part in ("generator", "critic", "ema"):
        tensors |= {f"{part}.{k}": v for k, v in state[part].items()}
    for opt in ("g_opt", "d_opt"):
        for index, entry in state[opt]["state"].items():
            tensors |= {f"{opt}.{index}.{k}": v for k, v in entry.items()}
    return tensors


def _assert_same_run(a: Path, b: Path, step: int) -> None:
    """Both runs hold a checkpoint at `step` with equal tensors, and the same log lines."""
    name = f"checkpoints/step-{step:08d}.safetensors"
    first, second = _state_tensors(a / name), _state_tensors(b / name)
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key

    def lines(run: Path) -> list[dict[str, object]]:
        records = [json.loads(line) for line in (run / "metrics.jsonl").open()]
        timings = ("steps_per_s", "elapsed_s")
        return [{k: v for k, v in r.items() if k not in timings} for r in records]

    assert lines(a) == lines(b)


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[Any], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"no {what} in 120 s"
        time.sleep(0.01)


def test_kill_9_at_a_random_moment_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    steps = 150  # about 50 steps/s on the shared 2-core machine, 200 unloaded: killed before 100
    args = ["train", "--steps", str(steps), *TINY]
    args += ["--set", "checkpoint.every=7", "--set", "checkpoint.keep=2"]
    args += ["--set", "eval.every=100", "--set", "log.every=5"]
    killed = tmp_path / "killed"
    process = subprocess.Popen([*WGAN, *args, "--out", str(killed)], stderr=subprocess.DEVNULL)
    folder = killed / "checkpoints"
    _wait_for(lambda: folder.is_dir() and any(folder.iterdir()), process, "first checkpoint")
    delay = random.uniform(0.0, 0.3)  # any moment: mid-step, mid-write, mid-log
    time.sleep(delay)
    assert process.poll() is None, f"the run finished before the kill, {delay:.3f} s in"
    process.kill()  # SIGKILL: no handler runs
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert main(["resume", str(killed), "--quiet"]) == 0
    assert main([*args, "--out", str(tmp_path / "straight")]) == 0
    _assert_same_run(killed, tmp_path / "straight", steps)
    assert len(list(folder.iterdir())) == 2  # the last checkpoint.keep


def test_kill_9_while_a_checkpoint_is_written_keeps_the_previous_one(tmp_path: Path) -> None:
    # The child stalls in the fsync of step 6's temporary file, after writing it and before the
    # rename; the test kills it there.
    mark = tmp_path / "writing"
    stall = (
        "import os, sys, time\n"
        "real_fsync = os.fsync\n"
        "def fsync(fd):\n"
        "    if os.readlink(f'/proc/self/fd/{fd}').endswith('.step-00000006.safetensors.tmp'):\n"
        f"        open({str(mark)!r}, 'w').close()\n"
        "        time.sleep(600)\n"
        "    real_fsync(fd)\n"
        "os.fsync = fsync\n"
        "from wgan.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    args = ["train", "--steps", "9", *TINY, "--set", "checkpoint.every=3"]
    run = tmp_path / "run"
    command = [sys.executable, "-c", stall, *args, "--out", str(run)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    _wait_for(mark.exists, process, "checkpoint write")
    process.kill()
    process.wait()
    folder = run / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".step-00000006.safetensors.tmp", "step-00000003.safetensors"
    ]  # fmt: skip
    assert main(["resume", str(run), "--quiet"]) == 0
    assert not (folder / ".step-00000006.safetensors.tmp").exists()  # cleaned by the next save
    assert main([*args, "--out", str(tmp_path / "straight")]) == 0
    _assert_same_run(run, tmp_path / "straight", 9)


@pytest.mark.parametrize(
    ("signals", "code"),
    [([signal.SIGTERM], 143), ([signal.SIGINT, signal.SIGINT], 130)],
    ids=["sigterm", "ctrl-c-twice-at-once"],
)
def test_sigterm_or_a_repeated_ctrl_c_saves_and_stops(
    tmp_path: Path, signals: list[signal.Signals], code: int
) -> None:
    # A repeated Ctrl-C within a second is what torchrun's workers get (the terminal's and the
    # forwarded one): still one request to save and stop.
    out = tmp_path / "run"
    command = [*WGAN, "train", "--steps", "100000", "--out", str(out), *TINY]
    command += ["--set", "eval.every=100000", "--set", "checkpoint.every=100000"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    metrics = out / "metrics.jsonl"
    _wait_for(lambda: metrics.exists() and metrics.read_text().count("\n") >= 2, process, "log")
    for kind in signals:
        process.send_signal(kind)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert "checkpoint saved" in err
    (checkpoint,) = (out / "checkpoints").iterdir()
    step = int(checkpoint.stem.split("-")[1])
    assert main(["resume", str(out), "--steps", str(step + 2), "--quiet"]) == 0


def test_a_second_signal_more_than_a_second_later_aborts_without_saving(tmp_path: Path) -> None:
    # The first Ctrl-C asks for a checkpoint after the current step; a second one after the
    # repeat window (a user who does not want to wait for a slow step) aborts at once.
    config = tiny_config(steps=50, checkpoint={"every": 100, "keep": 2})
    trainer = start_run(config, tmp_path / "run", quiet=True)
    step_once = trainer.train_step

    def slow_step_with_two_signals() -> None:
        step_once()
        if trainer.step == 3:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(guard._REPEAT_SIGNAL_S + 0.2)  # the step goes on: a slow one
            os.kill(os.getpid(), signal.SIGINT)

    trainer.train_step = slow_step_with_two_signals  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        train_until(trainer, 50)
    assert trainer.step == 3 and list_checkpoints(tmp_path / "run") == []


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    # A real failing write: the child may not grow a file past half a checkpoint (RLIMIT_FSIZE;
    # Python ignores SIGXFSZ, so write() fails with EFBIG as it would with ENOSPC).
    run = tmp_path / "run"
    args = ["train", "--steps", "3", *TINY, "--set", "checkpoint.every=3", "--out", str(run)]
    assert main([*args, "--set", "optimizer.lr_decay=constant"]) == 0  # no schedule note
    good = run / "checkpoints" / "step-00000003.safetensors"
    before = good.read_bytes()
    limited = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) // 2}, {len(before) // 2}))\n"
        "from wgan.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    command = [sys.executable, "-c", limited, "resume", str(run), "--steps", "9", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("wgan: error: could not write checkpoint"), done.stderr
    assert "File too large" in done.stderr and done.stderr.count("\n") == 1
    assert [p.name for p in (run / "checkpoints").iterdir()] == [good.name]  # no temporary left
    assert good.read_bytes() == before
    assert open_run(run, quiet=True).step == 3


def test_nan_weights_with_finite_losses_are_never_saved(tmp_path: Path) -> None:
    # A NaN gradient (e.g. the norm's at zero) spoils the weights in the update, after the step's
    # losses were computed: the checkpoint of that step must not be written.
    config = tiny_config(steps=9, log={"every": 100}, eval={"every": 100})
    trainer = start_run(config, tmp_path / "run", quiet=True)
    train_until(trainer, 2)

    def spoil(optimizer: object, args: object, kwargs: object) -> None:
        with torch.no_grad():  # the last update of step 3, after its losses were summed
            trainer.generator[0].weight[0, 0] = float("nan")

    trainer.g_opt.register_step_post_hook(spoil)
    with pytest.raises(
        NonFiniteLossError, match="generator's parameters became NaN or inf before step 3"
    ):
        train_until(trainer, 9)
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "step-00000002.safetensors"
    ]


def _records(run: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").open()]


def test_nan_rolls_back_to_the_last_checkpoint_with_lower_learning_rates(tmp_path: Path) -> None:
    policy = {"action": "rollback", "lr_factor": 0.5, "max_rollbacks": 2}
    config = tiny_config(steps=9, on_nonfinite=policy, optimizer={"lr_decay": "constant"})
    trainer = start_run(config, tmp_path / "run", quiet=True)
    train_until(trainer, 3)
    with torch.no_grad():
        trainer.critic[0].weight.fill_(float("nan"))  # found at the log line of step 4
    assert train_until(trainer, 9)
    assert trainer.lr_scale == 0.5 and trainer.rollbacks == 1
    for opt, base in (
        (trainer.g_opt, config.optimizer.lr_generator),
        (trainer.d_opt, config.optimizer.lr_critic),
    ):
        assert opt.param_groups[0]["lr"] == base * 0.5
    assert [(r["kind"], r["step"]) for r in _records(tmp_path / "run")] == [
        ("eval", 0), ("train", 2), ("train", 3), ("eval", 3), ("rollback", 3), ("train", 4),
        ("train", 6), ("eval", 6), ("train", 8), ("train", 9), ("eval", 9)
    ]  # fmt: skip
    rollback = next(r for r in _records(tmp_path / "run") if r["kind"] == "rollback")
    assert rollback == {"kind": "rollback", "step": 3, "failed_at": 4, "lr_scale": 0.5}
    resumed = open_run(tmp_path / "run", quiet=True)  # the lowered rates are part of the run
    assert resumed.lr_scale == 0.5 and resumed.rollbacks == 1


@pytest.mark.parametrize("method", list(FAMILY_METHODS.values()), ids=list(FAMILY_METHODS))
def test_rollback_restores_every_method_exactly(tmp_path: Path, method: dict[str, Any]) -> None:
    """After a NaN, every loss, Lipschitz method and stabiliser goes on from its checkpoint's
    exact state (spectral norm's power-iteration vectors, the EMA, the instance noise's schedule,
    the EBGAN autoencoder): the run then equals one that lowered its learning rates there."""
    policy = {"action": "rollback", "lr_factor": 0.5, "max_rollbacks": 1}
    config = tiny_config(steps=9, ema_decay=0.9, on_nonfinite=policy, **method)
    failed = start_run(config, tmp_path / "failed", quiet=True)
    train_until(failed, 3)
    with torch.no_grad():
        next(failed.critic.parameters()).fill_(float("nan"))  # found at the log line of step 4
    assert train_until(failed, 9) and failed.rollbacks == 1
    lowered = start_run(config, tmp_path / "lowered", quiet=True)
    train_until(lowered, 3)
    lowered.lr_scale = 0.5
    train_until(lowered, 9)
    for model in ("generator", "critic", "ema", "g_opt", "d_opt"):
        expected = _tensors(getattr(lowered, model).state_dict())
        got = _tensors(getattr(failed, model).state_dict())
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.equal(got[key], value), f"{model}.{key}"
    assert torch.equal(failed.rng.get_state(), lowered.rng.get_state())


def _tensors(state: dict[Any, Any], prefix: str = "") -> dict[str, torch.Tensor]:
    """The tensors of a (nested) state dict by dotted name."""
    found = {}
    for key, value in state.items():
        if isinstance(value, dict):
            found |= _tensors(value, f"{prefix}{key}.")
        elif isinstance(value, torch.Tensor):
            found[f"{prefix}{key}"] = value
    return found


def test_rollbacks_are_bounded(tmp_path: Path) -> None:
    policy = {"action": "rollback", "max_rollbacks": 2}
    trainer = start_run(tiny_config(steps=9, on_nonfinite=policy), tmp_path / "run", quiet=True)
    train_until(trainer, 3)
    step_once = trainer.train_step

    def always_nan() -> None:
        with torch.no_grad():
            trainer.critic[0].weight.fill_(float("nan"))
        step_once()

    trainer.train_step = always_nan  # type: ignore[method-assign]
    with pytest.raises(NonFiniteLossError, match=r"before step 4.*\(2 rollbacks done\)"):
        train_until(trainer, 9)
    assert [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()] == [
        "step-00000003.safetensors"
    ]
    assert sum(r["kind"] == "rollback" for r in _records(tmp_path / "run")) == 2


def test_the_last_k_checkpoints_are_kept(tmp_path: Path) -> None:
    trainer = start_run(
        tiny_config(steps=6, checkpoint={"every": 1, "keep": 2}), tmp_path, quiet=True
    )
    train_until(trainer, 6)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "step-00000005.safetensors", "step-00000006.safetensors"
    ]  # fmt: skip


def test_resume_drops_log_lines_past_the_checkpoint_and_a_torn_last_line(tmp_path: Path) -> None:
    trainer = start_run(tiny_config(steps=9, log={"every": 1}), tmp_path, quiet=True)
    train_until(trainer, 5)  # checkpoints at 3 and 5
    (tmp_path / "checkpoints" / "step-00000005.safetensors").unlink()  # as if killed before it
    with open(tmp_path / "metrics.jsonl", "a") as metrics:
        metrics.write('{"kind": "train", "st')  # a line cut by the kill
    resumed = open_run(tmp_path, quiet=True, write=True)
    assert resumed.step == 3
    train_until(resumed, 3)  # training starts by dropping what came after its checkpoint
    assert [r["step"] for r in _records(tmp_path)] == [0, 1, 2, 3, 3]


def test_a_run_killed_before_its_first_checkpoint_starts_again(tmp_path: Path) -> None:
    config = tiny_config(steps=4)
    train_until(start_run(config, tmp_path / "straight", quiet=True), 4)
    train_until(start_run(config, tmp_path / "killed", quiet=True), 2)
    for checkpoint in (tmp_path / "killed" / "checkpoints").iterdir():
        checkpoint.unlink()  # killed before its first checkpoint
    resumed = open_run(tmp_path / "killed", quiet=True, write=True)
    assert resumed.step == 0
    train_until(resumed, 4)  # the log of the first attempt is dropped
    _assert_same_run(tmp_path / "killed", tmp_path / "straight", 4)


def test_a_corrupt_newest_checkpoint_is_skipped_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*TINY, "--set", "checkpoint.every=3", "--set", "optimizer.lr_decay=constant"]
    assert main(["train", "--steps", "9", *args, "--out", str(tmp_path / "straight")]) == 0
    assert main(["train", "--steps", "6", *args, "--out", str(tmp_path / "run")]) == 0
    newest = tmp_path / "run" / "checkpoints" / "step-00000006.safetensors"
    newest.write_bytes(newest.read_bytes()[:-1000])  # bit rot, a bad disk
    capsys.readouterr()
    assert main(["resume", str(tmp_path / "run"), "--steps", "9", "--quiet"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert (
        len(warnings) == 1
        and "skipping checkpoint" in warnings[0]
        and "step-00000006" in warnings[0]
    )
    _assert_same_run(tmp_path / "run", tmp_path / "straight", 9)
