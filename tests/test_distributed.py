"""Two CPU processes under torchrun (gloo) against one process: the same parameters after a
step, the same run after a resume with another number of processes, stops agreed by all."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from conftest import tiny_config
from distributed_worker import (
    BROKEN,
    BROKEN_CONFIGS,
    RESUME_TO,
    SMOOTH,
    model_tensors,
    step_configs,
)
from test_cli import TINY
from wgan import distributed
from wgan.config import load_config
from wgan.distributed import batch_rows, sync_batchnorm
from wgan.errors import UserError
from wgan.training.checkpoint import list_checkpoints, load_checkpoint
from wgan.training.loop import train_until
from wgan.training.rundir import make_trainer, open_run, start_run

WORKER = Path(__file__).with_name("distributed_worker.py")


def torchrun(*args: str, nproc: int = 2) -> subprocess.CompletedProcess[str]:
    """`torchrun --standalone --nproc_per_node nproc ARGS` (a free port is picked for us)."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={nproc}", *args]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parents[1] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_a_step_on_two_processes_is_the_single_process_step(tmp_path: Path) -> None:
    data = tmp_path / "points.npy"
    np.save(data, np.random.default_rng(1).normal(size=(120, 2)))
    config = tiny_config(steps=4, model=SMOOTH)  # one process to step 4, then two to RESUME_TO
    train_until(start_run(config, tmp_path / "resumed", quiet=True), 4)
    shutil.copytree(tmp_path / "resumed", tmp_path / "reference")
    done = torchrun(str(WORKER), "steps", str(tmp_path), str(data))
    assert done.returncode == 0, done.stderr[-3000:]
    train_until(open_run(tmp_path / "reference", steps=RESUME_TO, quiet=True), RESUME_TO)
    _assert_same_end(tmp_path / "resumed", tmp_path / "reference")
    for name, config in step_configs(str(data)).items():
        single = make_trainer(config, tmp_path / f"single-{name}", quiet=True)
        for step in (1, 2):
            single.train_step()
            expected = model_tensors(single)
            ranks = [load_file(tmp_path / f"{name}-step{step}-rank{r}.safetensors") for r in (0, 1)]
            assert set(ranks[0]) == set(expected)
            for key, value in expected.items():
                assert torch.equal(ranks[0][key], ranks[1][key]), (name, key)  # ranks agree
                torch.testing.assert_close(ranks[0][key], value, msg=f"{name} {key} step {step}")


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One torchrun launch of the worker's "mistakes": the broken variants of BROKEN, and a
    resume whose processes find different checkpoints (rank 1 lacks the newest of run-rank0)."""
    out = tmp_path_factory.mktemp("mistakes")
    np.save(out / "points.npy", np.random.default_rng(1).normal(size=(120, 2)))
    config = tiny_config(steps=4, checkpoint={"every": 2, "keep": 3})
    train_until(start_run(config, out / "run-rank0", quiet=True), 4)  # steps 2 and 4 saved
    done = torchrun(str(WORKER), "mistakes", str(out), str(out / "points.npy"))
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_step_comparison_fails_without_the_gradient_or_feature_averaging(
    mistakes: Path, tmp_path: Path
) -> None:
    """The broken variants of the worker's BROKEN: without the all-reduce of the gradients, or
    without its division by K, or without the all-reduce of feature matching's batch means, two
    steps on 2 processes no longer give the single-process parameters and optimizer states."""
    configs = step_configs(str(mistakes / "points.npy"))
    for variant in BROKEN:
        for name in BROKEN_CONFIGS[variant]:
            single = make_trainer(configs[name], tmp_path / f"single-{variant}-{name}", quiet=True)
            for _ in (1, 2):
                single.train_step()
            expected = model_tensors(single)
            ranks = [load_file(mistakes / f"{variant}-{name}-rank{r}.safetensors") for r in (0, 1)]
            differ = [key for key, value in expected.items() if not _close(ranks[0][key], value)]
            assert differ, f"{variant} {name}: the broken step still equals the single-process one"
            if variant == "no-all-reduce":  # each process then follows its own shard
                assert any(not torch.equal(ranks[0][k], ranks[1][k]) for k in expected)


def _close(actual: torch.Tensor, expected: torch.Tensor) -> bool:
    try:
        torch.testing.assert_close(actual, expected)
    except AssertionError:
        return False
    return True


def test_a_resume_that_finds_different_checkpoints_stops(mistakes: Path) -> None:
    for rank in (0, 1):
        error = json.loads((mistakes / f"mismatch-rank{rank}.json").read_text())["error"]
        assert error is not None and "the processes found different checkpoints" in error
        assert "steps [4, 2]" in error


def test_a_signal_or_a_nan_on_one_rank_stops_every_rank(tmp_path: Path) -> None:
    done = torchrun(str(WORKER), "agreement", str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"agreement-rank{r}.json").read_text()) for r in (0, 1)]
    # A file missing on one node: rank 1 raises its error, rank 0 (which prints) names rank 1.
    missing = "points.npy: no such file"
    assert [r["input"] for r in ranks] == [f"rank 1: {missing}", missing]
    for result in ranks:  # SIGTERM reached rank 1 only, during step 3
        assert result["signal"] == {"finished": False, "step": 3, "signal": 15}
        assert result["nan"]["step"] == 4 and "critic_loss became NaN" in result["nan"]["error"]
    (checkpoint,) = (tmp_path / "signal" / "checkpoints").iterdir()  # saved once, by rank 0
    assert checkpoint.name == "step-00000003.safetensors"
    assert [(r["kind"], r["step"]) for r in _records(tmp_path / "signal")] == [
        ("eval", 0),
        ("train", 2),
        ("eval", 3),
    ]


def test_the_batch_splits_evenly_over_the_processes() -> None:
    assert [batch_rows(12, r, 3) for r in range(3)] == [slice(0, 4), slice(4, 8), slice(8, 12)]
    assert batch_rows(12, 0, 1) == slice(0, 12)
    with pytest.raises(UserError, match="batch_size 10 does not split evenly over 4 processes"):
        batch_rows(10, 1, 4)


def _records(run: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").open()]


def _assert_same_end(run: Path, reference: Path) -> None:
    """The newest checkpoints of both runs: same step, same models to float tolerance."""
    (step, path), (ref_step, ref_path) = list_checkpoints(run)[-1], list_checkpoints(reference)[-1]
    assert step == ref_step
    state, expected = load_checkpoint(path), load_checkpoint(ref_path)
    for model in ("generator", "critic", "ema"):
        for key, value in expected[model].items():
            torch.testing.assert_close(state[model][key], value, msg=f"{model}.{key}")


def test_torchrun_trains_and_one_process_resumes(tmp_path: Path) -> None:
    tiny = [*TINY, "--set", "model.activation=silu"]  # see SMOOTH in distributed_worker.py
    # One process, through the library (no report, faster): 4 steps, then on to 6.
    sets = [value for flag, value in itertools.pairwise(tiny) if flag == "--set"]
    config = load_config(None, sets, steps=4, device="cpu")
    train_until(start_run(config, tmp_path / "one", quiet=True), 4)
    # Two processes for the first 4 steps, one for the rest.
    done = torchrun("-m", "wgan", "train", "--steps", "4", *tiny, "--out", str(tmp_path / "two"))
    assert done.returncode == 0, done.stderr[-3000:]
    two, one = (_records(tmp_path / run) for run in ("two", "one"))
    assert [(r["kind"], r["step"]) for r in two] == [(r["kind"], r["step"]) for r in one]
    for a, b in zip(two, one, strict=True):  # logged by rank 0 only, reduced over the ranks
        timings = ("steps_per_s", "elapsed_s")
        numbers = [k for k, v in b.items() if isinstance(v, float) and k not in timings]
        assert a.keys() == b.keys()
        np.testing.assert_allclose([a[k] for k in numbers], [b[k] for k in numbers], rtol=1e-4)
    assert (tmp_path / "two" / "report.png").exists()
    for run in ("one", "two"):
        train_until(open_run(tmp_path / run, steps=6, quiet=True), 6)
    _assert_same_end(tmp_path / "two", tmp_path / "one")


def test_bad_input_under_torchrun_is_one_line(tmp_path: Path) -> None:
    done = torchrun("-m", "wgan", "train", *TINY, "--set", "batch_size=15", "--out", str(tmp_path))
    errors = [line for line in done.stderr.splitlines() if line.startswith("wgan: error:")]
    assert errors == [
        "wgan: error: batch_size 15 does not split evenly over 2 processes; use a multiple of 2 "
        "(batch_size is the global batch)"
    ]
    assert list(tmp_path.iterdir()) == []


def test_batchnorm_becomes_syncbatchnorm_on_gpus_and_is_refused_on_cpus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def model() -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4))

    assert isinstance(sync_batchnorm(model(), torch.device("cpu"))[1], torch.nn.BatchNorm1d)
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    converted = sync_batchnorm(model(), torch.device("cuda"))  # conversion needs no GPU
    assert isinstance(converted[1], torch.nn.SyncBatchNorm)
    assert converted.state_dict().keys() == model().state_dict().keys()  # checkpoints fit any K
    with pytest.raises(
        UserError, match="BatchNorm layers, which several processes can only share on GPUs"
    ):
        sync_batchnorm(model(), torch.device("cpu"))
    plain = torch.nn.Sequential(torch.nn.Linear(2, 1))
    assert sync_batchnorm(plain, torch.device("cpu")) is plain
