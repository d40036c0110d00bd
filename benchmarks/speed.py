"""Side-by-side training speed: the plain reference, each optimisation added in turn, and wgan.

Usage:
    python benchmarks/speed.py [--workloads toy,dcgan,scaling,matmuls] [--repeats 5] [--steps N]
                               [--threads N] [--out benchmarks] [--tiny]

Workloads (CPU):
- toy: the WGAN-GP paper code's toy setting, `8gaussians-wgan-gp-paper` (MLP 512 x 3, batch 256,
  n_critic 5, lambda 0.1, Adam 1e-4 betas (0.5, 0.9)).
- dcgan: the `mnist-wgan-gp` DCGAN (width 64) on scikit-learn's digits resized to 28x28, batch 64.
- scaling: wgan's step (precision auto) over batch sizes and model widths, with `wgan bench`'s
  FLOP count.
- matmuls: square matmul GFLOP/s in fp32 and bf16 by size, the bound on what bf16 can give.

Every contender of a workload lives in this one process and trains its own models from the same
initial weights. In each of `repeats` rounds every contender runs `steps` generator steps, one
contender after the other in an order shuffled anew each round, so that a change in the
machine's load hits all of them alike. A short round pairs the contenders more tightly under a
changing load; a long one pays less for switching models (cold caches) and is closer to a
training run, which never switches: the defaults (toy 20, dcgan 4 generator steps) suit a quiet
machine, `--steps 1` a busy one. A
contender's speed is its median over the rounds (with the slowest and fastest round); its ratios
to the reference and to the contender before it are medians of the per-round ratios. Warm-up
steps (compilation included) run before the first round and are reported apart.

The contenders, in order: `reference_wgan_gp.py` as plain code writes WGAN-GP, then its switches
turned on one at a time, then `wgan.training.trainer.Trainer` in fp32 (which has them all and
keeps the data on the device), in bf16, and with torch.compile (and, for convolutions,
channels-last).

Writes OUT/results/speed.json and OUT/speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from reference_wgan_gp import (
    ReferenceWGANGP,
    Switches,
    loader_batches,
    numpy_toy_batches,
)
from wgan.config import Config, load_config, merge
from wgan.data.sources import ImageSource, build_source
from wgan.data.toy import ToyDistribution
from wgan.demos.bench import machine_description, matmul_peak_gflops, run_bench
from wgan.models import build_models
from wgan.training.trainer import Trainer

CPU = torch.device("cpu")
Step = Callable[[], None]


@dataclass(frozen=True)
class Contender:
    name: str
    change: str  # what it adds to the contender before it
    build: Callable[[], Step]  # sets up its models; returns one generator step


def toy_config(*, tiny: bool = False, **fields: Any) -> Config:
    """The paper code's toy setting (tiny: widths 16, batch 16, for tests)."""
    base: dict[str, Any] = {"device": "cpu"}
    if tiny:
        base |= {"batch_size": 16, "model": {"generator_width": 16, "critic_width": 16}}
    return load_config("8gaussians-wgan-gp-paper", **merge(base, fields))


def dcgan_config(*, tiny: bool = False, **fields: Any) -> Config:
    """mnist-wgan-gp's DCGAN on the digits resized to 28x28, batch 64 (tiny: 8x8, widths 4)."""
    base: dict[str, Any] = {
        "device": "cpu",
        "batch_size": 64,
        "data": {"name": "digits", "resolution": 28, "channels": 1},
    }
    if tiny:
        base = merge(base, {"batch_size": 16, "data": {"resolution": 8},
                            "model": {"latent_dim": 8, "generator_width": 4, "critic_width": 4}})  # fmt: skip
    return load_config("mnist-wgan-gp", **merge(base, fields))


def _reference(config: Config, switches: Switches) -> Step:
    """The reference on the CPU with its own host-side data, from the Trainer's initial weights."""
    source = build_source(config, CPU)
    torch.manual_seed(config.seed)  # as Trainer: the models are built right after this
    generator, critic = build_models(config, source.sample_shape)
    model = ReferenceWGANGP(generator, critic, config=config, device=CPU, switches=switches)
    if isinstance(source, ImageSource):
        images = source.train.take(np.arange(len(source.train)))  # (n, C, R, R) in [-1, 1]
        batches = loader_batches(images, config.batch_size, config.seed)
    else:
        modes = ToyDistribution(config.data.name).modes
        assert modes is not None
        centres = modes.centres.numpy()
        batches = numpy_toy_batches(centres, modes.std, config.batch_size, config.seed)
    return lambda: model.train_step(batches, config.batch_size)


