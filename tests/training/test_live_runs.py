"""One writer per run directory, readers beside a live writer, and checkpoints by wall-clock time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import tiny_config
from test_cli import TINY
from wgan.api import load_run
from wgan.training.checkpoint import list_checkpoints, load_checkpoint
from wgan.training.lock import RunLock, is_being_written
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run

SRC = Path(__file__).parents[2] / "src"


def _wgan(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "wgan", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,  # type: ignore[call-overload]
    )


def _files(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def _wait_for(condition: object, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A `wgan train` process writing a run (checkpoints every 2 steps), stopped after the tests
    that share it."""
    out = tmp_path_factory.mktemp("live") / "run"
    writer = _wgan("train", "--steps", "100000", *TINY, "--out", str(out))
    _wait_for(lambda: len(list_checkpoints(out)) >= 2)
    yield out, writer
    writer.send_signal(signal.SIGTERM)
    writer.communicate(timeout=120)


def test_a_second_writer_is_refused_and_the_live_run_is_untouched(live_run: object) -> None:
    out, writer = live_run  # type: ignore[misc]
    assert is_being_written(out)
    config_before = (out / "config.yaml").read_bytes()
    for command in (
        ["train", "--steps", "4", *TINY, "--out", str(out), "--overwrite"],
        ["train", "--steps", "100000", *TINY, "--out", str(out), "--resume"],
        ["resume", str(out), "--steps", "5"],
    ):
        second = _wgan(*command)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 2, err
        assert err.strip().splitlines() == [
            f"wgan: error: {out} is being written by another process (pid {writer.pid}); wait "
            "for it to finish or stop it, or choose another --out"
        ]
    assert (out / "config.yaml").read_bytes() == config_before
    assert writer.poll() is None  # the live run goes on
    newest = list_checkpoints(out)[-1][0]
    _wait_for(lambda: list_checkpoints(out)[-1][0] > newest)  # and writes on


def test_readers_of_a_live_run_read_whole_checkpoints_and_say_which(live_run: object) -> None:
    out, _ = live_run  # type: ignore[misc]
    seen = []
    for _ in range(2):
        reader = _wgan("evaluate", str(out), "--n", "50")
        text, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        step = json.loads(text)["step"]
        assert err.strip().splitlines()[-1] == (
            f"wgan: {out} at step {step} (it is training: this is its newest complete checkpoint)"
        )
        assert step % 2 == 0  # a checkpoint's step (every 2 steps)
        seen.append(step)
    sample = _wgan("sample", str(out), "-n", "5", "-o", str(out.parent / "s.npy"))
    assert sample.communicate(timeout=120)[1].startswith(f"wgan: {out} at step ")
    assert seen == sorted(seen)


def test_a_reader_changes_no_file_of_the_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    train_until(start_run(tiny_config(steps=4, checkpoint={"every": 2}), out, quiet=True), 4)
    # What a writer has logged past its newest checkpoint (a reader must leave it alone).
    with open(out / "metrics.jsonl", "a") as log:
        log.write(json.dumps({"kind": "train", "step": 5}) + "\n")
    before = _files(out)
    run = load_run(out)
    run.evaluate(50)
    run.sample(10)
    assert run.step == 4 and _files(out) == before
    open_run(out, steps=9, quiet=True)  # a reader with another total: config.yaml stays
    assert _files(out) == before


def test_a_lock_left_by_a_killed_process_never_blocks_a_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    train_until(start_run(tiny_config(steps=2), out, quiet=True), 2)
    code = f"from wgan.training.lock import RunLock; RunLock({str(out)!r}).acquire(); import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(SRC)}, check=False
    )
    assert done.returncode == -signal.SIGKILL and (out / ".lock").exists()
    assert not is_being_written(out)
    resumed = open_run(out, steps=4, quiet=True, write=True)
    assert train_until(resumed, 4) and resumed.step == 4


def test_the_lock_refuses_a_second_holder_and_frees_on_release(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path), RunLock(tmp_path)
    first.acquire()
    with pytest.raises(Exception, match="being written by another process"):
        second.acquire()
    first.release()
    second.acquire()
    assert second.held and is_being_written(tmp_path)
    second.release()
    assert not is_being_written(tmp_path)


def test_checkpoints_by_wall_clock_time_resume_exactly(tmp_path: Path) -> None:
    # Steps far apart in checkpoint.every; a checkpoint each time 1 ms has passed since the last.
    timed = tiny_config(steps=8, checkpoint={"every": 1000, "every_minutes": 1e-5, "keep": 20})
    straight = tiny_config(steps=8, checkpoint={"every": 1000, "every_minutes": None})
    train_until(start_run(straight, tmp_path / "straight", quiet=True), 8)
    assert [s for s, _ in list_checkpoints(tmp_path / "straight")] == [8]
    train_until(start_run(timed, tmp_path / "timed", quiet=True), 8)
    steps = [s for s, _ in list_checkpoints(tmp_path / "timed")]
    assert steps == list(range(1, 9))  # every step took longer than 1 ms
    for _, path in list_checkpoints(tmp_path / "timed")[5:]:  # killed after step 5's save
        path.unlink()
    resumed = open_run(tmp_path / "timed", quiet=True, write=True)
    assert resumed.step == 5
    train_until(resumed, 8)
    end, expected = (
        load_checkpoint(list_checkpoints(tmp_path / run)[-1][1]) for run in ("timed", "straight")
    )
    for model in ("generator", "critic"):
        for key, value in expected[model].items():
            assert torch.equal(end[model][key], value), f"{model}.{key}"
