"""Exact W1 against wall-clock training time: the paper code's toy setting vs the default preset.

Usage:
    python benchmarks/toy_curve.py [--seeds 0 1 2] [--out benchmarks/results]

For each seed it trains `8gaussians-wgan-gp-paper` (the WGAN-GP paper code's toy setting, fp32)
and `8gaussians-wgan-gp` (the default preset) in alternating blocks of 250 steps, so that both
see the same machine load, timing only the training steps:
evaluations (exact W1 on n = 2000 held-out samples, the same for both) run outside the clock.
Writes toy_curve.json, toy_curve.md and toy_curve.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from wgan.config import load_config
from wgan.demos.bench import machine_description
from wgan.training.trainer import Trainer

PRESETS = ("8gaussians-wgan-gp-paper", "8gaussians-wgan-gp")
EVAL_EVERY = 250


def curves(seed: int, steps: int | None = None) -> list[dict[str, object]]:
    """Train every preset with one seed (for `steps` if given, else each preset's own),
    alternating blocks of EVAL_EVERY steps between them.

    Alternating makes the presets share whatever else loads the machine, so their times compare.
    """
    with contextlib.ExitStack() as stack:
        trainers = {}
        for preset in PRESETS:
            run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            config = load_config(preset, seed=seed, **({} if steps is None else {"steps": steps}))
            trainers[preset] = Trainer(config, run_dir, quiet=True)
        clocks = dict.fromkeys(PRESETS, 0.0)
        points: dict[str, list[dict[str, object]]] = {preset: [] for preset in PRESETS}
        while any(t.step < t.config.steps for t in trainers.values()):
            for preset, trainer in trainers.items():
                if trainer.step >= trainer.config.steps:
                    continue
                start = time.perf_counter()
                for _ in range(min(EVAL_EVERY, trainer.config.steps - trainer.step)):
                    trainer.train_step()
                clocks[preset] += time.perf_counter() - start
                result = trainer.evaluate()
                points[preset].append({"step": trainer.step, "seconds": clocks[preset], **result})
                print(
                    f"{preset} seed {seed} step {trainer.step:5d} {clocks[preset]:6.1f}s "
                    f"W1 {result['w1']:.4f} modes {result['modes_covered']} hq {result['high_quality']:.3f}",
                    flush=True,
                )
    return [
        {"preset": p, "seed": seed, "precision": trainers[p].precision, "points": points[p]}
        for p in PRESETS
    ]


def first_time_below(points: list[dict[str, float]], level: float) -> float | None:
    return next((p["seconds"] for p in points if p["w1"] <= level), None)


def write_results(runs: list[dict], out: Path, command: str, load: list[float]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    machine = f"{machine_description(torch.device('cpu'))}, {torch.get_num_threads()} torch threads"
    record = {"machine": machine, "load_average": load, "runs": runs}
    (out / "toy_curve.json").write_text(json.dumps(record, indent=1))
    lines = [
        "# Exact W1 against training time on 8 Gaussians",
        "",
        f"Command: `{command}`. Machine: {machine}, torch {torch.__version__}; load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after. Training time only; evaluation (exact W1 "
        "between 2000 generated and 2000 held-out samples) runs outside the clock.",
        "",
        "| preset | seed | precision | steps | train s | steps/s | final W1 | noise floor | modes | high quality | s to W1 <= 0.1 |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        last = run["points"][-1]
        reach = first_time_below(run["points"], 0.1)
        lines.append(
            f"| {run['preset']} | {run['seed']} | {run['precision']} | {last['step']} | "
            f"{last['seconds']:.0f} | {last['step'] / last['seconds']:.1f} | {last['w1']:.4f} | "
            f"{last['w1_noise_floor']:.4f} | {last['modes_covered']}/{last['modes_total']} | "
            f"{last['high_quality']:.1%} | {'-' if reach is None else f'{reach:.0f}'} |"
        )
    (out / "toy_curve.md").write_text("\n".join(lines) + "\n\n![curves](toy_curve.png)\n")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in runs:
        points = run["points"]
        ax.plot(
            [p["seconds"] for p in points],
            [p["w1"] for p in points],
            "o-" if run["preset"].endswith("paper") else "s-",
            color="tab:grey" if run["preset"].endswith("paper") else "tab:blue",
            alpha=0.8,
            label=f"{run['preset']} (seed {run['seed']})",
        )
    floors = [p["w1_noise_floor"] for run in runs for p in run["points"][-1:]]
    ax.axhline(float(np.mean(floors)), ls="--", color="k", lw=0.8, label="noise floor (mean)")
    ax.set_xlabel("training seconds (2 CPU cores)")
    ax.set_ylabel("exact W1 to held-out data (n = 2000)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "toy_curve.png", dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--steps", type=int, help="steps of both presets (default: their own)")
    args = parser.parse_args(argv)
    before = os.getloadavg()[0]
    runs = [run for seed in args.seeds for run in curves(seed, args.steps)]
    command = "python benchmarks/toy_curve.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write_results(runs, args.out, command, [before, os.getloadavg()[0]])


if __name__ == "__main__":
    main()
