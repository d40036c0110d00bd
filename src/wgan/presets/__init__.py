"""Named configs shipped with the package: each YAML file is a diff on the defaults of `Config`."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

import yaml

from wgan.errors import UserError

DEFAULT_PRESET = "8gaussians-wgan-gp"


def _preset_dir() -> Path:
    return Path(str(resources.files("wgan.presets")))


def preset_names() -> list[str]:
    return sorted(p.stem for p in _preset_dir().glob("*.yaml"))


def preset_path(name: str) -> Path:
    path = _preset_dir() / f"{name}.yaml"
    if not path.is_file():
        names = preset_names()
        guess = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        raise UserError(
            f"no preset or config file named '{name}'; {hint}`wgan presets` lists the presets"
        )
    return path


def preset_descriptions() -> list[tuple[str, str]]:
    """(name, one-line description) for every preset, sorted by name."""
    out = []
    for name in preset_names():
        raw = yaml.safe_load(preset_path(name).read_text()) or {}
        out.append((name, str(raw.get("description", "")).strip()))
    return out
