from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from wgan.cli import main
from wgan.demos.compare import markdown, summarise


def test_compare_writes_table_json_and_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    argv = [
        "compare",
        "--methods", "nsgan,wgan-gp",
        "--datasets", "8gaussians,swissroll",
        "--seeds", "0,1",
        "--steps", "2",
        "--eval-n", "40",
        "--set", "model.critic_width=16",
        "--set", "model.generator_width=16",
        "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    result = json.loads((out / "compare.json").read_text())
    assert len(result["runs"]) == 8
    assert {r["preset"] for r in result["runs"]} == {
        "8gaussians-nsgan", "8gaussians-wgan-gp", "swissroll-nsgan", "swissroll-wgan-gp"
    }  # fmt: skip
    assert result["command"].startswith("wgan compare --methods nsgan,wgan-gp")
    for run in result["runs"]:
        assert run["steps"] == 2 and run["error"] is None
        assert run["w1"] > run["w1_noise_floor"] > 0
        assert (run["modes_total"] == 8) == (run["dataset"] == "8gaussians")
    table = (out / "compare.md").read_text()
    assert "## 8gaussians" in table and "## swissroll" in table and "| nsgan | 2 |" in table
    assert (out / "compare.png").stat().st_size > 10_000
    assert (out / "runs" / "swissroll-nsgan-s1" / "samples.npy").exists()
    assert "[8/8]" in capsys.readouterr().out
    # The same command again reuses every finished run instead of training it again.
    metrics = out / "runs" / "8gaussians-nsgan-s0" / "metrics.jsonl"
    written = metrics.stat().st_mtime_ns
    assert main(argv) == 0
    again = json.loads((out / "compare.json").read_text())
    assert again["runs"] == result["runs"]
    assert metrics.stat().st_mtime_ns == written


def test_compare_refuses_a_method_without_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--methods", "nsgan,wgan-xyz", "--datasets", "8gaussians"]) == 2
    assert "no preset 8gaussians-wgan-xyz" in capsys.readouterr().err


def _record(
    method: str, seed: int, w1: float, modes: int, quality: float, error: str | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "method": method, "dataset": "25gaussians", "seed": seed, "steps": 10, "error": error,
        "train_seconds": 2.0 * (seed + 1),
    }  # fmt: skip
    if error is None:
        record |= {
            "w1": w1, "w1_noise_floor": 0.05, "modes_covered": modes, "modes_total": 25,
            "high_quality": quality,
        }  # fmt: skip
    return record


def test_summary_averages_seeds_and_ranks_by_w1() -> None:
    records = [
        _record("a", 0, 0.3, 20, 0.5),
        _record("a", 1, 0.5, 22, 0.7),
        _record("b", 0, 0.1, 25, 0.9),
        _record("b", 1, 0.0, 0, 0.0, error="critic_loss became NaN"),
        _record("c", 0, 0.0, 0, 0.0, error="diverged"),
    ]
    rows = summarise(records)
    assert [r["method"] for r in rows] == ["b", "a", "c"]
    a = rows[1]
    assert a["w1_mean"] == pytest.approx(0.4)
    assert a["w1_std"] == pytest.approx(0.1414213562)
    # 95% interval of a mean of 2: Student's t with 1 degree of freedom is Cauchy, whose 0.975
    # quantile is tan(0.475 pi) = 12.706.
    t = math.tan(0.475 * math.pi)
    assert a["w1_ci95"] == pytest.approx(t * 0.1414213562 / math.sqrt(2))
    assert a["high_quality_ci95"] == pytest.approx(t * 0.1414213562 / math.sqrt(2))
    assert rows[0]["w1_ci95"] is None  # one finished run: no interval
    assert (a["modes_mean"], a["modes_min"], a["modes_max"]) == (21, 20, 22)
    assert a["high_quality_mean"] == pytest.approx(0.6)
    assert a["train_seconds"] == pytest.approx(3.0)
    assert (rows[0]["diverged"], rows[0]["w1_mean"]) == (1, 0.1)
    assert rows[2]["w1_mean"] is None
    header = {
        "machine": {"cpu": "x", "cpus": 2, "gpu": None, "python": "3", "torch": "2"},
        "eval_n": 2500, "command": "wgan compare", "date": "today", "total_seconds": 60.0,
        "load_average_at_end": [1.0], "n_seeds": 2, "seeds": [0, 1], "train_seconds_sum": 12.0,
    }  # fmt: skip
    header["machine"]["load_average"] = [1.0]
    text = markdown(rows, header)
    assert "| b (1 of 2 diverged) | 10 | 0.1000 | 0.0500 | 25.0/25 | 90.0% |" in text  # one run
    assert "| c (1 of 1 diverged) | 10 | diverged |" in text
    assert (
        "| a | 10 | 0.4000 ± 1.2706 | 0.0500 | 21.0/25 ± 12.7 [20-22] | 60.0% ± 127.1% (50.0%) |"
        in text
    )
