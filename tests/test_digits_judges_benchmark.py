"""benchmarks/digits_judges.py runs a few steps on the CPU and writes its JSON and markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import benchmark_script
from wgan.metrics.judges import JUDGE_NAMES


@pytest.mark.usefixtures("fast_classifier")
def test_digits_judges_runs_tiny_and_accumulates_variants(tmp_path: Path) -> None:
    bench = benchmark_script("digits_judges")
    tiny = ["--set", "steps=3", "--set", "eval.every=3", "--set", "batch_size=16"]
    tiny += ["--set", "model.generator_width=4", "--set", "model.critic_width=4"]
    common = ["--out", str(tmp_path / "runs"), "--results", str(tmp_path), *tiny]
    assert bench.main(["--label", "a", "--seeds", "0", "1", *common]) == 0
    assert bench.main(["--label", "b", "--seeds", "2", "--note", "another", *common]) == 0
    results = json.loads((tmp_path / "digits_judges.json").read_text())
    assert list(results["variants"]) == ["a", "b"]
    a = results["variants"]["a"]
    assert [s["seed"] for s in a["seeds"]] == [0, 1] and a["torch_threads"] == 1
    assert set(a["summary"]["judges"]) == set(JUDGE_NAMES)
    assert all(s["generator_steps"] == 3 for s in a["seeds"])
    assert a["summary"]["met"] is False  # three steps make no digits
    page = (tmp_path / "digits_judges.md").read_text()
    assert "| a | 0, 1 |" in page and "| b | 2 |" in page and "another" in page
