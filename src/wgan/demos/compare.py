"""`wgan compare`: train GAN methods on the toy data over several seeds and rank them, as the toy
tables of the GAN papers do.

Method M on data set D is the preset `D-M` (e.g. `25gaussians-wgan-gp`). Each run trains its preset
(with `steps` and `--set` overrides when given), evaluated on 2500 held-out samples (`--eval-n`):
exact W1 to them, its noise floor (W1 between two real sets of that size), precision and recall,
and on mixtures the modes covered, the share of high-quality samples and the reverse KL of the
modes' histogram (the VEEGAN and PacGAN definitions, with 2500 samples as in their tables).

Three ways to set the length of the runs:

- each preset's own steps, or `--steps N` for all;
- `--budget-s T`: the same T seconds of training for every method (its evaluations, which are
  measurement, left out). The steps that fit are resolved from a timing of the run's steps in the
  process that trains it (`wgan.training.budget.measure`) and recorded as the run's `steps`, so a
  run can be repeated exactly with `wgan train PRESET --steps N`; `train_seconds` says how close
  the run came to T. `--budget-clock cpu` counts CPU seconds of the training process instead
  (`train_cpu_seconds`): on a machine shared with other jobs, the same compute for every method
  whatever the load;
- `--protocol veegan|pacgan`: a published protocol (`wgan.demos.protocols`): its data, networks,
  batch, steps, trials and evaluation, and its paper's table beside wgan's figures.

Writes into the output directory:

- `compare.json`: every run's numbers (with its curve: the evaluations with the training seconds
  before each), the command, the machine and the date;
- `compare.md`: per data set, the methods ranked by mean W1 over the seeds (with a protocol, in
  the paper's table);
- `compare.png`: generated samples of the first seed over held-out real ones, a row per method and
  a column per data set; `curves.png`: exact W1 over its floor, precision and recall against
  seconds of training (on the budget's clock), means over the seeds, a line per method;
- `runs/<D>-<M>-s<seed>/`: each run (config, metrics, final checkpoint, `samples.npy`, and
  `record.json`, its line of compare.json).

Running the same command again reuses every run that finished with the same config, so a
comparison that was stopped continues where it was.
"""

from __future__ import annotations

import dataclasses
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

from wgan.config import TOY_DATASETS, Config, build_config, load_config, merge
from wgan.config.sections import PROTOCOL_DATASETS
from wgan.demos.compare_report import (
    BUDGET_TOLERANCE,
    curves_figure,
    markdown,
    samples_figure,
)
from wgan.demos.protocols import Protocol, get_protocol
from wgan.errors import UserError
from wgan.reporting.files import write_json, write_markdown
from wgan.training.budget import CLOCKS

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
EVAL_N = 2500  # samples per side of the evaluations, as in the VEEGAN and PacGAN tables
EVALUATIONS = 5  # evaluations of every run after the one at step 0: the points of its curve
# The evaluation keys a run's curve keeps, at each evaluation.
CURVE_KEYS = ("step", "w1", "w1_noise_floor", "precision", "recall", "modes_covered")


@dataclass(frozen=True)
class CompareRequest:
    methods: Sequence[str] | None = None  # None: DEFAULT_METHODS, or the protocol's
    datasets: Sequence[str] | None = None  # None: TOY_DATASETS, or the protocol's
    seeds: Sequence[int] | None = None  # None: 0, 1, 2, or one per trial of the protocol
    steps: int | None = None  # generator steps for every run; None: each preset's own
    budget_s: float | None = None  # seconds of training for every run (instead of steps)
    budget_clock: str = "wall"  # what budget_s counts: wall-clock or CPU seconds (budget.CLOCKS)
    protocol: str | None = None  # "veegan" or "pacgan": a published protocol (protocols.py)
    overrides: Sequence[str] = ()  # `key=value` for every run
    device: str = "cpu"
    jobs: int = 1  # runs trained at the same time, in separate processes
    eval_n: int | None = None  # samples per side of the evaluations; None: EVAL_N
    out: Path = DEFAULT_OUT
    command: str = ""  # how the comparison was started, for the record

    def resolved(self) -> CompareRequest:
        """The request with its defaults filled in (from the protocol where there is one)."""
        protocol = None if self.protocol is None else get_protocol(self.protocol)
        return dataclasses.replace(
            self,
            methods=self.methods or (protocol.methods if protocol else DEFAULT_METHODS),
            datasets=self.datasets or (protocol.datasets if protocol else TOY_DATASETS),
            seeds=self.seeds or (tuple(range(protocol.trials)) if protocol else (0, 1, 2)),
            eval_n=self.eval_n or (protocol.eval_n if protocol else EVAL_N),
        )


