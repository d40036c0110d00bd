"""The wheel: built from a copy of the sources, installed into a fresh virtualenv, it trains.

The fresh environment gets its dependencies (torch and the rest) from the environment running the
tests, through a .pth line naming that environment's site-packages, so nothing is downloaded;
wgan itself comes from the wheel alone (the source tree is not on its path).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import wgan
from wgan.presets import preset_names

ROOT = Path(__file__).resolve().parents[1]


def _run(command: list[str | Path], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(tmp_path: Path) -> Path:
    """`python -m build` on a copy of the sources (the build writes next to them): the sdist,
    then the wheel from the sdist, so that a file missing from the sdist fails here too."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist], source)
    assert (dist / f"wgan-{wgan.__version__}.tar.gz").is_file()
    (wheel,) = dist.glob("*.whl")
    return wheel


def _fresh_venv(path: Path) -> Path:
    """A virtualenv without pip whose dependencies are this environment's packages."""
    _run([sys.executable, "-m", "venv", "--without-pip", path], path.parent)
    python = path / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], path)
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    Path(site.strip(), "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_trains(tmp_path: Path) -> None:
    pytest.importorskip("build")
    wheel = _build_wheel(tmp_path)
    assert wheel.name == f"wgan-{wgan.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"wgan/presets/{name}.yaml" for name in preset_names()} <= names
    assert "wgan/py.typed" in names

    python = _fresh_venv(tmp_path / "env")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", wheel], tmp_path)
    bin_dir = python.parent
    where = _run([python, "-c", "import wgan; print(wgan.__file__)"], tmp_path)
    assert Path(where.strip()).is_relative_to(tmp_path / "env")

    assert _run([bin_dir / "wgan", "--version"], tmp_path) == f"wgan {wgan.__version__}\n"
    listed = _run([bin_dir / "wgan", "presets"], tmp_path).splitlines()
    assert [line.split()[0] for line in listed] == preset_names()

    _run([bin_dir / "wgan", "train", "--steps", "10", "--out", "run"], tmp_path)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").open()]
    assert records[-1]["kind"] == "eval" and records[-1]["step"] == 10
    assert (tmp_path / "run" / "checkpoints" / "step-00000010.safetensors").is_file()
