"""Does bf16 learn as well as fp32? Exact W1 against steps, and the penalty's value, side by side.

Usage:
    python benchmarks/precision.py [--presets 8gaussians-wgan-gp-paper,25gaussians-wgan-gp]
        [--seeds 0 1 2] [--steps 200] [--eval-every 25] [--n 1000] [--threads N] [--out benchmarks]

For each preset and seed, an fp32 run and a bf16 run start from the same seed: the same initial
weights and the same stream of data, z and eps. They train in alternating blocks of `eval_every`
generator steps (so a change in the machine's load hits both), with the preset's settings except
`steps` (the learning-rate schedule spans `steps`). At every evaluation:

- exact W1 between n generated and n held-out samples (`Trainer.evaluate`), and its noise floor
  (real against real, same n);
- the penalty's value: on one fixed batch (n_penalty held-out points, as many samples of the
  run's generator at fixed z, fixed eps), each run's critic computes the penalty under bf16
  autocast and in fp32; their relative difference is what bf16 changes in the penalty itself.

"Within noise" is judged per evaluation step against the seed-to-seed spread: the difference of
the two mean W1 curves over the seeds, against twice its standard error
sqrt(s_fp32^2 / k + s_bf16^2 / k) (k seeds). Time spent training each precision is reported too
(a speed ratio measured on the side; benchmarks/speed.py is the speed benchmark).

Writes OUT/results/precision.json and OUT/precision.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from wgan.config import load_config
from wgan.demos.bench import machine_description
from wgan.lipschitz import gradient_penalty
from wgan.precision import autocast
from wgan.training.trainer import Trainer

PRECISIONS = ("fp32", "bf16")


def penalty_both_ways(
    trainer: Trainer, real: torch.Tensor, z: torch.Tensor, eps: torch.Tensor
) -> tuple[float, float]:
    """(penalty under bf16 autocast, penalty in fp32) of the trainer's critic on one batch."""
    fake = trainer.sampler.generate(z)
    values = []
    for precision in PRECISIONS[::-1]:
        with autocast(trainer.device, precision):
            penalty, _ = gradient_penalty(trainer.critic, real, fake, eps=eps)
        values.append(float(penalty.detach()))
    return values[0], values[1]


