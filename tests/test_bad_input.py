"""Every bad input: one line saying what is wrong and what to do, exit code 2, and the files of an
existing run byte for byte as they were (hashed before and after)."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from conftest import tree_digest
from test_cli import TINY
from wgan.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("template") / "run"
    assert main(["train", "--steps", "4", "--out", str(run), *TINY]) == 0
    return run


class Pwn:
    """A pickle that would create a file if it were ever unpickled."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.target}",))


def _every_checkpoint(run: Path, change: Callable[[Path], None]) -> None:
    for path in (run / "checkpoints").iterdir():
        change(path)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _foreign(path: Path) -> None:
    save_file({"weight": torch.zeros(3)}, path)  # a valid safetensors file, not a wgan one


def _edit_config(old: str, new: str) -> Callable[[Path], None]:
    def edit(run: Path) -> None:
        config = run / "config.yaml"
        assert old in config.read_text()
        config.write_text(config.read_text().replace(old, new))

    return edit


def _write(name: str, content: object) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        if isinstance(content, np.ndarray):
            np.save(path, content)
        elif isinstance(content, str):
            path.write_text(content)
        return path

    return make


TRAIN_OVER = ["train", "--steps", "4", *TINY, "--overwrite", "--out"]  # + RUN: even --overwrite
# (case, run change, data file, argv after the command, message)
CASES: list[tuple[str, Callable[[Path], None] | None, Callable[[Path], Path] | None, list[str], str]] = [
    ("run exists", None, None, ["train", *TINY, "--out", "RUN"], "already holds a run; continue it with `wgan resume"),
    ("unknown key", None, None, [*TRAIN_OVER, "RUN", "--set", "lipschitz.gp_lamda=1"], "unknown key 'lipschitz.gp_lamda' (did you mean 'lipschitz.gp_lambda'?)"),
    ("unknown key in a file", None, _write("my.yaml", "n_critc: 3\n"), ["train", "DATA", *TINY, "--overwrite", "--out", "RUN"], "unknown key 'n_critc' (did you mean 'n_critic'?)"),
    ("wrong type", None, None, [*TRAIN_OVER, "RUN", "--set", "n_critic=five"], "n_critic: Input should be a valid integer"),
    ("negative lambda", None, None, [*TRAIN_OVER, "RUN", "--set", "lipschitz.gp_lambda=-1"], "lipschitz.gp_lambda: Input should be greater than or equal to 0"),
    ("n_critic 0", None, None, [*TRAIN_OVER, "RUN", "--set", "n_critic=0"], "n_critic: Input should be greater than or equal to 1"),
    ("batch larger than the data", None, _write("few.npy", np.zeros((20, 2))), [*TRAIN_OVER, "RUN", "--data", "DATA", "--set", "batch_size=32"], "batch_size 32 is larger than the 16 training samples"),
    ("missing data file", None, None, [*TRAIN_OVER, "RUN", "--data", "missing.npy"], "missing.npy: no such file"),
    ("empty data file", None, _write("empty.csv", ""), [*TRAIN_OVER, "RUN", "--data", "DATA"], "no points"),
    ("data of the wrong shape", None, _write("cube.npy", np.zeros((4, 2, 2))), [*TRAIN_OVER, "RUN", "--data", "DATA"], "holds images and 8gaussians-wgan-gp is a preset for points"),
    ("text in a numeric column", None, _write("text.csv", "x,y\n1,2\n3,abc\n"), [*TRAIN_OVER, "RUN", "--data", "DATA"], "line 3, column 2: 'abc' is not a number"),
    ("NaN in the data", None, _write("nan.csv", "1,2\nnan,3\n"), [*TRAIN_OVER, "RUN", "--data", "DATA"], "point 2 (coordinate 1) is NaN"),
    ("inf in the data", None, _write("inf.npy", np.array([[1.0, np.inf]] * 30)), [*TRAIN_OVER, "RUN", "--data", "DATA"], "is an infinite value"),
    ("truncated checkpoints", lambda run: _every_checkpoint(run, _truncate), None, ["resume", "RUN", "--steps", "8"], "could be read: skipping checkpoint"),
    ("checkpoint of another tool", lambda run: _every_checkpoint(run, _foreign), None, ["resume", "RUN"], "is not a wgan checkpoint (format None)"),
    ("checkpoint of another model", _edit_config("critic_width: 16", "critic_width: 8"), None, ["resume", "RUN", "--steps", "8"], "different model or data config (model.critic_width: 16 in the checkpoint, 8 now)"),
    ("mistyped key in the run's config", _edit_config("n_critic:", "n_critc:"), None, ["resume", "RUN", "--steps", "8"], "unknown key 'n_critc'"),
    ("resume to step 0", None, None, ["resume", "RUN", "--steps", "0"], "steps: Input should be greater than or equal to 1"),
    ("sample from corrupt checkpoints", lambda run: _every_checkpoint(run, _truncate), None, ["sample", "RUN", "-o", "OUT.npy"], "could be read"),
    ("label that is not a class", None, _write("labels.csv", "x,y,label\n1,2,0\n3,4,0.5\n"), [*TRAIN_OVER, "RUN", "--data", "DATA"], "line 3: label 0.5 is not a class number"),
    ("unlabelled data for a cGAN", None, _write("plain.npy", np.zeros((40, 2))), [*TRAIN_OVER, "RUN", "--data", "DATA", "--set", "gan=cgan"], "gan 'cgan' trains on labelled data, and this data has no labels"),
    ("--label of an unconditional run", None, None, ["sample", "RUN", "-o", "OUT.npy", "--label", "1"], "--label is for runs of gan cgan, acgan or infogan"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "data", "argv", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_one_line_exit_2_and_touches_no_file(
    trained: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None] | None,
    data: Callable[[Path], Path] | None,
    argv: list[str],
    message: str,
) -> None:
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    if change is not None:
        change(run)
    data_path = data(tmp_path) if data is not None else None
    names = {"RUN": str(run), "DATA": str(data_path), "OUT.npy": str(tmp_path / "out.npy")}
    before = tree_digest(tmp_path)
    capsys.readouterr()
    assert main([names.get(arg, arg) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wgan: error: ") and err.count("\n") == 1, err
    assert message in err
    assert tree_digest(tmp_path) == before


def test_a_pickle_in_place_of_a_checkpoint_is_refused_unexecuted(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    marker = tmp_path / "pwned"
    _every_checkpoint(run, lambda path: path.write_bytes(pickle.dumps(Pwn(marker))))
    before = tree_digest(tmp_path)
    for argv in (["resume", str(run)], ["evaluate", str(run)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "corrupt or not a wgan checkpoint" in err and err.count("\n") == 1
    assert not marker.exists()
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize(("rank", "printed"), [("0", True), ("1", False)])
def test_single_process_commands_refuse_torchrun(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rank: str, printed: bool
) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun sets it, before any process group
    monkeypatch.setenv("RANK", rank)
    assert main(["presets"]) == 2
    err = capsys.readouterr().err
    expected = "wgan: error: `wgan presets` runs in one process; start it without torchrun\n"
    assert err == (expected if printed else "")
