from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from conftest import tiny_config
from wgan.cli import main
from wgan.demos.compare import CompareRequest, fit_budget, markdown, plan, summarise
from wgan.errors import UserError
from wgan.training.budget import Timing


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
        assert (run["reverse_kl"] is None) == (
            run["dataset"] == "swissroll" or not run["high_quality"]
        )
        # The curve: step 0 and the end (2 steps leave no room for the others), with times.
        assert [point["step"] for point in run["curve"]] == [0, 1, 2]
        assert run["curve"][-1]["w1"] == run["w1"]
        assert run["curve"][-1]["train_seconds"] > run["curve"][0]["train_seconds"] >= 0
        assert run["train_seconds"] >= run["curve"][-1]["train_seconds"]
        assert run["eval_seconds"] > 0
    table = (out / "compare.md").read_text()
    assert "## 8gaussians" in table and "## swissroll" in table and "| nsgan | 2 |" in table
    assert (out / "compare.png").stat().st_size > 10_000
    assert (out / "curves.png").stat().st_size > 10_000
    assert (out / "runs" / "swissroll-nsgan-s1" / "samples.npy").exists()
    assert "[8/8]" in capsys.readouterr().out
    # The same command again reuses every finished run instead of training it again.
    metrics = out / "runs" / "8gaussians-nsgan-s0" / "metrics.jsonl"
    written = metrics.stat().st_mtime_ns
    assert main(argv) == 0
    again = json.loads((out / "compare.json").read_text())
    assert again["runs"] == result["runs"]
    assert (result["reused"], again["reused"]) == (0, 8)
    assert "8 of the runs were trained by an earlier invocation" in (out / "compare.md").read_text()
    assert metrics.stat().st_mtime_ns == written


def test_compare_refuses_a_method_without_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--methods", "nsgan,wgan-xyz", "--datasets", "8gaussians"]) == 2
    assert "no preset 8gaussians-wgan-xyz" in capsys.readouterr().err


def _record(
    method: str, seed: int, w1: float, modes: int, quality: float, error: str | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "method": method, "dataset": "25gaussians", "seed": seed, "steps": 10, "error": error,
        "train_seconds": 2.0 * (seed + 1), "budget_s": None,
    }  # fmt: skip
    if error is None:
        record |= {
            "w1": w1, "w1_noise_floor": 0.05, "modes_covered": modes, "modes_total": 25,
            "high_quality": quality, "precision": 0.5, "recall": 0.25, "reverse_kl": 0.1,
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
        "protocol": None, "steps": 10, "budget_s": None, "datasets": ["25gaussians"],
        "evaluations": 5,
    }  # fmt: skip
    header["machine"]["load_average"] = [1.0]
    text = markdown(rows, header)
    one_run = (
        "| b (1 of 2 diverged) | 10 | 0.1000 | 0.0500 | 0.50 | 0.25 | 25.0/25 | 90.0% | 0.10 |"
    )
    assert one_run in text
    assert "| c (1 of 1 diverged) | 10 | diverged |" in text
    assert (
        "| a | 10 | 0.4000 ± 1.2706 | 0.0500 | 0.50 | 0.25 | 21.0/25 ± 12.7 [20-22] | "
        "60.0% ± 127.1% (50.0%) | 0.10 |" in text
    )
    assert "each for 10 generator steps" in text and "Published toy numbers" in text


def test_a_budget_is_filled_by_the_steps_its_timing_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    # 100 steps/s: 10 s of training are 1000 steps, evaluated every 200 (5 times after step 0).
    def timing(config: object, clock: str, evaluations: bool) -> Timing:
        assert clock == "cpu" and not evaluations  # the evaluations are not in the budget
        return Timing(steps, 0.0, 0.0, 2.0)

    monkeypatch.setattr("wgan.training.budget.measure", timing)
    steps = 100.0
    config = fit_budget(tiny_config(), 10.0, "cpu")
    assert (config.steps, config.eval.every, config.time_budget_s) == (1000, 200, 10.0)
    assert config.checkpoint.every == 1000
    steps = 0.5
    with pytest.raises(UserError, match="--budget-s 10 leaves 5 steps"):
        fit_budget(tiny_config(), 10.0, "cpu")


