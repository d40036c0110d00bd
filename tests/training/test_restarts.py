"""Runs restarted by torchrun or requeued by a job scheduler continue where they stopped and end
as if never interrupted; a run of another config is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import tiny_config
from test_cli import TINY
from test_distributed import torchrun
from wgan.cli import main
from wgan.errors import UserError
from wgan.training.checkpoint import list_checkpoints, load_checkpoint
from wgan.training.loop import train_until
from wgan.training.rundir import start_run

ELASTIC_WORKER = Path(__file__).parents[1] / "elastic_worker.py"


def _final_models(run: Path) -> dict[str, dict[str, torch.Tensor]]:
    step, path = list_checkpoints(run)[-1]
    state = load_checkpoint(path)
    return {"step": step, **{m: state[m] for m in ("generator", "critic", "ema", "d_opt")}}


def _assert_equal_runs(run: Path, reference: Path, *, same_log: bool = True) -> None:
    a, b = _final_models(run), _final_models(reference)
    assert a["step"] == b["step"]
    for model in ("generator", "critic", "ema"):
        for key, value in b[model].items():
            assert torch.equal(a[model][key], value), f"{model}.{key}"
    records = [json.loads(line) for line in (run / "metrics.jsonl").open()]
    expected = [json.loads(line) for line in (reference / "metrics.jsonl").open()]
    if same_log:
        assert [(r["kind"], r["step"]) for r in records] == [
            (r["kind"], r["step"]) for r in expected
        ]


def test_torchrun_restarts_the_workers_and_they_continue_the_run(tmp_path: Path) -> None:
    args = ["train", "--steps", "10", *TINY, "--set", "ema_decay=0.9"]
    reference = torchrun("-m", "wgan", *args, "--out", str(tmp_path / "straight"))
    assert reference.returncode == 0, reference.stderr[-3000:]
    # Rank 1 dies at step 7 (checkpoints every 2 steps): torchrun restarts both workers, which
    # find the run of their config in --out and continue it from step 6.
    restarted = torchrun(
        "--max-restarts=1", str(ELASTIC_WORKER), "7", *args, "--out", str(tmp_path / "killed")
    )
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert "exitcode: -9" in restarted.stderr  # the first attempt did die
    _assert_equal_runs(tmp_path / "killed", tmp_path / "straight")


def test_a_requeued_job_with_resume_continues_its_run(tmp_path: Path) -> None:
    config = tiny_config(steps=8, ema_decay=0.9)
    train_until(start_run(config, tmp_path / "straight", quiet=True), 8)
    # The first job stops at step 4 with a checkpoint (as a preempted job does on SIGTERM); the
    # scheduler starts the same command line again.
    train_until(start_run(config, tmp_path / "requeued", resume=True, quiet=True), 4)
    again = start_run(config, tmp_path / "requeued", resume=True, quiet=True)
    assert again.step == 4
    train_until(again, 8)
    # (the stop at 4 logged an evaluation there that the straight run has not)
    _assert_equal_runs(tmp_path / "requeued", tmp_path / "straight", same_log=False)


def test_resume_refuses_a_run_of_another_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    train_until(start_run(tiny_config(steps=2), out, quiet=True), 2)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(
        UserError,
        match=r"holds a run of another config \(batch_size, optimizer.decay_steps, steps differ\)",
    ):
        start_run(tiny_config(steps=4, batch_size=8), out, resume=True, overwrite=True, quiet=True)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    code = main(["train", "--steps", "3", *TINY, "--out", str(out), "--resume"])
    assert code == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("wgan: error:") and "differ" in errors[0]


def test_resume_into_an_empty_directory_starts_the_run(tmp_path: Path) -> None:
    code = main(["train", "--steps", "2", *TINY, "--out", str(tmp_path / "new"), "--resume"])
    assert code == 0 and list_checkpoints(tmp_path / "new")[-1][0] == 2


def test_the_worker_script_kills_only_the_first_attempt_of_rank_1() -> None:
    source = ELASTIC_WORKER.read_text()
    assert '"TORCHELASTIC_RESTART_COUNT", "0") == "0"' in source and '"RANK") == "1"' in source
    done = subprocess.run([sys.executable, str(ELASTIC_WORKER), "1", "--version"], check=False)
    assert done.returncode == 0  # rank unset: nothing is killed