def _wgan(config: Config, folder: Path) -> Step:
    trainer = Trainer(config, folder / config.name, quiet=True)
    return trainer.train_step


def ladder(config: Config, folder: Path, *, convolutions: bool) -> list[Contender]:
    """The reference, its switches one at a time, then wgan's Trainer variants."""
    switches = Switches()
    steps = [
        ("reference", "plain WGAN-GP (benchmarks/reference_wgan_gp.py), fp32"),
        ("+ no generator graph", "generator under no_grad in the critic steps"),
        ("+ frozen critic", "critic parameters frozen in the generator step"),
        ("+ one real/fake pass", "real and fake scored in one critic pass"),
        ("+ no .item() per step", "losses kept as tensors"),
        ("+ masked ReLU", "the penalty's double backward skips the forward pass"),
        ("+ fused Adam", "torch's fused Adam kernel"),
    ]
    names = [None, "no_generator_graph", "frozen_critic", "fused_real_fake",
             "no_item_per_step", "masked_activations", "fused_adam"]  # fmt: skip
    contenders = []
    for (name, change), switch in zip(steps, names, strict=True):
        if switch is not None:
            switches = replace(switches, **{switch: True})
        contenders.append(
            Contender(name, change, lambda s=switches: _reference(config.model_copy(), s))
        )

    def wgan(**fields: Any) -> Callable[[], Step]:
        return lambda: _wgan(config.model_copy(update=fields), folder)

    contenders += [
        Contender("wgan fp32", "wgan's Trainer: all of the above, data drawn on the device",
                  wgan(precision="fp32")),
        Contender("wgan bf16", "bf16 autocast (penalty norm, losses, optimizer in fp32)",
                  wgan(precision="bf16")),
    ]  # fmt: skip
    if convolutions:
        contenders.append(
            Contender("wgan bf16 channels-last", "channels-last memory format",
                      wgan(precision="bf16", channels_last=True))
        )  # fmt: skip
    contenders.append(
        Contender("wgan bf16 compiled", "torch.compile of the first-order passes (not channels-last)",
                  wgan(precision="bf16", compile=True))
    )  # fmt: skip
    return contenders


def race(contenders: list[Contender], *, steps: int, repeats: int, warmup: int) -> list[dict]:
    """Each contender's per-round seconds per generator step, rounds interleaved."""
    runners, warmups = [], []
    for c in contenders:
        start = time.perf_counter()
        step = c.build()
        for _ in range(warmup):
            step()
        warmups.append(time.perf_counter() - start)
        runners.append(step)
        print(f"  ready: {c.name} ({warmups[-1]:.1f} s set-up and warm-up)", flush=True)
    seconds: list[list[float]] = [[] for _ in contenders]
    for round_ in range(repeats):
        # A new order each round: no contender always runs right after a slow one.
        for i in random.Random(round_).sample(range(len(runners)), len(runners)):
            start = time.perf_counter()
            for _ in range(steps):
                runners[i]()
            seconds[i].append((time.perf_counter() - start) / steps)
        print(
            f"  round {round_ + 1}/{repeats}: "
            + ", ".join(f"{1 / s[-1]:.2f}" for s in seconds)
            + " generator steps/s",
            flush=True,
        )
    rows = []
    for i, c in enumerate(contenders):
        speed = [1 / s for s in seconds[i]]
        vs_reference = [a / b for a, b in zip(seconds[0], seconds[i], strict=True)]
        vs_previous = [a / b for a, b in zip(seconds[max(i - 1, 0)], seconds[i], strict=True)]
        rows.append(
            {
                "name": c.name,
                "change": c.change,
                "seconds_per_step": seconds[i],
                "generator_steps_per_s": statistics.median(speed),
                "generator_steps_per_s_range": [min(speed), max(speed)],
                "ratio_vs_reference": statistics.median(vs_reference),
                "ratio_vs_reference_range": [min(vs_reference), max(vs_reference)],
                "ratio_vs_previous": statistics.median(vs_previous),
                "ratio_vs_previous_range": [min(vs_previous), max(vs_previous)],
                "setup_and_warmup_s": warmups[i],
            }
        )
    return rows


