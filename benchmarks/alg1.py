"""The WGAN-GP paper's Algorithm 1 against the tuned toy presets, at equal training time.

Usage:
    python benchmarks/alg1.py [--datasets 8gaussians 25gaussians swissroll] [--seeds 0 1 2]
        [--threads N] [--n 2000] [--evals 5] [--out benchmarks/results]

For each data set and seed, back to back (so that both see about the same machine load):

1. the tuned preset `<data set>-wgan-gp` trains to its own step count; its training time T is
   the sum of the times of its training steps (`Trainer.train_step`), evaluations excluded;
2. the preset `<data set>-wgan-gp-alg1` (Algorithm 1: lambda 10, n_critic 5, Adam 1e-4 betas
   (0, 0.9), batch 64, no EMA, constant rate) trains, timed the same way, until its training time
   reaches T (it stops after the first step that reaches it), whatever its `steps` says: with a
   constant rate and no EMA, a run's first steps do not depend on its step count.

Both are evaluated `--evals` times outside the clock: the tuned run every steps/evals steps, the
Algorithm 1 run when its clock first passes each of those times, the last at T. An evaluation is
`Trainer.evaluate(n)`: exact W1 between n generated and n held-out points, its noise floor (n real
against n other real points), modes covered and the high-quality share (within 3 standard
deviations of a mode; the swiss roll has no modes).

Each finished run is appended to OUT/alg1.jsonl at once; a restart skips the runs found there
(with the same settings), so an interrupted benchmark loses at most the run in progress. After
every run OUT/alg1.json, OUT/alg1.md and OUT/alg1.png are rewritten from the JSONL.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from wgan.config import Config, load_config
from wgan.demos.bench import machine_description
from wgan.training.trainer import Trainer

DATASETS = ("8gaussians", "25gaussians", "swissroll")
ROLES = ("tuned", "alg1")


def preset_name(dataset: str, role: str) -> str:
    return f"{dataset}-wgan-gp" + ("-alg1" if role == "alg1" else "")


def git_state() -> dict[str, str]:
    """The commit and the uncommitted changes of the tree the benchmark runs from."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        except OSError:
            return ""
        return done.stdout.strip()

    return {"head": git("rev-parse", "HEAD"), "status": git("status", "--short")}


def make_config(dataset: str, role: str, seed: int, args: argparse.Namespace) -> Config:
    fields: dict[str, Any] = {"seed": seed, "device": "cpu"}
    if args.tiny:
        fields["model"] = {"generator_width": 16, "critic_width": 16}
    if args.steps and role == "tuned":
        fields["steps"] = args.steps
    config = load_config(preset_name(dataset, role), **fields)
    if role == "alg1":  # training past T or short of `steps` is then the same run
        assert config.optimizer.lr_decay == "constant" and config.ema_decay is None
    return config


def evaluation(trainer: Trainer, n: int, seconds: float) -> dict[str, Any]:
    start = time.perf_counter()
    result = trainer.evaluate(n)
    keys = ("step", "w1", "w1_noise_floor", "modes_covered", "modes_total", "high_quality")
    point = {key: result[key] for key in keys}
    point |= {"seconds": seconds, "eval_seconds": time.perf_counter() - start}
    hq = point["high_quality"]
    print(
        f"  step {point['step']:6d} {seconds:7.1f}s W1 {point['w1']:.4f} "
        f"(floor {point['w1_noise_floor']:.4f}) modes {point['modes_covered']} "
        f"hq {'-' if hq is None else f'{hq:.3f}'}",
        flush=True,
    )
    return point


def train_run(
    dataset: str,
    role: str,
    seed: int,
    args: argparse.Namespace,
    budget: float | None = None,
    eval_times: list[float] | None = None,
) -> dict[str, Any]:
    """One run, timed over its training steps only: the tuned preset to its step count (budget
    None), or the Algorithm 1 preset until its training time reaches `budget` seconds."""
    config = make_config(dataset, role, seed, args)
    print(f"{config.name} seed {seed}" + ("" if budget is None else f", {budget:.1f}s"), flush=True)
    load_before = os.getloadavg()[0]
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(config, Path(tmp), quiet=True)
        clock = 0.0
        cpu_clock = 0.0  # the process's CPU time in training: how much of the wall time it ran
        curve: list[dict[str, Any]] = []
        if budget is None:
            marks = sorted(
                {max(1, round(config.steps * k / args.evals)) for k in range(1, args.evals + 1)}
            )
            while trainer.step < config.steps:
                start, cpu_start = time.perf_counter(), time.process_time()
                while trainer.step < marks[len(curve)]:
                    trainer.train_step()
                clock += time.perf_counter() - start
                cpu_clock += time.process_time() - cpu_start
                curve.append(evaluation(trainer, args.n, clock))
        else:
            assert eval_times is not None
            marks_s = [*eval_times[:-1], budget]
            while clock < budget:
                start, base, cpu_start = time.perf_counter(), clock, time.process_time()
                while clock < marks_s[len(curve)]:
                    trainer.train_step()
                    clock = base + time.perf_counter() - start
                cpu_clock += time.process_time() - cpu_start
                # One step can pass several marks (a first step is slow): each gets the point.
                point = evaluation(trainer, args.n, clock)
                passed = sum(1 for mark in marks_s[len(curve) :] if clock >= mark)
                curve.extend([point] * passed)
        precision = trainer.precision
    return {
        "dataset": dataset,
        "role": role,
        "preset": config.name,
        "seed": seed,
        "settings": settings(args),
        "precision": precision,
        "batch_size": config.batch_size,
        "steps": curve[-1]["step"],
        "train_seconds": clock,
        "train_cpu_seconds": cpu_clock,
        "budget_seconds": budget,
        "eval_seconds": sum(p["eval_seconds"] for p in curve),
        "final": curve[-1],
        "curve": curve,
        "load_average": [load_before, os.getloadavg()[0]],
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "git": git_state(),
        "config": config.to_dict(),
    }


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """What must match for a recorded run to be reused on a restart."""
    return {"n": args.n, "evals": args.evals, "tiny": args.tiny, "steps": args.steps}