def run_pair(preset: str, seed: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The fp32 and bf16 runs of one preset and seed, evaluated every `eval_every` steps."""
    fields: dict[str, Any] = {"seed": seed, "steps": args.steps, "device": "cpu"}
    if args.tiny:
        fields["model"] = {"generator_width": 16, "critic_width": 16}
        fields["batch_size"] = 32
    trainers = {
        p: Trainer(load_config(preset, precision=p, **fields), folder / f"{p}-{seed}", quiet=True)
        for p in PRECISIONS
    }
    first = trainers["fp32"]
    probe = torch.Generator().manual_seed(10_000 + seed)
    real = first.source.holdout(args.n_penalty)
    z = torch.randn(len(real), first.config.model.latent_dim, generator=probe)
    eps = torch.rand(len(real), generator=probe)
    curves: dict[str, list[dict[str, Any]]] = {p: [] for p in PRECISIONS}
    seconds = dict.fromkeys(PRECISIONS, 0.0)
    while first.step < args.steps:
        for p, trainer in trainers.items():
            start = time.perf_counter()
            for _ in range(min(args.eval_every, args.steps - trainer.step)):
                trainer.train_step()
            seconds[p] += time.perf_counter() - start
            result = trainer.evaluate(args.n)
            bf16, fp32 = penalty_both_ways(trainer, real, z, eps)
            curves[p].append(
                {
                    "step": trainer.step,
                    "w1": result["w1"],
                    "w1_noise_floor": result["w1_noise_floor"],
                    "modes_covered": result["modes_covered"],
                    "penalty_bf16": bf16,
                    "penalty_fp32": fp32,
                }
            )
        print(
            f"{preset} seed {seed} step {first.step}: W1 "
            + ", ".join(f"{p} {curves[p][-1]['w1']:.4f}" for p in PRECISIONS),
            flush=True,
        )
    return {"preset": preset, "seed": seed, "curves": curves, "train_seconds": seconds}


def summarise(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per preset and evaluation step: W1 mean and spread over seeds for each precision."""
    rows = []
    for preset in dict.fromkeys(pair["preset"] for pair in pairs):
        runs = [pair for pair in pairs if pair["preset"] == preset]
        k = len(runs)
        for i, point in enumerate(runs[0]["curves"]["fp32"]):
            w1 = {p: [run["curves"][p][i]["w1"] for run in runs] for p in PRECISIONS}
            mean = {p: statistics.fmean(w1[p]) for p in PRECISIONS}
            sd = {p: statistics.stdev(w1[p]) if k > 1 else math.nan for p in PRECISIONS}
            se = math.sqrt(sum(sd[p] ** 2 / k for p in PRECISIONS))
            floor = statistics.fmean(run["curves"]["fp32"][i]["w1_noise_floor"] for run in runs)
            gaps = [
                abs(c["penalty_bf16"] - c["penalty_fp32"]) / abs(c["penalty_fp32"])
                for run in runs
                for p in PRECISIONS
                for c in run["curves"][p][i : i + 1]
                if c["penalty_fp32"] != 0
            ]
            rows.append(
                {
                    "preset": preset,
                    "step": point["step"],
                    "seeds": k,
                    "w1_fp32_mean": mean["fp32"],
                    "w1_fp32_sd": sd["fp32"],
                    "w1_bf16_mean": mean["bf16"],
                    "w1_bf16_sd": sd["bf16"],
                    "difference": mean["bf16"] - mean["fp32"],
                    "difference_se": se,
                    "within_noise": abs(mean["bf16"] - mean["fp32"]) <= 2 * se,
                    "w1_noise_floor": floor,
                    "penalty_relative_difference_max": max(gaps) if gaps else math.nan,
                    "penalty_relative_difference_median": (
                        statistics.median(gaps) if gaps else math.nan
                    ),
                }
            )
    return rows


def write_markdown(results: dict[str, Any], path: Path) -> None:
    lines = [
        "# bf16 against fp32: W1 per step and the penalty's value",
        "",
        f"Machine: {results['machine']}; torch {results['torch']}, {results['threads']} "
        f"thread(s); shared machine, load average {results['load_average'][0]:.1f} before and "
        f"{results['load_average'][1]:.1f} after. Command: `{results['command']}`. "
        f"{results['total_minutes']:.0f} minutes in all.",
        "",
        "Each seed's fp32 and bf16 runs start from the same weights and draw the same data, z and "
        "eps. W1 is the exact W1 between generated and held-out samples (n = "
        f"{results['n']}); mean (sd) over the seeds. 'within noise': |difference| <= 2 standard "
        "errors of the difference of the means. Penalty: each run's critic on one fixed batch, "
        "bf16 autocast against fp32, relative difference (median and max over the seeds and both "
        "runs). `benchmarks/precision.py` explains the method.",
        "",
        "| preset | step | W1 fp32 | W1 bf16 | difference (2 SE) | within noise | W1 noise "
        "floor | penalty bf16 vs fp32 (median, max) |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results["summary"]:
        lines.append(
            f"| {r['preset']} | {r['step']} | {r['w1_fp32_mean']:.4f} ({r['w1_fp32_sd']:.4f}) | "
            f"{r['w1_bf16_mean']:.4f} ({r['w1_bf16_sd']:.4f}) | {r['difference']:+.4f} "
            f"({2 * r['difference_se']:.4f}) | {'yes' if r['within_noise'] else 'no'} | "
            f"{r['w1_noise_floor']:.4f} | {r['penalty_relative_difference_median']:.2%}, "
            f"{r['penalty_relative_difference_max']:.2%} |"
        )
    lines += [
        "",
        "Paired differences (bf16 - fp32, same seed, same step) over every evaluation:",
        "",
    ]
    for preset in dict.fromkeys(run["preset"] for run in results["runs"]):
        diffs = [
            b["w1"] - a["w1"]
            for run in results["runs"]
            if run["preset"] == preset
            for a, b in zip(run["curves"]["fp32"], run["curves"]["bf16"], strict=True)
        ]
        lines.append(
            f"- {preset}: mean {statistics.fmean(diffs):+.4f}, from {min(diffs):+.4f} to "
            f"{max(diffs):+.4f} ({len(diffs)} pairs)"
        )
    lines += ["", "Training time (evaluations excluded), summed over the seeds:", ""]
    for preset, seconds in results["train_seconds"].items():
        lines.append(
            f"- {preset}: fp32 {seconds['fp32']:.0f} s, bf16 {seconds['bf16']:.0f} s "
            f"(bf16 {seconds['fp32'] / seconds['bf16']:.2f}x the steps/s)"
        )
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--presets",
        default="8gaussians-wgan-gp-paper,25gaussians-wgan-gp",
        help="comma-separated toy presets (default: 8gaussians-wgan-gp-paper,25gaussians-wgan-gp)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="(default: 0 1 2)")
    parser.add_argument("--steps", type=int, default=200, help="generator steps (default: 200)")
    parser.add_argument("--eval-every", type=int, default=25, help="(default: 25)")
    parser.add_argument("--n", type=int, default=1000, help="samples for exact W1 (default: 1000)")
    parser.add_argument("--n-penalty", type=int, default=256, help="penalty batch (default: 256)")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--tiny", action="store_true", help="tiny models: a test of the script")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start, load_before = time.perf_counter(), os.getloadavg()[0]
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset in [p.strip() for p in args.presets.split(",") if p.strip()]:
            for seed in args.seeds:
                pairs.append(run_pair(preset, seed, args, Path(tmp)))
    train_seconds: dict[str, dict[str, float]] = {}
    for pair in pairs:
        totals = train_seconds.setdefault(pair["preset"], dict.fromkeys(PRECISIONS, 0.0))
        for p in PRECISIONS:
            totals[p] += pair["train_seconds"][p]
    results = {
        "machine": machine_description(torch.device("cpu")),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_average": [load_before, os.getloadavg()[0]],
        "command": " ".join(["python benchmarks/precision.py", *(argv or sys.argv[1:])]),
        "total_minutes": (time.perf_counter() - start) / 60,
        "n": args.n,
        "summary": summarise(pairs),
        "train_seconds": train_seconds,
        "runs": pairs,
    }
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    (args.out / "results" / "precision.json").write_text(json.dumps(results, indent=1))
    write_markdown(results, args.out / "precision.md")
    print(f"wrote {args.out / 'results' / 'precision.json'} and {args.out / 'precision.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