@dataclass(frozen=True)
class Job:
    method: str
    dataset: str
    seed: int
    config: Config  # with --budget-s, the config before its steps are fitted to the budget
    budget_s: float | None = None
    budget_clock: str = "wall"

    @property
    def name(self) -> str:
        return f"{self.dataset}-{self.method}-s{self.seed}"


def _check_names(request: CompareRequest, protocol: Protocol | None) -> None:
    """Refuse unknown data sets and methods up front, saying what exists."""
    from wgan.presets import preset_names

    assert request.methods is not None and request.datasets is not None
    if not request.methods or not request.datasets or not request.seeds:
        raise UserError("compare needs at least one method, one data set and one seed")
    allowed = protocol.datasets if protocol else TOY_DATASETS
    unknown = [d for d in request.datasets if d not in allowed]
    if unknown:
        where = f"the {protocol.name} protocol has" if protocol else "choose from"
        raise UserError(f"unknown data set(s) {', '.join(unknown)}; {where} {', '.join(allowed)}")
    known = set(preset_names())
    missing = [
        f"{d}-{m}" for m in request.methods for d in request.datasets if f"{d}-{m}" not in known
    ]
    if missing:
        raise UserError(
            f"no preset {', '.join(missing)}; a method M on data set D is the preset D-M "
            "(`wgan presets` lists them)"
        )


def plan(request: CompareRequest) -> list[Job]:
    """Every (method, data set, seed) run with its config; refuses unknown names up front."""
    request = request.resolved()
    protocol = None if request.protocol is None else get_protocol(request.protocol)
    _check_names(request, protocol)
    if request.steps is not None and request.budget_s is not None:
        raise UserError("give --steps or --budget-s, not both")
    assert request.seeds is not None and request.methods and request.datasets
    jobs = []
    for seed in request.seeds:  # seed-major: a stopped comparison has whole tables of seeds
        for method in request.methods:
            for dataset in request.datasets:
                fields: dict[str, Any] = {"seed": seed, "device": request.device}
                if protocol is not None:  # the protocol's settings, over the preset's
                    fields |= protocol.run_settings(dataset) | {"steps": protocol.steps}
                if request.steps is not None:
                    fields["steps"] = request.steps
                config = load_config(f"{dataset}-{method}", list(request.overrides), **fields)
                if protocol is not None:  # --set may not undo the protocol
                    config = build_config(merge(config.to_dict(), protocol.run_settings(dataset)))
                config = _schedule(config, config.steps, eval={"n": request.eval_n or EVAL_N})
                jobs.append(
                    Job(method, dataset, seed, config, request.budget_s, request.budget_clock)
                )
    return jobs