def test_runs_off_budget_are_counted() -> None:
    records = [_record("a", s, 0.1, 25, 0.9) | {"budget_s": 10.0} for s in range(3)]
    records[0]["train_seconds"], records[1]["train_seconds"] = 10.9, 11.6  # within 15%, not
    records[2]["train_seconds"] = 8.0
    assert summarise(records)[0]["off_budget"] == 2
    # A budget of CPU seconds is held to the CPU seconds the runs had.
    for r, cpu in zip(records, (10.0, 9.0, 12.0), strict=True):
        r |= {"budget_clock": "cpu", "train_cpu_seconds": cpu}
    assert summarise(records)[0]["off_budget"] == 1


def test_a_protocol_fixes_data_networks_and_trials() -> None:
    request = CompareRequest(
        protocol="pacgan", methods=["wgan-gp"], overrides=["batch_size=64", "model.critic_maxout=2"]
    )
    jobs = plan(request)
    assert len(jobs) == 20  # ring and grid, 10 trials
    grid = next(job for job in jobs if job.dataset == "grid")
    c = grid.config
    assert (c.data.name, c.batch_size, c.steps, c.eval.n) == ("grid", 100, 400_000, 2500)
    m = c.model
    assert (m.generator_width, m.generator_depth, m.generator_norm) == (400, 4, "batchnorm")
    assert (m.critic_width, m.critic_depth, m.critic_maxout, m.init_std) == (200, 3, 5, 0.02)
    assert c.lipschitz.method == "gp"  # the method's own choice stays
    assert {job.seed for job in jobs} == set(range(10))


def test_a_short_protocol_run_stands_beside_the_papers_rows(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", "--protocol", "pacgan", "--methods", "nsgan", "--datasets", "grid",
            "--seeds", "0", "--steps", "3", "--eval-n", "50", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    record = json.loads((out / "compare.json").read_text())["runs"][0]
    assert record["modes_total"] == 25 and record["steps"] == 3
    assert set(record) >= {"modes_covered", "high_quality", "reverse_kl", "train_seconds"}
    table = (out / "compare.md").read_text()
    assert "| PacGAN4 | 24.8 | 93.6% | 0.04 | PacGAN (Lin et al. 2018), Table 1 |" in table
    assert "| wgan nsgan (3 steps) |" in table
    assert "shorter than the protocol's 400000 steps" in table


def test_unknown_protocol_data_sets_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--protocol", "veegan", "--datasets", "8gaussians"]) == 2
    assert "the veegan protocol has ring, grid" in capsys.readouterr().err


def test_curves_average_seeds_on_the_budgets_clock() -> None:
    from wgan.demos.compare_report import mean_curve

    def run(w1: float, cpu: float) -> dict[str, Any]:
        curve = [
            {"train_seconds": 0.0, "train_cpu_seconds": 0.0, "w1": 1.0, "w1_noise_floor": 0.1},
            {"train_seconds": 200.0, "train_cpu_seconds": cpu, "w1": w1, "w1_noise_floor": 0.1},
        ]
        return {"error": None, "curve": curve}

    runs = [run(0.2, 100.0), run(0.4, 50.0)]
    assert mean_curve(runs, "w1") == ([0.0, 200.0], [pytest.approx(10.0), pytest.approx(3.0)])
    for r in runs:
        r["budget_clock"] = "cpu"
    assert mean_curve(runs, "w1")[0] == [0.0, 75.0]


def test_a_cpu_budget_run_records_the_steps_it_fitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wgan.training.budget.TIMING_SECONDS", 0.5)
    out = tmp_path / "cmp"
    argv = ["compare", "--methods", "nsgan", "--datasets", "swissroll", "--seeds", "0",
            "--budget-s", "2", "--budget-clock", "cpu", "--eval-n", "40",
            "--set", "model.critic_width=16", "--set", "model.generator_width=16",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    record = json.loads((out / "compare.json").read_text())["runs"][0]
    config = (out / "runs" / "swissroll-nsgan-s0" / "config.yaml").read_text()
    assert f"steps: {record['steps']}" in config and record["steps"] > 100
    assert (record["budget_s"], record["budget_clock"]) == (2.0, "cpu")
    # The timing and the run share the clock; the evaluations stay out of it.
    assert 1.0 < record["train_cpu_seconds"] < 4.0
    assert "same CPU budget of 2 s of training" in (out / "compare.md").read_text()
