"""Data sets nobody tuned for: `wgan train --data FILE` with the defaults (or with --set diffs) on
the sets of benchmarks/density_sets.py, scored by exact W1 against held-out points relative to
the noise floor, modes where known, and wall-clock time.

Usage:
    python benchmarks/unseen.py [--sets tune|held-out|all|NAME,...] [--seeds 0,1,2]
        [--set key=value ...] [--time SECONDS] [--label NAME] [--evals 4]
        [--out benchmarks/results/unseen]

Each run writes its set's 20 000 points to an .npy file and builds its config as
`wgan train --data FILE [--set ...] [--time ...]` does (the default preset with the file as its
data; with --time, the steps of that budget, resolved by `wgan.training.budget.plan_steps`). It
trains in this process, one torch thread, timing the training steps alone (`train_seconds`, and
the process's CPU time `train_cpu_seconds`); `--evals` evaluations are made outside the clock.

The final score averages over draws, as one W1 of 2000 points is noisy: W1 between 2000 generated
points (4 seeds) and 2000 held-out points (both halves of the 4000 held out), 8 values, against
the noise floor, the mean W1 between 2000 held-out and 2000 training points over 8 random splits
(`wgan.evaluation.common.noise_floor`). `ratio` = mean W1 / floor. Mixtures also give modes
covered and the high-quality share: a point is high quality when within a radius of its nearest
centre that holds 99.7% of a component (3 standard deviations in 2-D as in the VEEGAN paper,
a chi quantile in d dimensions).

Each finished run is appended to OUT/runs.jsonl at once; a restart skips runs found there with
the same label, set and seed. OUT/summary.md is rewritten after every run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import chi2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alg1 import git_state
from density_sets import HELD_OUT, SETS, TUNE, density_set
from wgan.config import Config, load_config
from wgan.data.toy import Modes
from wgan.demos.bench import machine_description
from wgan.distances import wasserstein
from wgan.evaluation.common import noise_floor
from wgan.metrics.modes import mode_coverage
from wgan.training.budget import plan_steps
from wgan.training.trainer import Trainer

N_POINTS = 20_000
N_EVAL = 2000
SAMPLE_SEEDS = (11, 12, 13, 14)
SHOWN = 1000  # generated points kept per run for OUT/samples.png


def set_names(text: str) -> list[str]:
    groups = {"tune": list(TUNE), "held-out": list(HELD_OUT), "all": list(SETS)}
    if text in groups:
        return groups[text]
    names = text.split(",")
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise SystemExit(f"unknown sets {unknown}; known: {', '.join(SETS)}")
    return names


def make_config(file: Path, seed: int, args: argparse.Namespace) -> Config:
    data = [f"data.path={file}", "data.name=points", "data.transform=none"]
    config = load_config(None, [*args.set, *data], seed=seed, device="cpu", name=file.stem)
    if args.time:
        plan = plan_steps(config, args.time)
        print("  " + plan.describe(args.time), flush=True)
        config = load_config(
            None, [*args.set, *data], seed=seed, device="cpu", name=file.stem, steps=plan.steps
        )
    return config


def modes_of(name: str, points_dim: int) -> Modes | None:
    made = density_set(name, 10)
    if made.centres is None or made.std is None:
        return None
    # mode_coverage counts a point within 3 stds of a centre; in d dimensions a component's
    # 99.7% radius is std * sqrt(chi2.ppf(0.997, d)) (3.4 stds in 2-D: keep the papers' 3 there).
    radius = 3.0 if points_dim == 2 else float(np.sqrt(chi2.ppf(0.997, points_dim)))
    return Modes(torch.from_numpy(made.centres), made.std * radius / 3.0)


def score(trainer: Trainer, name: str) -> dict[str, Any]:
    """The averaged final score (module docstring)."""
    source = trainer.source
    held = source.holdout(2 * N_EVAL).cpu().double()
    reference = source.reference(N_EVAL).cpu().double()
    floor, floor_std = noise_floor(reference, held[:N_EVAL], wasserstein)
    values, modes_covered, high_quality = [], [], []
    modes = modes_of(name, held.shape[1])
    for seed in SAMPLE_SEEDS:
        fake = trainer.sample(N_EVAL, seed=seed).cpu().double()
        values += [wasserstein(fake, held[:N_EVAL]), wasserstein(fake, held[N_EVAL:])]
        if modes is not None:
            covered, _total, quality = mode_coverage(fake, modes)
            modes_covered.append(covered)
            high_quality.append(quality)
    w1 = statistics.fmean(values)
    result = {
        "w1": w1,
        "w1_sd": statistics.stdev(values),
        "floor": floor,
        "floor_sd": floor_std,
        "ratio": w1 / floor,
        "modes_covered": min(modes_covered) if modes_covered else None,
        "modes_total": None if modes is None else len(modes.centres),
        "high_quality": statistics.fmean(high_quality) if high_quality else None,
    }
    return result


def train_run(name: str, seed: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    file = tmp / f"{name}.npy"
    np.save(file, density_set(name, N_POINTS).points)
    print(f"{args.label} {name} seed {seed}", flush=True)
    config = make_config(file, seed, args)
    load_before = os.getloadavg()[0]
    trainer = Trainer(config, tmp / f"run-{name}-{seed}", quiet=True)
    marks = sorted({max(1, round(config.steps * k / args.evals)) for k in range(1, args.evals + 1)})
    clock = cpu_clock = 0.0
    curve = []
    for mark in marks:
        start, cpu_start = time.perf_counter(), time.process_time()
        while trainer.step < mark:
            trainer.train_step()
        clock += time.perf_counter() - start
        cpu_clock += time.process_time() - cpu_start
        record = trainer.evaluate(N_EVAL)
        curve.append(
            {
                "step": trainer.step,
                "seconds": clock,
                "w1": record["w1"],
                "floor": record["w1_noise_floor"],
                "critic_w_estimate": record["critic_w_estimate"],
                "w1_standardized": record.get("w1_standardized"),
            }
        )
        print(
            f"  step {trainer.step:5d} {clock:6.1f}s W1/floor "
            f"{record['w1'] / record['w1_noise_floor']:.2f}",
            flush=True,
        )
    final = score(trainer, name)
    shown = trainer.sample(SHOWN, seed=SAMPLE_SEEDS[0])[:, :2].cpu().numpy()
    print(
        f"  final W1/floor {final['ratio']:.2f} modes {final['modes_covered']}/"
        f"{final['modes_total']} hq {final['high_quality']}",
        flush=True,
    )
    return {
        "label": args.label,
        "set": name,
        "dim": int(trainer.source.sample_shape[0]),
        "seed": seed,
        "overrides": list(args.set),
        "time_budget": args.time,
        "steps": config.steps,
        "train_seconds": clock,
        "train_cpu_seconds": cpu_clock,
        "final": final,
        "curve": curve,
        "samples": np.round(shown, 4).tolist(),  # the first two coordinates, for the figure
        "precision": trainer.precision,
        **provenance(config, load_before),
    }


def provenance(config: Config, load_before: float) -> dict[str, Any]:
    """Where and how a run ran: load at its start and end, machine, threads, time, commit,
    and its whole config."""
    return {
        "load_average": [load_before, os.getloadavg()[0]],
        "machine": machine_description(torch.device("cpu")),
        "threads": torch.get_num_threads(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "git": git_state(),
        "config": config.to_dict(),
    }


def read_runs(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summary(runs: list[dict[str, Any]]) -> str:
    """A table per label: each set's mean over seeds of W1 / floor, modes, quality and time."""
    lines = [
        "# Data sets nobody tuned for",
        "",
        "Written by benchmarks/unseen.py from runs.jsonl (each run's machine, load, commit and",
        "config are there). ratio: mean exact W1 over 8 draws / noise floor (mean +- sd over",
        "seeds); modes: the fewest covered over seeds; hq: high-quality share; s: training seconds",
        "(CPU seconds of the one torch thread in brackets).",
    ]
    for label in dict.fromkeys(r["label"] for r in runs):
        group = [r for r in runs if r["label"] == label]
        lines += ["", f"## {label}", "", f"overrides: `{' '.join(group[0]['overrides']) or '-'}`"]
        if group[0]["time_budget"]:
            lines.append(f"time budget: {group[0]['time_budget']:g} s")
        lines += [
            "",
            "| set | half | seeds | steps | ratio | worst | modes | hq | s (cpu) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name in SETS:
            rows = sorted((r for r in group if r["set"] == name), key=lambda r: r["seed"])
            if not rows:
                continue
            ratios = [r["final"]["ratio"] for r in rows]
            spread = f" ± {statistics.stdev(ratios):.2f}" if len(ratios) > 1 else ""
            total = rows[0]["final"]["modes_total"]
            modes = (
                "-"
                if total is None
                else f"{min(r['final']['modes_covered'] for r in rows)}/{total}"
            )
            hq = [
                r["final"]["high_quality"] for r in rows if r["final"]["high_quality"] is not None
            ]
            hq_text = f"{statistics.fmean(hq):.3f}" if hq else "-"
            seconds = statistics.fmean(r["train_seconds"] for r in rows)
            cpu = statistics.fmean(r["train_cpu_seconds"] for r in rows)
            lines.append(
                f"| {name} | {'tune' if name in TUNE else 'held out'} | {len(rows)} | "
                f"{statistics.fmean(r['steps'] for r in rows):.0f} | "
                f"{statistics.fmean(ratios):.2f}{spread} | {max(ratios):.2f} | {modes} | "
                f"{hq_text} | {seconds:.0f} ({cpu:.0f}) |"
            )
    return "\n".join(lines) + "\n"


def figure(runs: list[dict[str, Any]], label: str, path: Path) -> None:
    """Generated points (blue) over held-out ones (orange) of each set, seed 0 of `label`: the
    first two coordinates, in the data's units."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown: dict[str, dict[str, Any]] = {}
    for run in sorted(runs, key=lambda r: -r["seed"]):  # the lowest seed drawn last, kept
        if run["label"] == label and "samples" in run:
            shown[run["set"]] = run
    names = [name for name in SETS if name in shown]
    if not names:
        return
    cols = min(6, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3 * rows), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names, strict=False):
        points = density_set(name, N_POINTS).points
        rows = np.random.default_rng(0).choice(len(points), min(SHOWN, len(points)), replace=False)
        real = points[rows, :2]
        fake = np.asarray(shown[name]["samples"])
        ax.scatter(real[:, 0], real[:, 1], s=1, c="tab:orange", alpha=0.4)
        ax.scatter(fake[:, 0], fake[:, 1], s=1, c="tab:blue", alpha=0.4)
        ratio = shown[name]["final"]["ratio"]
        ax.set_title(f"{name}: W1 / floor {ratio:.2f}", fontsize=9)
        ax.tick_params(labelsize=6)
    fig.suptitle(f"{label}: generated (blue) over real (orange) points, seed 0", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="tune")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--time", type=float, default=None, help="a budget in seconds")
    parser.add_argument("--label", default="defaults")
    parser.add_argument("--evals", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/unseen"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    jsonl = args.out / "runs.jsonl"
    done = {(r["label"], r["set"], r["seed"]) for r in read_runs(jsonl)}
    with tempfile.TemporaryDirectory() as tmp:
        for name in set_names(args.sets):
            for seed in (int(s) for s in args.seeds.split(",")):
                if (args.label, name, seed) in done:
                    continue
                run = train_run(name, seed, args, Path(tmp))
                with jsonl.open("a") as f:
                    f.write(json.dumps(run) + "\n")
                runs = read_runs(jsonl)
                (args.out / "summary.md").write_text(summary(runs))
                figure(runs, args.label, args.out / f"samples-{args.label}.png")


if __name__ == "__main__":
    main()