def scaling(*, steps: int, tiny: bool = False) -> list[dict[str, Any]]:
    """wgan's step (precision auto) over batch sizes and widths: time, FLOPs, GFLOP/s."""
    cells: list[tuple[str, Config]] = []
    for width in (16,) if tiny else (128, 512, 1024):
        for batch in (8, 16) if tiny else (64, 256, 1024):
            model = {"generator_width": width, "critic_width": width}
            config = toy_config(tiny=tiny, precision="auto", batch_size=batch, model=model)
            cells.append(("toy MLP x3", config))
    for width in (4,) if tiny else (32, 64):
        for batch in (8, 16) if tiny else (32, 64, 128):
            model = {"generator_width": width, "critic_width": width}
            cells.append(("DCGAN 28x28", dcgan_config(tiny=tiny, batch_size=batch, model=model)))
    rows = []
    for label, config in cells:
        r = run_bench(config, steps=steps, warmup=1, split_steps=1, evaluate=False)
        rows.append(
            {
                "model": label,
                "width": config.model.critic_width,
                "batch_size": config.batch_size,
                "precision": r["precision"],
                "ms_per_generator_step": 1e3 * r["seconds_per_generator_step"],
                "gflop_per_generator_step": r["gflop_per_generator_step"],
                "gflops_per_s": r["gflops_per_s"],
                "peak_gflops_per_s": r["peak_gflops_per_s"],
                "steps": steps,
            }
        )
        print(
            f"  {label} width {rows[-1]['width']} batch {rows[-1]['batch_size']}: "
            f"{rows[-1]['ms_per_generator_step']:.1f} ms, "
            f"{rows[-1]['gflop_per_generator_step']:.2f} GFLOP, "
            f"{rows[-1]['gflops_per_s']:.0f} GFLOP/s",
            flush=True,
        )
    return rows


