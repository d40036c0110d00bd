"""Toy presets under a wall-clock budget, as `wgan train PRESET --time T` runs them.

Usage:
    python benchmarks/time_budget.py [--runs 8gaussians-wgan-gp:60,25gaussians-wgan-gp:120]
        [--seeds 0,1,2] [--threads 1] [--out benchmarks/results/time_budget]

For each preset, budget T (seconds) and seed: the steps that fit in T are resolved as the CLI
does (`wgan.training.budget.plan_steps`), then the run trains through `wgan.training.loop` in a
temporary directory (evaluations, checkpoints and all), and the whole wall-clock from the start
of the timing to the last evaluation is recorded (`wall_seconds`) next to T. It is then scored
as benchmarks/unseen.py scores (`score`: exact W1 of 2000 generated points against 2000
held-out ones, 8 draws, over the noise floor; modes covered, the fewest over 4 sample draws;
high-quality share).

Each run is appended to OUT/runs.jsonl; OUT/summary.md is rewritten after each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from unseen import provenance, score
from wgan.config import load_config
from wgan.training.budget import plan_steps
from wgan.training.loop import train_until
from wgan.training.rundir import start_run


def one_run(preset: str, budget: float, seed: int, overrides: list[str]) -> dict[str, Any]:
    config = load_config(preset, overrides, seed=seed, device="cpu")
    load_before = os.getloadavg()[0]
    cpu_start, start = time.process_time(), time.perf_counter()
    plan = plan_steps(config, budget)
    config = load_config(
        preset, overrides, seed=seed, device="cpu", steps=plan.steps, time_budget_s=budget
    )
    with tempfile.TemporaryDirectory() as tmp:
        trainer = start_run(config, Path(tmp) / "run", quiet=True)
        train_until(trainer, config.steps)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        final = score(trainer, preset.split("-")[0])
    print(
        f"{preset} seed {seed} --time {budget:g}s: {plan.steps} steps, {wall:.1f} s wall, "
        f"W1/floor {final['ratio']:.2f}, modes {final['modes_covered']}/{final['modes_total']}, "
        f"hq {final['high_quality']:.3f}",
        flush=True,
    )
    return {
        "preset": preset,
        "budget_seconds": budget,
        "seed": seed,
        "overrides": overrides,
        "steps": plan.steps,
        "plan": asdict(plan.timing),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "final": final,
        **provenance(config, load_before),
    }


def summary(runs: list[dict[str, Any]]) -> str:
    lines = [
        "# Toy presets under a wall-clock budget",
        "",
        "Written by benchmarks/time_budget.py from runs.jsonl (machine, load, commit, config",
        "there). Per run: the budget, the steps resolved for it, the whole wall-clock (timing,",
        "training, evaluations), W1 / noise floor (8 draws), modes (fewest over 4 draws) and the",
        "high-quality share.",
        "",
        "| preset | --time | seed | steps | wall s | load | W1 / floor | modes | hq |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        f = r["final"]
        preset = r["preset"] + "".join(f" --set {o}" for o in r.get("overrides", []))
        lines.append(
            f"| {preset} | {r['budget_seconds']:g} s | {r['seed']} | {r['steps']} | "
            f"{r['wall_seconds']:.0f} | {r['load_average'][0]:.1f} | {f['ratio']:.2f} | "
            f"{f['modes_covered']}/{f['modes_total']} | {f['high_quality']:.3f} |"
        )
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for r in runs:
        preset = r["preset"] + "".join(f" --set {o}" for o in r.get("overrides", []))
        groups.setdefault((preset, r["budget_seconds"]), []).append(r)
    lines += [
        "",
        "| preset | --time | seeds | W1 / floor (mean, worst) | modes (fewest) | hq (mean, worst) |",
    ]
    lines.append("|---|---|---|---|---|---|")
    for (preset, budget), group in groups.items():
        ratios = [r["final"]["ratio"] for r in group]
        hq = [r["final"]["high_quality"] for r in group]
        modes = min(r["final"]["modes_covered"] for r in group)
        lines.append(
            f"| {preset} | {budget:g} s | {len(group)} | {statistics.fmean(ratios):.2f}, "
            f"{max(ratios):.2f} | {modes}/{group[0]['final']['modes_total']} | "
            f"{statistics.fmean(hq):.3f}, {min(hq):.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="8gaussians-wgan-gp:60,25gaussians-wgan-gp:120")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/time_budget"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    jsonl = args.out / "runs.jsonl"
    for item in args.runs.split(","):
        preset, budget = item.rsplit(":", 1)
        for seed in (int(s) for s in args.seeds.split(",")):
            run = one_run(preset, float(budget), seed, args.set)
            with jsonl.open("a") as f:
                f.write(json.dumps(run) + "\n")
            runs = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
            (args.out / "summary.md").write_text(summary(runs))


if __name__ == "__main__":
    main()
