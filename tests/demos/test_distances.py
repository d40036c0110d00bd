"""`wgan demo distances` through the CLI entry point: the files and the closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import wgan.demos.distances as demo
from wgan.cli import main


def test_demo_writes_figures_and_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "N_SAMPLES", 300)
    monkeypatch.setattr(demo, "N_QUANTILES", 20_000)
    monkeypatch.setattr(demo, "THETAS", np.array([-0.5, 0.0, 0.25, 1.0]))
    out = tmp_path / "demo"
    assert main(["demo", "distances", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Closed form vs computed" in printed
    for name in ("parallel_lines.png", "four_piles.png", "table.md", "results.json"):
        assert (out / name).stat().st_size > 0
        assert str(out / name) in printed
    results = json.loads((out / "results.json").read_text())
    assert results["four_piles"]["w1"] == pytest.approx(0.5, abs=1e-12)
    plan = np.array(results["four_piles"]["plan_shovelfuls"])
    np.testing.assert_allclose(plan.sum(1), [3, 2, 1, 4], atol=1e-9)
    np.testing.assert_allclose(plan.sum(0), [1, 2, 4, 3], atol=1e-9)
    moved = float((plan * np.abs(np.subtract.outer(np.arange(4), np.arange(4)))).sum())
    assert moved == pytest.approx(5.0, abs=1e-9)
    for row in results["rows"]:
        if "quantile grids" in row["how"] or "bins of width" in row["how"]:
            closed, computed = row["closed_form"], row["computed"]
            if closed == "inf":
                assert computed == "inf"
            else:
                assert computed == pytest.approx(closed, abs=2e-4), row
    sweep = results["parallel_lines"]
    for theta, w1, js_value, tv_value in zip(
        sweep["theta"], sweep["w1"], sweep["js"], sweep["tv"], strict=True
    ):
        assert w1 == pytest.approx(abs(theta), abs=0.06)
        if theta != 0:
            assert js_value == pytest.approx(np.log(2)) and tv_value == pytest.approx(1.0)
    assert "demo-distances" in str(demo.DEFAULT_OUT)