def _schedule(config: Config, steps: int, **fields: Any) -> Config:
    """`config` for `steps` generator steps (and `fields`), evaluated EVALUATIONS times after
    step 0 and checkpointed at the end only."""
    schedule = {
        "steps": steps,
        "eval": {"every": max(1, math.ceil(steps / EVALUATIONS))},
        "checkpoint": {"every": steps, "keep": 1},
        "log": {"every": max(1, steps // 20)},
    }
    return build_config(merge(config.to_dict(), merge(schedule, fields)))


def fit_budget(config: Config, seconds: float, clock: str = "wall") -> Config:
    """`config` with the steps that fill `seconds` of training on `clock` here, at the rate a
    timing of its steps measures (its evaluations are measurement, left out of the budget), and
    its EVALUATIONS spread over them."""
    from wgan.training.budget import MIN_STEPS, measure

    t = measure(config, clock, evaluations=False)
    steps = math.floor(seconds * t.steps_per_s)
    if steps < MIN_STEPS:
        raise UserError(
            f"--budget-s {seconds:g} leaves {steps} steps for {config.name} "
            f"({t.steps_per_s:.1f} steps/s); give a longer budget"
        )
    return _schedule(config, steps, time_budget_s=seconds)


class TrainingClock:
    """Seconds of training, wall-clock and CPU, with the evaluations left out: what a budget
    gives and what the curves are drawn against. `timed(evaluate)` wraps a trainer's evaluate
    so that each call notes the training seconds so far and keeps its own time out of them."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        self.eval_wall = self.eval_cpu = 0.0
        self.at_evaluations: list[dict[str, float]] = []

    def now(self) -> dict[str, float]:
        return {
            "train_seconds": time.perf_counter() - self.wall0 - self.eval_wall,
            "train_cpu_seconds": time.process_time() - self.cpu0 - self.eval_cpu,
        }

    def timed(self, evaluate: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.at_evaluations.append(self.now())
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return evaluate(*args, **kwargs)
            finally:
                self.eval_wall += time.perf_counter() - wall
                self.eval_cpu += time.process_time() - cpu

        return wrapper


def run_job(job: Job, out: Path, threads: int | None = None) -> dict[str, Any]:
    """Train one run from scratch (its steps fitted to the budget first, if there is one) and
    evaluate it; the record of compare.json."""
    import torch

    from wgan.training.guard import NonFiniteLossError
    from wgan.training.loop import train_until
    from wgan.training.rundir import start_run

    if threads is not None:
        torch.set_num_threads(threads)
    run_dir = out / "runs" / job.name
    done = run_dir / "record.json"
    planned = {"config": job.config.to_dict(), "budget_s": job.budget_s, "clock": job.budget_clock}
    if done.exists():  # finished by an earlier invocation with this very plan: reuse it
        stored = json.loads(done.read_text())
        if stored.get("planned") == planned:
            return dict(stored["record"]) | {"reused": True}
    config = job.config
    if job.budget_s is not None:
        config = fit_budget(config, job.budget_s, job.budget_clock)
    trainer = start_run(config, run_dir, overwrite=True, quiet=True)
    record: dict[str, Any] = {
        "method": job.method,
        "dataset": job.dataset,
        "seed": job.seed,
        "preset": f"{job.dataset}-{job.method}",
        "steps": config.steps,
        "budget_s": job.budget_s,
        "budget_clock": job.budget_clock,
        "numeric_precision": trainer.precision,
        "error": None,
    }
    evals: list[dict[str, Any]] = []

    def keep(line: dict[str, Any]) -> None:
        if line["kind"] == "eval":
            evals.append(line)

    clock = TrainingClock()
    trainer.evaluate = clock.timed(trainer.evaluate)  # type: ignore[method-assign]
    try:
        finished = train_until(trainer, config.steps, on_record=keep)
    except NonFiniteLossError as err:  # a diverged run is a result, not a reason to stop
        record["error"] = str(err)
    else:
        if not finished:  # stopped by a signal: no record, so that the next invocation trains it
            raise UserError(
                f"{job.name} was stopped at step {trainer.step}; run the same command again to "
                "train it and the runs after it"
            )
    # Training alone (the evaluations are measurement): wall-clock seconds, and the CPU seconds
    # of this process, the compute the run had on a machine shared with other jobs.
    record |= clock.now() | {"eval_seconds": clock.eval_wall}
    if record["error"] is None:
        np.save(run_dir / "samples.npy", trainer.sample(config.eval.n).cpu().numpy())
        final = evals[-1]  # the loop evaluates at the last step
        record |= {k: v for k, v in final.items() if k not in ("kind", "step", "protocol")}
    record["curve"] = [
        {k: e.get(k) for k in CURVE_KEYS} | at
        for e, at in zip(evals, clock.at_evaluations, strict=False)
    ]
    write_json(
        done, {"planned": planned, "config": config.to_dict(), "record": record}, indent=None
    )
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
    # A CPU budget is timed and spent on one thread: the CPU seconds of threads that wait for
    # each other on a busy machine would be compute the run did not get.
    cpu_budget = request.budget_s is not None and request.budget_clock == "cpu"
    threads = 1 if cpu_budget else max(1, (os.cpu_count() or 1) // request.jobs)
    if request.jobs == 1:
        for i, job in enumerate(jobs, 1):
            records.append(run_job(job, request.out, threads))
            report(i, records[-1])
        return records
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
            "steps_min": min(r["steps"] for r in every_run),
            "steps_max": max(r["steps"] for r in every_run),
            "train_seconds": statistics.fmean(r["train_seconds"] for r in every_run),
            "train_cpu_seconds": _mean_of_known(r.get("train_cpu_seconds") for r in every_run),
            "budget_s": every_run[0].get("budget_s"),
            "off_budget": _off_budget(every_run),
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
            "precision_mean": statistics.fmean(r["precision"] for r in runs),
            "recall_mean": statistics.fmean(r["recall"] for r in runs),
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
                "reverse_kl_mean": _mean_of_known(r["reverse_kl"] for r in runs),
            }
        rows.append(row)
    order = {d: i for i, d in enumerate((*TOY_DATASETS, *PROTOCOL_DATASETS))}
    return sorted(
        rows,
        key=lambda r: (
            order.get(r["dataset"], len(order)),
            math.inf if r["w1_mean"] is None else r["w1_mean"],
        ),
    )


def _off_budget(runs: list[dict[str, Any]]) -> int:
    """How many runs trained more than BUDGET_TOLERANCE away from their budget, on its clock
    (0 without one)."""

    def seconds(r: dict[str, Any]) -> float:
        return float(r["train_cpu_seconds" if r.get("budget_clock") == "cpu" else "train_seconds"])

    return sum(
        1
        for r in runs
        if r.get("budget_s") and abs(seconds(r) / r["budget_s"] - 1) > BUDGET_TOLERANCE
    )


def _mean_of_known(values: Any) -> float | None:
    """The mean of the values that are not None (a reverse KL is None when no sample is good)."""
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def ci95(values: Sequence[float]) -> float | None:
    """The half-width of the 95% confidence interval of the mean of `values` (Student's t with
    n - 1 degrees of freedom: seeds are few); None for fewer than two values."""
    from scipy.stats import t

    if len(values) < 2:
        return None
    return float(t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values)))


def run_compare(request: CompareRequest) -> int:
    """Plan, train and evaluate every run, then write compare.json, compare.md, compare.png and
    curves.png."""
    if request.jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {request.jobs}")
    if request.eval_n is not None and request.eval_n < 10:
        raise UserError(f"--eval-n must be at least 10, got {request.eval_n}")
    if request.budget_s is not None and request.budget_s <= 0:
        raise UserError(f"--budget-s must be positive, got {request.budget_s:g}")
    if request.budget_clock not in CLOCKS:
        raise UserError(
            f"--budget-clock is one of {', '.join(CLOCKS)}, got {request.budget_clock!r}"
        )
    request = request.resolved()
    jobs = plan(request)
    out = Path(request.out)
    out.mkdir(parents=True, exist_ok=True)
    assert request.seeds is not None and request.datasets is not None
    header: dict[str, Any] = {
        "command": request.command or "wgan compare",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "protocol": request.protocol,
        "datasets": list(request.datasets),
        "seeds": list(request.seeds),
        "n_seeds": len(request.seeds),
        "steps": request.steps,
        "budget_s": request.budget_s,
        "budget_clock": request.budget_clock,
        "eval_n": request.eval_n,
        "evaluations": EVALUATIONS,
    }
    print(f"compare: {len(jobs)} runs into {out}", flush=True)
    start = time.perf_counter()
    records = _run_all(jobs, request)
    header["total_seconds"] = time.perf_counter() - start
    header["train_seconds_sum"] = sum(r["train_seconds"] for r in records)
    header["reused"] = sum(1 for r in records if r.pop("reused", False))
    header["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    summary = summarise(records)
    write_json(out / "compare.json", {**header, "summary": summary, "runs": records})
    write_markdown(out / "compare.md", markdown(summary, header))
    samples_figure(out / "compare.png", records, out, request)
    curves_figure(out / "curves.png", records)
    print(f"wrote {out / 'compare.md'}, {out / 'compare.json'}, compare.png and curves.png")
    return 0
