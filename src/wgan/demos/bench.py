"""`wgan bench`: how fast a config trains on this machine, and where the time goes.

One run, in this order, all in one process on one device:

1. the matmul peak: the best of a few square matmuls (2048 on a CPU, 8192 on a GPU) in the
   precision the run uses, measured now, on the machine as loaded as the run finds it;
2. warm-up steps (a compiled run compiles here; their time is reported apart);
3. the FLOPs of one generator step (n_critic critic steps and one generator step), counted by
   `wgan.flops.count_flops`: matmuls and convolutions of every forward and backward pass,
   the penalty's double backward included;
4. `steps` plain training steps, timed as a whole (one synchronisation at each end): the
   generator and critic steps/s and the achieved GFLOP/s;
5. more steps with a `PhaseTimer` (a synchronisation around every phase): the time split;
6. one evaluation, timed after a first one that builds what evaluations cache.

Image presets without data train on random images of the preset's shape (timing does not
depend on the pixels).
"""

from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan.config import Config
from wgan.errors import UserError
from wgan.flops import count_flops
from wgan.timing import PhaseTimer

# The phases of a generator step, in the order of the time split (see Trainer.critic_step).
PHASES = (
    "data", "generator forward", "critic forward", "penalty", "critic backward", "optimizer",
    "generator step", "ema",
)  # fmt: skip
SYNTHETIC_IMAGES = 2048  # random training images for image presets without data


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_gflops(
    device: torch.device, precision: str, *, size: int | None = None, repeats: int = 5
) -> float:
    """GFLOP/s of the fastest of `repeats` square matmuls (size x size) in `precision`.

    The reference point of the achieved GFLOP/s: what this machine's matmul does now, in the
    run's precision (bf16 or fp32; fp32 on a GPU without TF32, as training uses it).
    """
    size = size or (2048 if device.type == "cpu" else 8192)
    per_timing = 1 if device.type == "cpu" else 10  # GPU matmuls take a millisecond
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    generator = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, generator=generator, device=device).to(dtype)
    b = torch.randn(size, size, generator=generator, device=device).to(dtype)
    a @ b  # warm-up: the library's first call picks its kernels
    best = float("inf")
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(per_timing):
            a @ b
        synchronize(device)
        best = min(best, (time.perf_counter() - start) / per_timing)
    return 2 * size**3 / best / 1e9


def _timed(device: torch.device, fn: Callable[[], Any], times: int = 1) -> float:
    """Seconds for `times` calls of fn, synchronised at both ends only."""
    synchronize(device)
    start = time.perf_counter()
    for _ in range(times):
        fn()
    synchronize(device)
    return time.perf_counter() - start


def random_image_data(raw: dict[str, Any], folder: Path) -> Path | None:
    """Random uint8 images for an image config without data (`raw_config`'s mapping), of its
    resolution and channels, written to folder/random-images.npy; None when it needs none."""
    data = raw.get("data") or {}
    if data.get("name") != "images" or data.get("path"):
        return None
    resolution, channels = data.get("resolution"), data.get("channels")
    if resolution is None or channels is None:
        raise UserError(
            f"{raw.get('name', 'this config')} needs image data to benchmark: pass --data PATH, "
            "or set data.resolution and data.channels to benchmark on random images"
        )
    shape = (SYNTHETIC_IMAGES, int(resolution), int(resolution), int(channels))
    path = folder / "random-images.npy"
    np.save(path, np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8))
    return path


def _peak_memory(device: torch.device) -> tuple[float, str]:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "GPU memory allocated by torch"
    # ru_maxrss is in KiB on Linux (bytes on macOS)
    scale = 1 if platform.system() == "Darwin" else 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    return rss, "resident memory of the process"


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else what `platform` knows)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_description(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_name()}, {os.cpu_count()} logical CPUs"


