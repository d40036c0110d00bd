"""The TensorBoard logger, read back with TensorBoard's own EventAccumulator; metrics.jsonl is
the oracle for every scalar, finite differences for the gradient-norm histograms."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from conftest import tiny_config, tiny_image_config
from wgan.errors import UserError
from wgan.reporting.tensorboard import HISTOGRAM_SAMPLES
from wgan.training.checkpoint import list_checkpoints
from wgan.training.loop import train_until
from wgan.training.rundir import open_run, start_run

TENSORBOARD = {"every": 2, "logger": "tensorboard"}


def _events(run: Path) -> Any:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    everything = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}
    events = EventAccumulator(str(run / "tensorboard"), size_guidance=everything)
    events.Reload()
    return events


def _records(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").open()]


def _assert_scalars_match_metrics(run: Path) -> None:
    """Every number of metrics.jsonl is a scalar at its step (as float32), and nothing else is."""
    events = _events(run)
    expected: dict[str, list[tuple[int, np.float32]]] = {}
    for record in _records(run):
        for key, value in record.items():
            if key not in ("kind", "step") and isinstance(value, int | float):
                expected.setdefault(f"{record['kind']}/{key}", []).append(
                    (record["step"], np.float32(value))
                )
    assert sorted(events.Tags()["scalars"]) == sorted(expected)
    for tag, points in expected.items():
        assert [(e.step, np.float32(e.value)) for e in events.Scalars(tag)] == points, tag


def test_scalars_samples_and_histograms_are_written(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    train_until(start_run(tiny_config(log=TENSORBOARD), run, quiet=True), 6)
    _assert_scalars_match_metrics(run)
    events = _events(run)
    assert {"train/critic_w_estimate", "train/penalty", "eval/w1", "train/steps_per_s"} <= set(
        events.Tags()["scalars"]
    )
    assert [e.step for e in events.Images("samples")] == [0, 3, 6]
    assert "custom_scalars__config__" in events.Tags()["tensors"]
    for where in ("real", "generated", "interpolates"):
        histograms = events.Histograms(f"critic_grad_norm/{where}")
        assert [h.step for h in histograms] == [2, 4, 6]
        assert all(h.histogram_value.num == 32 for h in histograms)  # the batch, below 256


def _finite_difference_norms(critic: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """||grad f(x)|| by central differences, in float64 on a copy of the critic."""
    critic = critic.double()
    x = x.double()
    h = 1e-6
    columns = []
    with torch.no_grad():
        for j in range(x.shape[1]):
            step = torch.zeros_like(x)
            step[:, j] = h
            columns.append((critic(x + step) - critic(x - step)).squeeze(-1) / (2 * h))
    return torch.stack(columns, dim=1).norm(dim=1)


def test_gradient_norm_histograms_agree_with_finite_differences(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    trainer = start_run(tiny_config(log=TENSORBOARD), run, quiet=True)
    train_until(trainer, 6)  # the histograms of step 6 see the critic of step 6
    real = trainer.source.holdout(32)
    fake = trainer.sample(32)
    events = _events(run)
    for where, points in (("real", real), ("generated", fake)):
        oracle = _finite_difference_norms(trainer.critic, points)
        logged = events.Histograms(f"critic_grad_norm/{where}")[-1].histogram_value
        assert logged.sum == pytest.approx(float(oracle.sum()), rel=1e-5)
        assert logged.max == pytest.approx(float(oracle.max()), rel=1e-5)
        assert logged.min == pytest.approx(float(oracle.min()), rel=1e-5)


def test_logging_leaves_training_unchanged(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    plain = start_run(tiny_config(), tmp_path / "plain", quiet=True)
    train_until(plain, 6)
    logged = start_run(tiny_config(log=TENSORBOARD), tmp_path / "logged", quiet=True)
    train_until(logged, 6)
    for a, b in zip(plain.critic.parameters(), logged.critic.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for a, b in zip(plain.generator.parameters(), logged.generator.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_resumed_run_hides_the_events_it_redoes(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    train_until(start_run(tiny_config(log=TENSORBOARD), run, quiet=True), 4)
    list_checkpoints(run)[-1][1].unlink()  # killed after logging step 4, before its checkpoint
    resumed = open_run(run, quiet=True)
    assert resumed.step == 3
    train_until(resumed, 6)
    _assert_scalars_match_metrics(run)  # step 4 once, from the resumed run
    assert [e.step for e in _events(run).Images("samples")] == [0, 3, 6]


def test_a_rollback_hides_the_events_after_its_checkpoint(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    config = tiny_config(
        steps=8, log={"every": 1, "logger": "tensorboard"}, on_nonfinite={"action": "rollback"}
    )
    trainer = start_run(config, run, quiet=True)
    step_once = trainer.train_step

    def spoil_step_5() -> None:
        if trainer.step == 4 and not trainer.rollbacks:
            with torch.no_grad():
                trainer.critic[0].weight.fill_(float("nan"))
        step_once()

    trainer.train_step = spoil_step_5  # type: ignore[method-assign]
    train_until(trainer, 8)
    assert trainer.rollbacks == 1
    assert ("train", 4) in [(r["kind"], r["step"]) for r in _records(run)]
    _assert_scalars_match_metrics(run)  # step 4 once, logged after the rollback


def test_image_runs_log_the_sample_grid(tmp_path: Path, fast_classifier: None) -> None:
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    train_until(start_run(tiny_image_config(log=TENSORBOARD), run, quiet=True), 3)
    images = _events(run).Images("samples")
    assert [i.step for i in images] == [0, 3]
    side = 8 * (8 + 1) + 1  # 64 images of 8 x 8 in an 8 x 8 grid, 1-pixel borders
    assert (images[-1].width, images[-1].height) == (side, side)
    histogram = _events(run).Histograms("critic_grad_norm/real")[-1].histogram_value
    assert histogram.num == min(16, HISTOGRAM_SAMPLES)


def test_a_missing_tensorboard_is_a_user_error_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    with pytest.raises(UserError, match=r"pip install 'wgan\[tensorboard\]'"):
        start_run(tiny_config(log=TENSORBOARD), tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()
