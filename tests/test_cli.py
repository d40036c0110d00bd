from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wgan.cli import main

TINY = [
    "--set", "model.generator_width=16", "--set", "model.critic_width=16",
    "--set", "batch_size=16", "--set", "eval.every=2", "--set", "eval.n=100",
    "--set", "checkpoint.every=2", "--set", "precision=fp32", "--device", "cpu", "--quiet",
]  # fmt: skip


def _train(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "run"
    assert main(["train", "--steps", "4", "--out", str(out), *TINY, *extra]) == 0
    return out


def test_train_sample_evaluate_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _train(tmp_path)
    assert (out / "report.png").stat().st_size > 10_000
    assert "exact W1" in (out / "report.md").read_text()
    assert main(["sample", str(out), "-n", "50", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (50, 2)
    assert main(["sample", str(out), "-n", "50", "-o", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "100"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 4 and result["modes_total"] == 8
    assert main(["resume", str(out), "--steps", "6", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "100"]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == 6


def test_points_run_has_null_mode_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "cloud.csv"
    rows = np.random.default_rng(0).normal(size=(200, 3))
    data.write_text("a,b,c\n" + "\n".join(",".join(map(str, r)) for r in rows))
    out = _train(tmp_path, "--data", str(data))
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["modes_covered"] is None and result["high_quality"] is None
    assert main(["evaluate", str(out), "--data", str(data), "--n", "50"]) == 0
    assert json.loads(capsys.readouterr().out)["w1"] > 0
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (5, 3)


def test_presets_lists_one_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert "8gaussians-wgan-gp" in names and "swissroll-wgan-clip" in names
    assert {f"{d}-wgan-gp-alg1" for d in ("8gaussians", "25gaussians", "swissroll")} <= set(names)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--set", "lipschitz.gp_lamda=1"], "did you mean 'lipschitz.gp_lambda'"),
        (["train", "--set", "n_critic=0"], "n_critic"),
        (["train", "nosuchpreset"], "no preset or config file"),
        (["train", "--data", "missing.npy"], "no such file"),
        (["resume", "nowhere"], "not a wgan run"),
        (["sample", "nowhere", "-o", "x.npy"], "not a wgan run"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("wgan: error:") and "\n" not in err
    assert not (tmp_path / "runs").exists()


def test_second_train_into_the_same_dir_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _train(tmp_path)
    capsys.readouterr()
    assert main(["train", "--steps", "4", "--out", str(out), *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["train", "--steps", "4", "--out", str(out), "--overwrite", *TINY]) == 0


def test_python_m_wgan_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "wgan", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("wgan ")


def test_ctrl_c_saves_a_checkpoint_and_resume_continues(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    command = [sys.executable, "-m", "wgan", "train", "--steps", "100000", "--out", str(out)]
    command += [*TINY, "--set", "eval.every=100000", "--set", "checkpoint.every=100000"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 60
    while not (metrics.exists() and metrics.read_text().count("\n") >= 2):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "checkpoint saved" in err
    (checkpoint,) = (out / "checkpoints").iterdir()
    step = int(checkpoint.stem.split("-")[1])
    assert step >= 4
    assert main(["resume", str(out), "--steps", str(step + 2), "--quiet"]) == 0