def run_bench(
    config: Config,
    *,
    steps: int = 10,
    warmup: int = 2,
    split_steps: int | None = None,
    evaluate: bool = True,
    synthetic_data: bool = False,
) -> dict[str, Any]:
    """Benchmark `config`: steps/s, GFLOP/s against the measured peak, time split, memory.

    `synthetic_data` only says so in the result (see `random_image_data`). Returns the
    `wgan bench --json` object (its keys are listed in docs/speed.md).
    """
    from wgan.training.rundir import make_trainer

    if steps < 1:
        raise UserError(f"--steps must be at least 1, got {steps}")
    with tempfile.TemporaryDirectory(prefix="wgan-bench-") as tmp:
        trainer = make_trainer(config, Path(tmp), quiet=True)
        device = trainer.device
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        peak = matmul_peak_gflops(device, trainer.precision)
        warmup_s = _timed(device, trainer.train_step, warmup)
        flops, by_operator = count_flops(trainer.train_step)
        elapsed = _timed(device, trainer.train_step, steps)
        trainer.timer = PhaseTimer(device)
        split_n = split_steps or max(1, steps // 2)
        for _ in range(split_n):
            trainer.train_step()
        trainer.timer, seconds = PhaseTimer(None), dict(trainer.timer.seconds)
        evaluation_s = None
        if evaluate:
            trainer.evaluate()  # builds and caches the fixed sets (and a classifier for images)
            evaluation_s = _timed(device, trainer.evaluate)
        memory_mb, memory_kind = _peak_memory(device)
    per_step = elapsed / steps
    gflops = flops / per_step / 1e9
    split_ms = {name: 1e3 * seconds[name] / split_n for name in PHASES if name in seconds}
    return {
        "preset": config.name,
        "device": device.type,
        "machine": machine_description(device),
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "torch": torch.__version__,
        "precision": trainer.precision,
        "compile": config.compile,
        "channels_last": config.channels_last,
        "batch_size": config.batch_size,
        "n_critic": config.n_critic,
        "synthetic_data": synthetic_data,
        "steps": steps,
        "generator_steps_per_s": 1.0 / per_step,
        "critic_steps_per_s": config.n_critic / per_step,
        "seconds_per_generator_step": per_step,
        "gflop_per_generator_step": flops / 1e9,
        "gflop_by_operator": {k: v / 1e9 for k, v in sorted(by_operator.items())},
        "gflops_per_s": gflops,
        "peak_gflops_per_s": peak,
        "peak_fraction": gflops / peak,
        "warmup_steps": warmup,
        "warmup_s": warmup_s,
        "split_steps": split_n,
        "time_split_ms": split_ms,
        "time_split": {k: v / sum(split_ms.values()) for k, v in split_ms.items()},
        "evaluation_s": evaluation_s,
        "eval_every": config.eval.every,
        "evaluation_share": (
            None
            if evaluation_s is None
            else evaluation_s / (evaluation_s + config.eval.every * per_step)
        ),
        "peak_memory_mb": memory_mb,
        "peak_memory_kind": memory_kind,
    }


def format_report(r: dict[str, Any]) -> str:
    """The human-readable form of a `run_bench` result."""
    threads = r["threads"]
    where = r["device"] + (f", {threads} thread{'s' * (threads != 1)}" if threads else "")
    options = [r["precision"]] + [k.replace("_", "-") for k in ("compile", "channels_last") if r[k]]
    lines = [
        f"{r['preset']} on {r['machine']} ({where}; load average {r['load_average']:.1f}; "
        f"torch {r['torch']})",
        f"  {', '.join(options)}, batch {r['batch_size']}, n_critic {r['n_critic']}"
        + (", random images" if r["synthetic_data"] else ""),
        f"  generator steps/s   {r['generator_steps_per_s']:.3g}   (critic steps/s "
        f"{r['critic_steps_per_s']:.3g}; {r['steps']} steps timed)",
        f"  work                {r['gflop_per_generator_step']:.3g} GFLOP per generator step "
        "(matmuls and convolutions, all backward passes)",
        f"  achieved            {r['gflops_per_s']:.4g} GFLOP/s = {r['peak_fraction']:.0%} of "
        f"this machine's {r['precision']} matmul peak, {r['peak_gflops_per_s']:.4g} GFLOP/s "
        "(measured now)",
        f"  time split          ({r['split_steps']} steps, synchronised around each phase)",
    ]
    total = sum(r["time_split_ms"].values())
    for name, ms in r["time_split_ms"].items():
        lines.append(f"    {name:<18}{ms:10.2f} ms  {ms / total:6.1%}")
    if r["evaluation_s"] is not None:
        lines.append(
            f"  evaluation          {r['evaluation_s']:.3g} s each; every {r['eval_every']} "
            f"steps that is {r['evaluation_share']:.1%} of the run's time"
        )
    lines += [
        f"  first {r['warmup_steps']} steps       {r['warmup_s']:.3g} s (warm-up"
        + (", compilation" if r["compile"] else "")
        + ")",
        f"  peak memory         {r['peak_memory_mb']:.0f} MiB ({r['peak_memory_kind']})",
    ]
    return "\n".join(lines)
