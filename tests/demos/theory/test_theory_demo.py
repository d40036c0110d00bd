"""`wgan demo theory` end to end at toy sizes: the files, the printed summary, the exact checks,
and the same numbers from a second run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import wgan.demos.theory.demo as demo
import wgan.demos.theory.settings as settings
from wgan.cli import main
from wgan.demos.theory.densities import normal, uniform

# Checks against closed forms hold at any size (the statistical ones need the demo's sizes).
EXACT_TOLERANCES = ("rel 1e-10", "spread <= 1e-10", "<= 1e-12", "|diff| <= 0.0001")


def _toy_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    small = {
        "DSTAR_NS": (200, 400),
        "DSTAR_SEEDS": (0,),
        "JS_N": 300,
        "JS_MAX_STEPS": 100,
        "JS_SHIFTS": np.array([-1.5, 0.0, 0.5, 2.0]),
        "SAT_THETAS": np.array([0.5, 4.0]),
        "SAT_TRAINED": (4.0,),
        "SAT_N": 300,
        "SAT_SAMPLES": 4000,
        "GAME_STEPS": 100,
        "LINES_STEPS": 20,
        "LINES_CHECKPOINTS": (1, 5, 20),
    }
    for name, value in small.items():
        monkeypatch.setattr(settings, name, value)
    monkeypatch.setattr(
        settings,
        "js_pairs",
        lambda: [(normal(0.0, 1.0), normal(1.0, 1.0)), (uniform(0.0, 1.0), uniform(2.0, 3.0))],
    )


def test_demo_writes_figures_and_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _toy_sizes(monkeypatch)
    out = tmp_path / "theory"
    assert main(["demo", "theory", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "GAN theory" in printed
    names = [
        "optimal_discriminator.png",
        "js_identity.png",
        "saturation.png",
        "bilinear_game.png",
        "continuity.png",
        "table.md",
        "results.json",
    ]
    for name in names:
        assert (out / name).stat().st_size > 0
        assert str(out / name) in printed
    results = json.loads((out / "results.json").read_text())
    claims = {c["claim"] for c in results["checks"]}
    assert claims == {"1 optimal D", "2 JS identity", "3 saturation", "4 xy game", "5 continuity"}
    exact = [c for c in results["checks"] if c["tolerance"] in EXACT_TOLERANCES]
    assert len(exact) == 7  # 3 for the xy game, 2 slopes, 2 pairs against JS
    for check in exact:
        assert check["passed"], check
    assert results["settings"]["js_n"] == 300
    assert set(results["seconds"]) == set(demo.CLAIMS)
    assert len(results["continuity"]["theta"]["wgan-gp"]) == 21
    table = (out / "table.md").read_text()
    assert table.startswith("# GAN theory") and table.count("| --- |") >= 6


def test_a_second_run_gives_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Everything is seeded: two runs in one process write the same results.json (but for the
    wall times) and the same table.md (but for its line of wall times)."""
    _toy_sizes(monkeypatch)
    runs = []
    for name in ("first", "second"):
        assert main(["demo", "theory", "--out", str(tmp_path / name)]) == 0
        results = json.loads((tmp_path / name / "results.json").read_text())
        assert results.pop("seconds")
        table = (tmp_path / name / "table.md").read_text().splitlines()
        runs.append((results, [line for line in table if not line.startswith("Wall time")]))
    capsys.readouterr()
    assert runs[0] == runs[1]


def test_default_output_directory() -> None:
    assert str(demo.DEFAULT_OUT) == "runs/demo-theory"