def read_runs(path: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [run for run in runs if run["settings"] == settings(args)]


def append_run(path: Path, run: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(run) + "\n")
        f.flush()
        os.fsync(f.fileno())


def spread(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per data set and preset: the final evaluations' mean and spread over the seeds."""
    rows = []
    for dataset in dict.fromkeys(run["dataset"] for run in runs):
        for role in ROLES:
            group = sorted(
                (r for r in runs if r["dataset"] == dataset and r["role"] == role),
                key=lambda r: r["seed"],
            )
            if not group:
                continue
            finals = [r["final"] for r in group]
            hq = [f["high_quality"] for f in finals if f["high_quality"] is not None]
            rows.append(
                {
                    "dataset": dataset,
                    "preset": group[0]["preset"],
                    "role": role,
                    "seeds": [r["seed"] for r in group],
                    "precision": sorted({r["precision"] for r in group}),
                    "batch_size": group[0]["batch_size"],
                    "w1": spread([f["w1"] for f in finals]),
                    "w1_noise_floor": spread([f["w1_noise_floor"] for f in finals]),
                    "w1_over_floor": spread([f["w1"] / f["w1_noise_floor"] for f in finals]),
                    "modes": [
                        None
                        if f["modes_covered"] is None
                        else [f["modes_covered"], f["modes_total"]]
                        for f in finals
                    ],
                    "high_quality": spread(hq) if hq else None,
                    "steps": spread([float(r["steps"]) for r in group]),
                    "steps_range": [min(r["steps"] for r in group), max(r["steps"] for r in group)],
                    "train_seconds": spread([r["train_seconds"] for r in group]),
                    "steps_per_s": spread([r["steps"] / r["train_seconds"] for r in group]),
                }
            )
    return rows


def _pm(pair: tuple[float, float], digits: int = 3) -> str:
    return f"{pair[0]:.{digits}f} ± {pair[1]:.{digits}f}"


def write_markdown(record: dict[str, Any], path: Path) -> None:
    loads = [x for run in record["runs"] for x in run["load_average"]]
    lines = [
        "# Algorithm 1 of the WGAN-GP paper against the tuned presets, at equal training time",
        "",
        f"Command: `{record['command']}`. Machine: {record['machine']}, torch {record['torch']}, "
        f"{record['threads']} torch thread(s); shared machine, load average (1 min) from "
        f"{min(loads):.1f} to {max(loads):.1f} at the starts and ends of the runs. Seeds: "
        f"{', '.join(map(str, record['seeds']))}. Commit {record['git']['head'][:12]}"
        + (
            " with uncommitted changes in the tree (alg1.json lists them)."
            if record["git"]["status"]
            else "."
        )
        + "",
        "",
        "Per data set and seed, the tuned preset trains to its step count first; its training "
        "time T (training steps only, evaluations excluded) is then the Algorithm 1 preset's "
        "budget. Scores are the final evaluation: exact W1 between "
        f"{record['n']} generated and {record['n']} held-out points, W1 over its noise floor "
        "(real against real, same n; 1 is as good as the measurement can tell), modes covered and "
        "the share of samples within 3 standard deviations of a mode. Mean ± standard deviation "
        "over the seeds; modes per seed.",
        "",
        *([record["note"], ""] if record.get("note") else []),
        "| data set | preset | batch | precision | exact W1 | W1 / noise floor | modes | high quality | steps | training s |",
        "|---|---|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    for row in record["summary"]:
        modes = ", ".join("-" if m is None else f"{m[0]}/{m[1]}" for m in row["modes"])
        hq = row["high_quality"]
        lines.append(
            f"| {row['dataset']} | {row['preset']} | {row['batch_size']} | "
            f"{', '.join(row['precision'])} | {_pm(row['w1'])} | {_pm(row['w1_over_floor'], 2)} | "
            f"{modes} | {'-' if hq is None else f'{hq[0]:.1%} ± {hq[1]:.1%}'} | "
            f"{row['steps'][0]:.0f} ({row['steps_range'][0]}-{row['steps_range'][1]}) | "
            f"{_pm(row['train_seconds'], 0)} |"
        )
    lines += [
        "",
        "Every run (final evaluation; the curves are in alg1.json):",
        "",
        "| preset | seed | started | steps | training s | CPU s in training | steps/s | eval s | W1 | noise floor | modes | high quality | load before, after |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for run in record["runs"]:
        f = run["final"]
        modes = "-" if f["modes_covered"] is None else f"{f['modes_covered']}/{f['modes_total']}"
        hq = "-" if f["high_quality"] is None else f"{f['high_quality']:.1%}"
        cpu = run.get("train_cpu_seconds")  # (not recorded by the first runs)
        lines.append(
            f"| {run['preset']} | {run['seed']} | {run['started']} | {run['steps']} | "
            f"{run['train_seconds']:.1f} | {'-' if cpu is None else f'{cpu:.1f}'} | "
            f"{run['steps'] / run['train_seconds']:.1f} | {run['eval_seconds']:.0f} | "
            f"{f['w1']:.4f} | {f['w1_noise_floor']:.4f} | {modes} | {hq} | "
            f"{run['load_average'][0]:.1f}, {run['load_average'][1]:.1f} |"
        )
    lines += ["", "![exact W1 against training seconds](alg1.png)", ""]
    path.write_text("\n".join(lines))


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(run["dataset"] for run in runs))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.6 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        floors = []
        for run in (r for r in runs if r["dataset"] == dataset):
            curve = run["curve"]
            ax.plot(
                [p["seconds"] for p in curve],
                [p["w1"] for p in curve],
                "s-" if run["role"] == "tuned" else "o--",
                color="tab:blue" if run["role"] == "tuned" else "tab:orange",
                alpha=0.8,
                label=f"{run['preset']} seed {run['seed']}",
            )
            floors.append(curve[-1]["w1_noise_floor"])
        ax.axhline(statistics.fmean(floors), ls=":", color="k", lw=0.8, label="noise floor (mean)")
        ax.set_title(dataset)
        ax.set_xlabel("training seconds (1 thread)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("exact W1 to held-out points")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_results(runs: list[dict[str, Any]], args: argparse.Namespace, command: str) -> None:
    order = {
        (d, s): i for i, (d, s) in enumerate((d, s) for s in args.seeds for d in args.datasets)
    }
    runs = sorted(
        runs, key=lambda r: (order.get((r["dataset"], r["seed"]), 1e9), r["role"] != "tuned")
    )
    record = {
        "command": command,
        "note": args.note,
        "machine": machine_description(torch.device("cpu")),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "seeds": args.seeds,
        "datasets": args.datasets,
        "n": args.n,
        "evals": args.evals,
        "timing": "training steps only; evaluations run outside the clock for both presets",
        "git": git_state(),
        "summary": summarise(runs),
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "alg1.json").write_text(json.dumps(record, indent=1))
    write_markdown(record, args.out / "alg1.md")
    plot(runs, args.out / "alg1.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="(default: 0 1 2)")
    parser.add_argument(
        "--n", type=int, default=2000, help="points per side for W1 (default: 2000)"
    )
    parser.add_argument("--evals", type=int, default=5, help="evaluations per run (default: 5)")
    parser.add_argument("--steps", type=int, help="tuned presets' steps (default: their own)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--tiny", action="store_true", help="tiny models: a test of the script")
    parser.add_argument("--note", help="a paragraph for alg1.md: how the runs were made")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "alg1.jsonl"
    command = shlex.join(
        ["python", "benchmarks/alg1.py", *(sys.argv[1:] if argv is None else argv)]
    )
    runs = read_runs(log, args)
    done = {(r["dataset"], r["role"], r["seed"]): r for r in runs}
    for seed in args.seeds:
        for dataset in args.datasets:
            tuned = done.get((dataset, "tuned", seed))
            if tuned is None:
                tuned = train_run(dataset, "tuned", seed, args)
                append_run(log, tuned)
                runs.append(tuned)
                write_results(runs, args, command)
            if (dataset, "alg1", seed) not in done:
                times = [p["seconds"] for p in tuned["curve"]]
                alg1 = train_run(dataset, "alg1", seed, args, tuned["train_seconds"], times)
                append_run(log, alg1)
                runs.append(alg1)
                write_results(runs, args, command)
    runs = [r for r in runs if r["dataset"] in args.datasets and r["seed"] in args.seeds]
    write_results(runs, args, command)
    print(f"wrote {args.out / 'alg1.json'}, {args.out / 'alg1.md'}, {args.out / 'alg1.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
