"""The conditional benchmark script runs (a few steps of each preset) and writes what it promises."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.usefixtures("fast_classifier")
def test_conditional_benchmark_runs_tiny(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "conditional.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = tmp_path / "results"
    assert (
        bench.main(["--out", str(tmp_path / "runs"), "--results", str(results), "--steps", "2"])
        == 0
    )
    summary = json.loads((results / "conditional.json").read_text())
    assert [r["preset"] for r in summary["runs"]] == list(bench.PRESETS)
    for run in summary["runs"]:
        assert run["final"]["step"] == 2 and (results / run["figure"]).stat().st_size > 1000
    cgan, _, infogan, cycle = summary["runs"]
    assert len(cgan["per_class_accuracy"]) == 10
    assert sorted(infogan["code_matching"]["code_to_digit"]) == [str(k) for k in range(10)]
    assert cycle["final"]["translation_error_ab"] > 0
    page = (results / "conditional.md").read_text()
    assert "label accuracy" in page and "translation error" in page
