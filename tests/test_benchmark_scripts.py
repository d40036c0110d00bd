"""The benchmark scripts run (at a tiny size or a few steps, on the CPU) and write what they promise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import benchmark_script
from wgan.data.images import load_image_data


def test_synthetic_sets_are_real_format_files(tmp_path: Path) -> None:
    gpu = benchmark_script("gpu_images")
    cifar = load_image_data(
        gpu.write_cifar_format(tmp_path, 50, 20), resolution=None, channels=None
    )
    assert cifar.train.pixels.shape == (50, 3, 32, 32) and cifar.test is not None
    assert set(np.unique(cifar.train.labels)) <= set(range(10))
    mnist = load_image_data(gpu.write_mnist_format(tmp_path / "m"), resolution=None, channels=None)
    assert mnist.train.pixels.shape == (1437, 28, 28) and mnist.test is not None
    assert mnist.test.labels is not None and len(mnist.test.labels) == 360


def test_gpu_images_runs_tiny_on_the_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wgan.metrics import classifier

    monkeypatch.setattr(classifier, "training_steps", lambda n: 2)  # the code path, not accuracy
    gpu = benchmark_script("gpu_images")
    argv = ["--out", str(tmp_path), "--tiny", "--device", "cpu", "--budget-s", "1"]
    argv += ["--eval-every-s", "5"]  # one evaluation after each run's half second
    assert gpu.main(argv) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "generator steps/s" in out
    summary = json.loads((tmp_path / "gpu_images.json").read_text())
    assert summary["synthetic_data"] is True
    assert [r["preset"] for r in summary["runs"]] == ["cifar10-wgan-gp", "mnist-wgan-gp"]
    for run in summary["runs"]:
        assert run["generator_steps"] > 0 and run["generator_steps_per_s"] > 0
        assert run["curve"][0]["step"] == 0 and len(run["curve"]) >= 2
        assert Path(run["report"]).is_file()


def test_speed_script_runs_tiny(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wgan.demos import bench
    from wgan.training import trainer as trainer_module

    monkeypatch.setattr(
        trainer_module, "COMPILE_BACKEND", "eager"
    )  # the code path, not inductor's minutes
    real_peak = bench.matmul_peak_gflops  # at tiny sizes: the code path, not a 2048 matmul
    monkeypatch.setattr(
        bench,
        "matmul_peak_gflops",
        lambda device, precision, size=None, repeats=2: real_peak(
            device, precision, size=min(size or 64, 128), repeats=repeats
        ),
    )
    speed = benchmark_script("speed")
    argv = ["--tiny", "--repeats", "2", "--steps", "1", "--out", str(tmp_path)]
    assert speed.main(argv) == 0
    results = json.loads((tmp_path / "results" / "speed.json").read_text())
    toy, dcgan = results["workloads"]["toy"], results["workloads"]["dcgan"]
    names = [r["name"] for r in toy["contenders"]]
    assert names[0] == "reference" and names[-3:] == [
        "wgan fp32",
        "wgan bf16",
        "wgan bf16 compiled",
    ]
    assert "wgan bf16 channels-last" in [r["name"] for r in dcgan["contenders"]]
    for row in toy["contenders"] + dcgan["contenders"]:
        assert len(row["seconds_per_step"]) == 2 and row["generator_steps_per_s"] > 0
    assert toy["contenders"][0]["ratio_vs_reference"] == 1.0
    assert len(results["scaling"]) == 4 and results["scaling"][0]["gflop_per_generator_step"] > 0
    assert [r["size"] for r in results["matmuls"]] == [64, 128]
    assert all(
        r["fp32_gflops_per_s"] > 0 and r["bf16_gflops_per_s"] > 0 for r in results["matmuls"]
    )
    table = (tmp_path / "speed.md").read_text()
    assert (
        "| reference |" in table
        and "How the cost grows" in table
        and "bf16 / fp32" in table
        and results["command"] in table
    )


def test_precision_script_runs_tiny(tmp_path: Path) -> None:
    precision = benchmark_script("precision")
    argv = ["--tiny", "--presets", "8gaussians-wgan-gp-paper", "--seeds", "0", "1", "--steps",
            "2", "--eval-every", "1", "--n", "50", "--n-penalty", "16", "--out", str(tmp_path)]  # fmt: skip
    assert precision.main(argv) == 0
    results = json.loads((tmp_path / "results" / "precision.json").read_text())
    assert [r["step"] for r in results["summary"]] == [1, 2]
    for row in results["summary"]:
        assert row["seeds"] == 2 and row["w1_fp32_mean"] > 0 and row["w1_bf16_mean"] > 0
        assert 0 <= row["penalty_relative_difference_median"] < 0.05  # bf16: ~3 significant digits
    for run in results["runs"]:  # same seed, same start: the first steps barely differ
        first = [run["curves"][p][0]["w1"] for p in ("fp32", "bf16")]
        assert first[0] == pytest.approx(first[1], rel=0.05)
    assert "| 8gaussians-wgan-gp-paper | 2 |" in (tmp_path / "precision.md").read_text()


def test_toy_curve_script_runs_short(tmp_path: Path) -> None:
    toy_curve = benchmark_script("toy_curve")
    toy_curve.main(["--seeds", "0", "--steps", "2", "--out", str(tmp_path)])
    record = json.loads((tmp_path / "toy_curve.json").read_text())
    assert [run["preset"] for run in record["runs"]] == list(toy_curve.PRESETS)
    for run in record["runs"]:
        (point,) = run["points"]  # one block of 2 steps, then its evaluation
        assert point["step"] == 2 and point["seconds"] > 0 and point["w1"] > 0
    assert "| 8gaussians-wgan-gp |" in (tmp_path / "toy_curve.md").read_text()
    assert (tmp_path / "toy_curve.png").stat().st_size > 0


def test_alg1_script_runs_tiny_and_skips_finished_runs(tmp_path: Path) -> None:
    alg1 = benchmark_script("alg1")
    argv = ["--tiny", "--steps", "2", "--evals", "2", "--n", "50", "--seeds", "0",
            "--datasets", "8gaussians", "swissroll", "--threads", "1", "--out", str(tmp_path),
            "--note", "Seed 0 ran alone."]  # fmt: skip
    assert alg1.main(argv) == 0
    log = (tmp_path / "alg1.jsonl").read_text()
    record = json.loads((tmp_path / "alg1.json").read_text())
    assert [(r["preset"], r["seed"]) for r in record["runs"]] == [
        ("8gaussians-wgan-gp", 0),
        ("8gaussians-wgan-gp-alg1", 0),
        ("swissroll-wgan-gp", 0),
        ("swissroll-wgan-gp-alg1", 0),
    ]
    for tuned, paper in zip(record["runs"][::2], record["runs"][1::2], strict=True):
        assert tuned["steps"] == 2 and [p["step"] for p in tuned["curve"]] == [1, 2]
        assert paper["budget_seconds"] == tuned["train_seconds"] <= paper["train_seconds"]
        assert paper["batch_size"] == 64 and paper["config"]["lipschitz"]["gp_lambda"] == 10.0
        assert len(paper["curve"]) == 2 and paper["final"]["w1"] > 0
    assert record["runs"][0]["final"]["modes_total"] == 8
    assert record["runs"][2]["final"]["modes_covered"] is None  # the swiss roll has no modes
    assert record["git"]["head"] and record["timing"].startswith("training steps only")
    assert [row["preset"] for row in record["summary"]][:2] == [
        "8gaussians-wgan-gp",
        "8gaussians-wgan-gp-alg1",
    ]
    table = (tmp_path / "alg1.md").read_text()
    assert "| 8gaussians | 8gaussians-wgan-gp-alg1 | 64 |" in table and record["command"] in table
    assert "\nSeed 0 ran alone.\n" in table and "'Seed 0 ran alone.'" in record["command"]
    assert (tmp_path / "alg1.png").stat().st_size > 0
    assert alg1.main(argv) == 0  # a restart finds every run done and trains nothing
    assert (tmp_path / "alg1.jsonl").read_text() == log


def test_lipschitz_bound_script_runs_tiny(tmp_path: Path) -> None:
    script = benchmark_script("lipschitz_bound")
    assert script.main(["--steps", "1", "--no-larger", "--results", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "lipschitz_bound.json").read_text())
    assert [r["variant"] for r in summary["runs"]] == ["gp", "sn-reshaped", "sn-exact"]
    for run in summary["runs"]:
        assert 0 < run["largest_gradient_found"] <= run["critic_lipschitz_bound"]
        assert len(run["layer_norms"]) == 3 and run["bound_seconds_median"] > 0
    assert "| sn-exact |" in (tmp_path / "lipschitz_bound.md").read_text()


def test_density_sets_are_fixed_finite_and_split_in_halves() -> None:
    sets = benchmark_script("density_sets")
    assert set(sets.TUNE) | set(sets.HELD_OUT) == set(sets.SETS)
    assert not set(sets.TUNE) & set(sets.HELD_OUT)
    for name in sets.SETS:
        points = sets.density_set(name, 300).points
        assert points.shape[0] >= 298 and np.isfinite(points).all(), name
        np.testing.assert_array_equal(points, sets.density_set(name, 300).points)
    assert sets.density_set("mixture-50d", 10).points.shape == (10, 50)
    raw = sets.density_set("raw-rings", 4000).points
    assert raw[:, 0].std() > 50 * raw[:, 1].std() and raw[:, 0].mean() > 1000
    eight = sets.density_set("8gaussians", 4000)
    assert eight.centres is not None and eight.centres.shape == (8, 2)
    nearest = np.linalg.norm(eight.points[:, None] - eight.centres[None], axis=2).min(axis=1)
    assert nearest.max() < 6 * (eight.std or 0)  # every point is drawn from one of the modes


def test_unseen_benchmark_runs_tiny(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unseen = benchmark_script("unseen")
    monkeypatch.setattr(unseen, "N_POINTS", 600)
    monkeypatch.setattr(unseen, "N_EVAL", 60)
    tiny = ["--set", "model.generator_width=16", "--set", "model.critic_width=16"]
    tiny += ["--set", "steps=4", "--set", "eval.n=60", "--evals", "2"]
    unseen.main(["--sets", "8gaussians,curve-5d", *tiny, "--out", str(tmp_path)])
    runs = [json.loads(line) for line in (tmp_path / "runs.jsonl").open()]
    assert [(r["set"], r["dim"], r["steps"]) for r in runs] == [
        ("8gaussians", 2, 4),
        ("curve-5d", 5, 4),
    ]
    for run in runs:
        assert [c["step"] for c in run["curve"]] == [2, 4]
        assert run["final"]["ratio"] == pytest.approx(run["final"]["w1"] / run["final"]["floor"])
    assert runs[0]["final"]["modes_total"] == 8 and runs[1]["final"]["modes_total"] is None
    assert (tmp_path / "samples-defaults.png").is_file() and len(runs[0]["samples"]) == 1000
    summary = (tmp_path / "summary.md").read_text()
    assert "| 8gaussians | tune | 1 | 4 |" in summary and "| curve-5d | tune | 1 | 4 |" in summary
    unseen.main(["--sets", "8gaussians", *tiny, "--out", str(tmp_path)])  # done: skipped
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 2
