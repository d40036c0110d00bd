"""wgan bench: FLOPs against a closed form, the report's keys and consistency, the CLI."""

from __future__ import annotations

import functools
import itertools
import json
import time
from pathlib import Path

import pytest
import torch

from conftest import tiny_config
from wgan.cli import main
from wgan.demos import bench
from wgan.demos.bench import random_image_data, run_bench
from wgan.errors import UserError
from wgan.timing import NO_TIMER, PhaseTimer

DESIGN_KEYS = {"preset", "precision", "generator_steps_per_s", "critic_steps_per_s",
               "gflops_per_s", "peak_gflops_per_s"}  # fmt: skip
TINY = ["--set", "model.generator_width=16", "--set", "model.critic_width=16",
        "--set", "batch_size=16", "--set", "eval.n=100", "--device", "cpu"]  # fmt: skip


@pytest.fixture(autouse=True)
def _small_peak(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 256 x 256 matmul for the peak: the code path, in milliseconds."""
    monkeypatch.setattr(bench, "matmul_peak_gflops", functools.partial(
        bench.matmul_peak_gflops, size=256))  # fmt: skip


def _mlp_flops(batch: int, dims: list[int]) -> list[int]:
    return [2 * batch * a * b for a, b in itertools.pairwise(dims)]


def test_flops_of_a_generator_step_match_the_closed_form() -> None:
    """Layer FLOPs g_l (generator), c_l (critic) at batch m; G, C their sums. A critic step:
    G (fake, no graph) + 2C (real and fake) + 4C - 2 c_first (its backward: weights, and inputs
    but the data's) + C + C + 2C - c_last (the penalty: forward, gradient at x_hat, the
    gradient's backward, where the last layer's incoming gradient is a constant). A generator
    step: G + C forward, C back through the frozen critic (inputs only), 2G - g_first."""
    config = tiny_config()
    m, model = config.batch_size, config.model
    g = _mlp_flops(m, [model.latent_dim] + [model.generator_width] * model.generator_depth + [2])
    c = _mlp_flops(m, [2] + [model.critic_width] * model.critic_depth + [1])
    big_g, big_c = sum(g), sum(c)
    critic_step = big_g + 10 * big_c - c[-1] - 2 * c[0]
    generator_step = 3 * big_g + 2 * big_c - g[0]
    result = run_bench(config, steps=1, warmup=1, evaluate=False)
    expected = config.n_critic * critic_step + generator_step
    assert result["gflop_per_generator_step"] * 1e9 == pytest.approx(expected, rel=1e-12)


def test_report_is_consistent() -> None:
    config = tiny_config(n_critic=3)
    r = run_bench(config, steps=2, warmup=1, split_steps=1, evaluate=True)
    assert DESIGN_KEYS <= set(r) and r["preset"] == config.name and r["precision"] == "fp32"
    assert r["critic_steps_per_s"] == pytest.approx(3 * r["generator_steps_per_s"])
    assert r["gflops_per_s"] == pytest.approx(
        r["gflop_per_generator_step"] * r["generator_steps_per_s"]
    )
    assert r["peak_fraction"] == pytest.approx(r["gflops_per_s"] / r["peak_gflops_per_s"])
    assert {"data", "generator forward", "critic forward", "penalty", "critic backward",
            "optimizer", "generator step"} <= set(r["time_split_ms"])  # fmt: skip
    assert sum(r["time_split"].values()) == pytest.approx(1.0)
    assert r["evaluation_s"] > 0 and 0 < r["evaluation_share"] < 1
    assert r["peak_memory_mb"] > 0 and r["machine"]
    json.dumps(r)  # all plain values


def test_phase_timer_sums_named_phases() -> None:
    timer = PhaseTimer(torch.device("cpu"))
    for _ in range(2):
        with timer("a"):
            time.sleep(0.01)
    with timer("b"):
        pass
    assert set(timer.seconds) == {"a", "b"} and 0.02 <= timer.seconds["a"] < 0.5
    with NO_TIMER("a"):
        pass
    assert not NO_TIMER.enabled and not NO_TIMER.seconds


def test_matmul_peak_is_positive() -> None:
    assert 0 < bench.matmul_peak_gflops(torch.device("cpu"), "bf16", size=64, repeats=2) < 1e6


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "8gaussians-wgan-gp", "--steps", "1", "--json", "--no-eval", *TINY]) == 0
    result = json.loads(capsys.readouterr().out)
    assert DESIGN_KEYS <= set(result) and result["evaluation_s"] is None
    assert result["batch_size"] == 16 and result["synthetic_data"] is False


def test_cli_report_on_random_images(capsys: pytest.CaptureFixture[str]) -> None:
    small = ["--set", "data.resolution=8", "--set", "model.latent_dim=8"]
    assert main(["bench", "mnist-wgan-gp", "--steps", "1", "--no-eval", *TINY, *small]) == 0
    out = capsys.readouterr().out
    assert "random images" in out and "generator steps/s" in out and "penalty" in out


def test_bad_requests_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["bench", "--steps", "0", *TINY]) == 2
    assert "--steps" in capsys.readouterr().err
    assert main(["bench", "--threads", "0", *TINY]) == 2
    with pytest.raises(UserError, match=r"data\.resolution"):
        random_image_data({"name": "x", "data": {"name": "images", "channels": 1}}, tmp_path)
    assert random_image_data({"data": {"name": "8gaussians"}}, tmp_path) is None
