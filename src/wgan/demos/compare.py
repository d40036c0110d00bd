"""`wgan compare`: train GAN methods on the toy data over several seeds and rank them, as the toy
tables of the GAN papers do.

Method M on data set D is the preset `D-M` (e.g. `25gaussians-wgan-gp`). Each run trains its preset
(with `steps` and `--set` overrides when given), then is evaluated once on 2500 held-out samples (`--eval-n`):
exact W1 to them, its noise floor (W1 between two real sets of that size), the modes covered and
the share of high-quality samples (the VEEGAN definitions, with 2500 samples as in their tables).
Writes into the output directory:

- `compare.json`: every run's numbers, with the command, the machine and the date;
- `compare.md`: per data set, the methods ranked by mean W1 over the seeds, and the published toy
  numbers for 25 Gaussians;
- `compare.png`: generated samples of the first seed over held-out real ones, a row per method and
  a column per data set;
- `runs/<D>-<M>-s<seed>/`: each run (config, metrics, final checkpoint, `samples.npy`, and
  `record.json`, its line of compare.json).

Running the same command again reuses every run that finished with the same config, so a
comparison that was stopped continues where it was.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from wgan.config import TOY_DATASETS, Config, load_config
from wgan.errors import UserError
from wgan.reporting.files import markdown_table, save_figure, write_json, write_markdown

DEFAULT_METHODS = (
    "wgan-gp",
    "wgan-clip",
    "gan",
    "nsgan",
    "nsgan-gp",
    "lsgan",
    "hinge-sn",
    "ebgan",
    "nsgan-mbd",
    "nsgan-fm",
    "nsgan-noise",
)
DEFAULT_OUT = Path("runs/compare")
MIXTURES = ("8gaussians", "25gaussians")  # the data sets with modes to count
EVAL_N = 2500  # samples per side of the final evaluation, as in the VEEGAN and PacGAN tables

# The toy numbers of the papers for 25 Gaussians, 2500 samples: (method, modes, high quality, source).
PUBLISHED_25 = (
    ("GAN", "3.3", "0.5%", "VEEGAN (Srivastava et al. 2017), Table 1"),
    ("Unrolled GAN", "23.6", "16%", "VEEGAN, Table 1"),
    ("VEEGAN", "24.6", "40%", "VEEGAN, Table 1"),
    ("WGAN-GP", "about 24", "29%", "as quoted in the project's issue"),
    ("PacGAN", "23.8", "91%", "PacGAN (Lin et al. 2018)"),
)


@dataclass(frozen=True)
class CompareRequest:
    methods: Sequence[str] = DEFAULT_METHODS
    datasets: Sequence[str] = TOY_DATASETS
    seeds: Sequence[int] = (0, 1, 2)
    steps: int | None = None  # generator steps for every run; None: each preset's own
    overrides: Sequence[str] = ()  # `key=value` for every run
    device: str = "cpu"
    jobs: int = 1  # runs trained at the same time, in separate processes
    eval_n: int = EVAL_N  # samples per side of the final evaluation
    out: Path = DEFAULT_OUT
    command: str = ""  # how the comparison was started, for the record


@dataclass(frozen=True)
class Job:
    method: str
    dataset: str
    seed: int
    config: Config

    @property
    def name(self) -> str:
        return f"{self.dataset}-{self.method}-s{self.seed}"


def plan(request: CompareRequest) -> list[Job]:
    """Every (method, data set, seed) run with its config; refuses unknown names up front."""
    from wgan.presets import preset_names

    if not request.methods or not request.datasets or not request.seeds:
        raise UserError("compare needs at least one method, one data set and one seed")
    unknown = [d for d in request.datasets if d not in TOY_DATASETS]
    if unknown:
        raise UserError(
            f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(TOY_DATASETS)}"
        )
    known = set(preset_names())
    missing = [
        f"{d}-{m}" for m in request.methods for d in request.datasets if f"{d}-{m}" not in known
    ]
    if missing:
        raise UserError(
            f"no preset {', '.join(missing)}; a method M on data set D is the preset D-M "
            "(`wgan presets` lists them)"
        )
    jobs = []
    for seed in request.seeds:  # seed-major: a stopped comparison has whole tables of seeds
        for method in request.methods:
            for dataset in request.datasets:
                fields: dict[str, Any] = {"seed": seed, "device": request.device}
                if request.steps is not None:
                    fields["steps"] = request.steps
                config = load_config(f"{dataset}-{method}", list(request.overrides), **fields)
                # One evaluation, at the end, on eval_n samples; a checkpoint only at the end.
                config = load_config(
                    None,
                    **config.to_dict()
                    | {
                        "eval": {"every": config.steps, "n": request.eval_n},
                        "checkpoint": {"every": config.steps, "keep": 1},
                        "log": {"every": max(1, config.steps // 20)},
                    },
                )
                jobs.append(Job(method, dataset, seed, config))
    return jobs


def run_job(job: Job, out: Path, threads: int | None = None) -> dict[str, Any]:
    """Train one run from scratch and evaluate it; the record of compare.json."""
    import torch

    from wgan.training.guard import NonFiniteLossError
    from wgan.training.loop import train_until
    from wgan.training.rundir import start_run

    if threads is not None:
        torch.set_num_threads(threads)
    run_dir = out / "runs" / job.name
    done = run_dir / "record.json"
    if done.exists():  # finished by an earlier invocation with this very config: reuse it
        stored = json.loads(done.read_text())
        if stored["config"] == job.config.to_dict():
            return dict(stored["record"])
    trainer = start_run(job.config, run_dir, overwrite=True, quiet=True)
    record: dict[str, Any] = {
        "method": job.method,
        "dataset": job.dataset,
        "seed": job.seed,
        "preset": f"{job.dataset}-{job.method}",
        "steps": job.config.steps,
        "precision": trainer.precision,
        "error": None,
    }
    start = time.perf_counter()
    try:
        train_until(trainer, job.config.steps)
    except NonFiniteLossError as err:  # a diverged run is a result, not a reason to stop
        record |= {"error": str(err), "train_seconds": time.perf_counter() - start}
    else:
        record["train_seconds"] = time.perf_counter() - start
        result = trainer.evaluate(job.config.eval.n)
        np.save(run_dir / "samples.npy", trainer.sample(job.config.eval.n).cpu().numpy())
        record |= {k: v for k, v in result.items() if k != "step"}
    write_json(done, {"config": job.config.to_dict(), "record": record}, indent=None)
    return record


def _run_all(jobs: list[Job], request: CompareRequest) -> list[dict[str, Any]]:
    total = len(jobs)

    def report(i: int, r: dict[str, Any]) -> None:
        if r["error"]:
            outcome = f"diverged ({r['error'].partition(';')[0]})"
        else:
            outcome = f"W1 {r['w1']:.4f} (floor {r['w1_noise_floor']:.4f})"
            if r["modes_total"]:
                outcome += f", modes {r['modes_covered']}/{r['modes_total']}"
        print(
            f"[{i}/{total}] {r['dataset']}-{r['method']} seed {r['seed']}: {outcome}, "
            f"{r['train_seconds']:.0f} s",
            flush=True,
        )

    records = []
    if request.jobs == 1:
        for i, job in enumerate(jobs, 1):
            records.append(run_job(job, request.out))
            report(i, records[-1])
        return records
    threads = max(1, (os.cpu_count() or 1) // request.jobs)
    with ProcessPoolExecutor(request.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_job, job, request.out, threads) for job in jobs]
        for i, future in enumerate(futures, 1):
            records.append(future.result())
            report(i, records[-1])
    return records


def machine() -> dict[str, Any]:
    """Where the comparison ran: CPU model and count, GPU, library versions, load."""
    import torch

    from wgan.demos.bench import cpu_name

    return {
        "cpu": cpu_name(),
        "cpus": os.cpu_count(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (data set, method): means over seeds (and spreads), data sets in order, methods by W1."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["method"]), []).append(r)
    rows = []
    for (dataset, method), every_run in groups.items():
        runs = [r for r in every_run if r["error"] is None]
        row: dict[str, Any] = {
            "dataset": dataset,
            "method": method,
            "seeds": len(every_run),
            "diverged": len(every_run) - len(runs),
            "steps": every_run[0]["steps"],
            "train_seconds": statistics.fmean(r["train_seconds"] for r in every_run),
            "w1_mean": None,
            "modes_total": None,
        }
        if not runs:
            rows.append(row)
            continue
        w1 = [r["w1"] for r in runs]
        row |= {
            "w1_mean": statistics.fmean(w1),
            "w1_std": statistics.stdev(w1) if len(w1) > 1 else 0.0,
            "w1_ci95": ci95(w1),
            "w1_noise_floor": statistics.fmean(r["w1_noise_floor"] for r in runs),
            "modes_total": runs[0]["modes_total"],
        }
        if runs[0]["modes_total"]:
            modes = [r["modes_covered"] for r in runs]
            quality = [r["high_quality"] for r in runs]
            row |= {
                "modes_mean": statistics.fmean(modes),
                "modes_min": min(modes),
                "modes_max": max(modes),
                "modes_ci95": ci95(modes),
                "high_quality_mean": statistics.fmean(quality),
                "high_quality_min": min(quality),
                "high_quality_ci95": ci95(quality),
            }
        rows.append(row)
    order = {d: i for i, d in enumerate(TOY_DATASETS)}
    return sorted(
        rows,
        key=lambda r: (
            order.get(r["dataset"], len(order)),
            math.inf if r["w1_mean"] is None else r["w1_mean"],
        ),
    )


def ci95(values: Sequence[float]) -> float | None:
    """The half-width of the 95% confidence interval of the mean of `values` (Student's t with
    n - 1 degrees of freedom: seeds are few); None for fewer than two values."""
    from scipy.stats import t

    if len(values) < 2:
        return None
    return float(t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values)))


def _times(seeds: list[int]) -> str:
    if len(seeds) == 1:
        return f"once (seed {seeds[0]})"
    return f"{len(seeds)} times (seeds {', '.join(map(str, seeds))})"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _markdown_row(r: dict[str, Any], has_modes: bool) -> list[str]:
    """A (data set, method) row of compare.md: means over seeds, spreads where there are several."""
    method = r["method"] + (f" ({r['diverged']} of {r['seeds']} diverged)" if r["diverged"] else "")
    wall = f"{r['train_seconds']:.0f} s"
    if r["w1_mean"] is None:
        return [method, str(r["steps"]), "diverged", "", *(["", ""] if has_modes else []), wall]
    several = r["seeds"] - r["diverged"] > 1
    w1 = f"{r['w1_mean']:.4f}" + (f" ± {r['w1_ci95']:.4f}" if several else "")
    row = [method, str(r["steps"]), w1, f"{r['w1_noise_floor']:.4f}"]
    if has_modes:
        modes = f"{r['modes_mean']:.1f}/{r['modes_total']}"
        quality = _pct(r["high_quality_mean"])
        if several:
            modes += f" ± {r['modes_ci95']:.1f} [{r['modes_min']}-{r['modes_max']}]"
            quality += f" ± {_pct(r['high_quality_ci95'])} ({_pct(r['high_quality_min'])})"
        row += [modes, quality]
    return [*row, wall]


def markdown(summary: list[dict[str, Any]], header: dict[str, Any]) -> str:
    m, n = header["machine"], header["eval_n"]
    gpu = f", GPU {m['gpu']}" if m["gpu"] else ""
    lines = [
        "# GAN methods on the toy data",
        "",
        f"Command: `{header['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs{gpu}; Python {m['python']}, torch {m['torch']}; "
        f"load average {m['load_average']} at the start, {header['load_average_at_end']} at the "
        f"end. Date: {header['date']}. Wall time of this invocation "
        f"{header['total_seconds'] / 60:.1f} min; the runs' training times add up to "
        f"{header['train_seconds_sum'] / 60:.1f} min.",
        "",
        f"Each method is the preset `<data set>-<method>` (see `wgan presets`), trained "
        f"{_times(header['seeds'])} and evaluated "
        f"once at the end on {n} generated and {n} held-out real samples. W1 is the exact "
        "optimal-transport distance between them; the noise floor is W1 between two real sets of "
        f"{n}, the score of a perfect generator. A mode is covered when at least one "
        "high-quality sample has it as nearest centre; a sample is high quality within 3 standard "
        "deviations of its nearest centre (VEEGAN's definitions). Means over seeds where a method "
        "has several runs, ± the half-width of the mean's 95% confidence interval (Student's t "
        "over the seeds), [min-max] for modes and (min) for the high-quality share; wall time is "
        "training alone. Ranked by mean W1.",
        "",
    ]
    for dataset in dict.fromkeys(r["dataset"] for r in summary):
        has_modes = dataset in MIXTURES
        columns = ["method", "steps", "exact W1", "noise floor"]
        columns += [*(["modes", "high quality"] if has_modes else []), "wall time"]
        rows = [_markdown_row(r, has_modes) for r in summary if r["dataset"] == dataset]
        lines += [f"## {dataset}", ""]
        lines += [*markdown_table(columns, rows, align="l" + "r" * (len(columns) - 1)), ""]
    lines += [
        "## Published toy numbers, 25 Gaussians, 2500 samples",
        "",
        *markdown_table(
            ["method", "modes (of 25)", "high quality", "source"],
            [list(row) for row in PUBLISHED_25],
            align="lrrl",
        ),
        "",
        "The papers use their own networks and training lengths; the data (a 5 x 5 grid of "
        "Gaussians with standard deviation 0.05 for a spacing of 2) and the definitions are the same "
        "up to scale.",
        "",
        "![final samples](compare.png)",
        "",
    ]
    return "\n".join(lines)


def figure(path: Path, records: list[dict[str, Any]], out: Path, request: CompareRequest) -> None:
    """Generated samples (first seed) over held-out real ones: a row per method, a column per set."""
    import torch

    from wgan.data.sources import ToySource
    from wgan.reporting.figures import FAKE_COLOUR, REAL_COLOUR, plt

    seed = request.seeds[0]
    methods, datasets = list(request.methods), list(request.datasets)
    fig, axes = plt.subplots(
        len(methods),
        len(datasets),
        figsize=(2.6 * len(datasets), 2.6 * len(methods)),
        squeeze=False,
    )
    by_key = {(r["method"], r["dataset"], r["seed"]): r for r in records}
    for j, dataset in enumerate(datasets):
        source = ToySource(dataset, seed=seed, device=torch.device("cpu"))
        real = source.holdout(request.eval_n).numpy()
        for i, method in enumerate(methods):
            ax = axes[i, j]
            record = by_key[(method, dataset, seed)]
            ax.scatter(real[:, 0], real[:, 1], s=1, c=REAL_COLOUR, alpha=0.4)
            if record["error"] is None:
                fake = np.load(out / "runs" / f"{dataset}-{method}-s{seed}" / "samples.npy")
                ax.scatter(fake[:, 0], fake[:, 1], s=1, c=FAKE_COLOUR, alpha=0.4)
                label = f"W1 {record['w1']:.3f}"
                if record["modes_total"]:
                    label += f", {record['modes_covered']}/{record['modes_total']}, {_pct(record['high_quality'])}"
            else:
                label = "diverged"
            lim = 1.25 * float(np.abs(real).max())
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(label, fontsize=7)
            if j == 0:
                ax.set_ylabel(method, fontsize=9)
        axes[0, j].annotate(
            dataset, (0.5, 1.25), xycoords="axes fraction", ha="center", fontsize=10
        )
    fig.suptitle(f"final samples, seed {seed} (blue), over held-out data (orange)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=80)  # 33 panels of 2 x 2500 points: a committed figure stays small


def run_compare(request: CompareRequest) -> int:
    """Plan, train and evaluate every run, then write compare.json, compare.md and compare.png."""
    if request.jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {request.jobs}")
    if request.eval_n < 10:
        raise UserError(f"--eval-n must be at least 10, got {request.eval_n}")
    jobs = plan(request)
    out = Path(request.out)
    out.mkdir(parents=True, exist_ok=True)
    header: dict[str, Any] = {
        "command": request.command or "wgan compare",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "seeds": list(request.seeds),
        "n_seeds": len(request.seeds),
        "eval_n": request.eval_n,
    }
    print(f"compare: {len(jobs)} runs into {out}", flush=True)
    start = time.perf_counter()
    records = _run_all(jobs, request)
    header["total_seconds"] = time.perf_counter() - start
    header["train_seconds_sum"] = sum(r["train_seconds"] for r in records)
    header["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    summary = summarise(records)
    write_json(out / "compare.json", {**header, "summary": summary, "runs": records})
    write_markdown(out / "compare.md", markdown(summary, header))
    figure(out / "compare.png", records, out, request)
    print(f"wrote {out / 'compare.md'}, {out / 'compare.json'} and {out / 'compare.png'}")
    return 0