def matmul_ceiling(*, tiny: bool = False) -> list[dict[str, Any]]:
    """Square matmul GFLOP/s in fp32 and bf16 by size: the most bf16 can give a step whose time
    is in its matmuls (the toy MLP's are 256-512 x 512 x 512)."""
    rows = []
    for size in (64, 128) if tiny else (512, 1024, 2048):
        repeats = 3 if tiny else max(5, 2**25 // size**2)  # a second or so a cell
        fp32, bf16 = (
            matmul_peak_gflops(CPU, p, size=size, repeats=repeats) for p in ("fp32", "bf16")
        )
        rows.append({"size": size, "fp32_gflops_per_s": fp32, "bf16_gflops_per_s": bf16})
        print(
            f"  {size}: fp32 {fp32:.0f}, bf16 {bf16:.0f} GFLOP/s ({bf16 / fp32:.2f}x)", flush=True
        )
    return rows


def _range(values: list[float], spec: str) -> str:
    return f"{format(values[0], spec)}-{format(values[1], spec)}"


def write_markdown(results: dict[str, Any], path: Path) -> None:
    lines = [
        "# Training speed, side by side",
        "",
        f"Machine: {results['machine']}; torch {results['torch']}, {results['threads']} torch "
        "thread(s) "
        f"(shared machine: see the load averages). Command: `{results['command']}`.",
        "",
        "Each workload's contenders run in one process, interleaved over the rounds; speeds are "
        "medians over the rounds (slowest-fastest round), ratios are medians of per-round ratios "
        "(lowest-highest). `benchmarks/speed.py` explains the method; `docs/speed.md` what each "
        "change does.",
    ]
    titles = {
        "toy": "Toy: the paper code's setting (8gaussians-wgan-gp-paper: MLP 512 x 3, batch 256, "
        "n_critic 5)",
        "dcgan": "DCGAN 28x28 (mnist-wgan-gp model, width 64, on digits resized to 28x28), "
        "batch 64",
    }
    for key, workload in results["workloads"].items():
        before, after = workload["load_average"]
        lines += [
            "",
            f"## {titles[key]}",
            "",
            f"{workload['steps']} generator step(s) per contender per round, {workload['repeats']} "
            f"rounds; load average {before:.1f} before, {after:.1f} after.",
            "",
            "| contender | what changes | generator steps/s | x reference | x previous | set-up + warm-up s |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in workload["contenders"]:
            lines.append(
                f"| {r['name']} | {r['change']} | {r['generator_steps_per_s']:.2f} "
                f"({_range(r['generator_steps_per_s_range'], '.2f')}) | "
                f"{r['ratio_vs_reference']:.2f} ({_range(r['ratio_vs_reference_range'], '.2f')}) | "
                f"{r['ratio_vs_previous']:.2f} ({_range(r['ratio_vs_previous_range'], '.2f')}) | "
                f"{r['setup_and_warmup_s']:.1f} |"
            )
    if results.get("scaling"):
        lines += [
            "",
            "## How the cost grows with batch size and width",
            "",
            "wgan's step at precision auto; FLOPs counted as `wgan bench` counts them (matmuls "
            "and convolutions of all passes, the penalty's double backward included); "
            f"{results['scaling'][0]['steps']} timed steps a cell, one after the other (not "
            "interleaved: compare rows for the trend, not to the percent); load average "
            "{:.1f} before, {:.1f} after.".format(*results["scaling_load_average"]),
            "",
            "| model | width | batch | precision | ms per generator step | GFLOP per step | GFLOP/s |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
        for r in results["scaling"]:
            lines.append(
                f"| {r['model']} | {r['width']} | {r['batch_size']} | {r['precision']} | "
                f"{r['ms_per_generator_step']:.1f} | {r['gflop_per_generator_step']:.2f} | "
                f"{r['gflops_per_s']:.0f} |"
            )
    if results.get("matmuls"):
        lines += [
            "",
            "## What bounds the bf16 ratio: matmul speed by size",
            "",
            "The fastest of repeated square matmuls (size x size x size) in each precision, "
            "measured in the same run. A step whose time is in its matmuls can gain at most "
            "the bf16/fp32 ratio at its own sizes; the toy MLP's matmuls are 256-512 x 512 x "
            "512, far from the 2048 where bf16 shines.",
            "",
            "| size | fp32 GFLOP/s | bf16 GFLOP/s | bf16 / fp32 |",
            "|---:|---:|---:|---:|",
        ]
        for r in results["matmuls"]:
            fp32, bf16 = r["fp32_gflops_per_s"], r["bf16_gflops_per_s"]
            lines.append(f"| {r['size']} | {fp32:.0f} | {bf16:.0f} | {bf16 / fp32:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workloads",
        default="toy,dcgan,scaling,matmuls",
        help="comma-separated (default: all four)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="generator steps per round (default: toy 20, dcgan 4)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="(default: benchmarks/)"
    )
    parser.add_argument("--tiny", action="store_true", help="tiny models: a test of the script")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    command = "python benchmarks/speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    results: dict[str, Any] = {
        "machine": machine_description(CPU),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "command": command.strip(),
        "workloads": {},
    }
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        for name in workloads:
            if name == "scaling":
                print("scaling", flush=True)
                before = os.getloadavg()[0]
                results["scaling"] = scaling(steps=1 if args.tiny else 3, tiny=args.tiny)
                results["scaling_load_average"] = [before, os.getloadavg()[0]]
                continue
            if name == "matmuls":
                print("matmuls", flush=True)
                results["matmuls"] = matmul_ceiling(tiny=args.tiny)
                continue
            if name == "toy":
                config, steps = toy_config(tiny=args.tiny), 20
            else:
                config, steps = dcgan_config(tiny=args.tiny), 4
            steps = args.steps or steps
            print(f"{name}: {config.name}, batch {config.batch_size}", flush=True)
            before = os.getloadavg()[0]
            rows = race(
                ladder(config, Path(tmp), convolutions=name == "dcgan"),
                steps=steps,
                repeats=args.repeats,
                warmup=2,
            )
            results["workloads"][name] = {
                "preset": config.name,
                "batch_size": config.batch_size,
                "steps": steps,
                "repeats": args.repeats,
                "load_average": [before, os.getloadavg()[0]],
                "contenders": rows,
            }
    results["platform"] = platform.platform()
    out = args.out
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "results" / "speed.json").write_text(json.dumps(results, indent=1))
    write_markdown(results, out / "speed.md")
    print(f"wrote {out / 'results' / 'speed.json'} and {out / 'speed.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
