"""digits-biggan trained once on the CPU: time, classes and label accuracy, and the truncation trick.

- The wall-clock time of training digits-biggan as shipped (evaluations and checkpoints
  included), with the load average before and after.
- Its final evaluation: label accuracy (the share of samples generated for a digit that the
  evaluation classifier calls that digit), classes covered, per-digit accuracy (200 samples
  each): the measures of benchmarks/conditional.py for digits-cgan, which is trained again here
  (unless --no-cgan) for a side-by-side number on the same machine and commit.
- The truncation trick: the run's evaluation (precision, recall, density, coverage in the
  classifier's feature space, label accuracy, FID) with z drawn from the normal truncated at
  0.25, 0.5, 1.0 and not truncated, each over --z-seeds draws of z (mean and standard deviation).

    WGAN_CACHE_DIR=/tmp/bench-cache python benchmarks/biggan_digits.py --out runs/bench-biggan \
        --results benchmarks/results --threads 1

Results: biggan_digits.json, biggan_digits.md and the run's report (biggan_digits-report.png)
and truncation grid (biggan_digits-truncation.png) in --results.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from conditional import per_class_accuracy
from unseen import provenance
from wgan.api import Run
from wgan.config import load_config
from wgan.reporting.image_figures import save_image_grid
from wgan.training.rundir import start_run

TRUNCATIONS: tuple[float | None, ...] = (0.25, 0.5, 1.0, None)
Z_SEED = 1000  # the first seed of the truncation sweep's z draws
KEYS = ("precision", "recall", "density", "coverage", "label_accuracy", "classes_covered", "fid")


def train(preset: str, out: Path, steps: int | None) -> tuple[Run, dict[str, Any]]:
    """The preset trained from scratch; its time, step-0 and final evaluations."""
    fields: dict[str, Any] = {"device": "cpu"} | ({"steps": steps} if steps else {})
    config = load_config(preset, **fields)
    load_before, started = os.getloadavg()[0], time.strftime("%Y-%m-%d %H:%M:%S")
    trainer = start_run(config, out / preset, overwrite=True, quiet=True)
    step0 = trainer.evaluate()  # trains the evaluation classifier if it is not cached yet
    run = Run(trainer)
    tick, cpu_tick = time.perf_counter(), time.process_time()
    run.train()
    run.write_report()
    train_s, cpu_s = time.perf_counter() - tick, time.process_time() - cpu_tick
    final = trainer.evaluate()
    return run, {
        "preset": preset,
        "generator_steps": config.steps,
        "precision": trainer.precision,
        "train_seconds": round(train_s, 1),
        "train_cpu_seconds": round(cpu_s, 1),
        "provenance": provenance(config, load_before) | {"started": started},
        "step0": {k: step0[k] for k in KEYS},
        "final": {k: final[k] for k in KEYS},
        "per_class_accuracy": [round(a, 3) for a in per_class_accuracy(run)],
    }


def truncation_sweep(run: Run, z_seeds: int) -> list[dict[str, Any]]:
    """The run's evaluation on samples with z truncated at each of TRUNCATIONS, over z seeds."""
    trainer: Any = run._trainer
    sampler = trainer.sampler
    rows = []
    for threshold in TRUNCATIONS:
        records = []
        for seed in range(z_seeds):
            records.append(
                trainer.evaluator(
                    step=trainer.step,
                    generate=functools.partial(
                        sampler.sample, seed=Z_SEED + seed, truncation=threshold
                    ),
                    critic=trainer.critic,
                    n=trainer.config.eval.n,
                    real=None,
                )
            )
        row: dict[str, Any] = {"truncation": threshold}
        for key in KEYS:
            values = np.array([r[key] for r in records], dtype=float)
            row[key] = [round(float(values.mean()), 4), round(float(values.std()), 4)]
        row["precision_real"] = records[0]["precision_real"]
        row["recall_real"] = records[0]["recall_real"]
        rows.append(row)
    return rows


def truncation_grid(run: Run, path: Path) -> None:
    """One row per truncation (0.25, 0.5, 1.0, none), the digits 0..9 twice, the same z seed."""
    rows = [
        np.concatenate([run.sample(2, seed=5, label=k, truncation=t) for k in range(10)])
        for t in TRUNCATIONS
    ]
    save_image_grid(path, np.concatenate(rows), ncols=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="digits-biggan: time, labels, truncation")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-biggan"))
    parser.add_argument("--results", type=Path, default=None, help="write results here")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--steps", type=int, default=None, help="default: each preset's")
    parser.add_argument("--z-seeds", type=int, default=5, help="z draws per truncation")
    parser.add_argument("--no-cgan", action="store_true", help="skip digits-cgan")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    run, biggan = train("digits-biggan", args.out, args.steps)
    biggan["truncation"] = truncation_sweep(run, args.z_seeds)
    print(json.dumps(biggan), flush=True)
    cgan = None if args.no_cgan else train("digits-cgan", args.out, args.steps)[1]
    summary = {
        "command": "python benchmarks/biggan_digits.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "seeds": f"training seed 0 (the presets'); z seeds {Z_SEED}.. for the truncation sweep",
        "biggan": biggan,
        "cgan": cgan,
    }
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run.path / "report.png", args.results / "biggan_digits-report.png")
        truncation_grid(run, args.results / "biggan_digits-truncation.png")
        (args.results / "biggan_digits.json").write_text(json.dumps(summary, indent=1) + "\n")
        (args.results / "biggan_digits.md").write_text(markdown(summary))
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def markdown(s: dict[str, Any]) -> str:
    """The results as a markdown page."""
    b, c = s["biggan"], s["cgan"]
    where = b["provenance"]
    lines = [
        "# BigGAN on the digits: time, labels and the truncation trick (CPU)",
        "",
        f"Command: `{s['command']}`; machine: {where['machine']}, torch {torch.__version__}, "
        f"{where['threads']} torch thread(s); commit {where['git']['head'][:12]}; {s['seeds']}. One training "
        "seed per preset. Load average (1 min) at the start and end of the BigGAN run: "
        f"{where['load_average']} (other jobs shared the two cores).",
        "",
        f"digits-biggan: {b['generator_steps']} generator steps in **{b['train_seconds']:.0f} s** "
        f"of wall-clock time, {b['train_cpu_seconds']:.0f} s of the process's CPU time "
        f"(precision {b['precision']}; evaluations, checkpoints and the report included).",
        "",
        "| metric (held-out digits) | digits-biggan | digits-cgan (same machine) |",
        "|---|---:|---:|",
    ]
    for key, name in (("label_accuracy", "label accuracy"), ("classes_covered", "classes covered"),
                      ("fid", "classifier FID"), ("precision", "precision (k = 3)"),
                      ("recall", "recall (k = 3)")):  # fmt: skip
        values = [r["final"][key] if r else None for r in (b, c)]
        cells = [
            "n/a" if v is None else _pct(v) if key in ("label_accuracy", "precision", "recall")
            else f"{v:.1f}" if key == "fid" else f"{v}/10"
            for v in values
        ]  # fmt: skip
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    if c:
        lines += [
            "",
            f"digits-cgan trained in {c['train_seconds']:.0f} s ({c['train_cpu_seconds']:.0f} s "
            "of CPU time).",
        ]
    per = ", ".join(f"{k}: {v:.0%}" for k, v in enumerate(b["per_class_accuracy"]))
    lines += [
        "",
        f"Per digit (digits-biggan, 200 samples each, label -> classified as it): {per}.",
        "",
        "## Truncation",
        "",
        "The same run sampled with z from the normal truncated at T (each entry beyond +-T drawn "
        "again); mean +- standard deviation over the z seeds, each an evaluation of n held-out "
        "digits against n generated with the held-out labels.",
        "",
        "| T | precision | recall | density | coverage | label accuracy | FID |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in b["truncation"]:
        t = "none" if row["truncation"] is None else f"{row['truncation']}"
        cells = [f"{row[k][0]:.3f} +- {row[k][1]:.3f}" for k in KEYS[:4]]
        cells.append(f"{row['label_accuracy'][0]:.1%}")
        cells.append(f"{row['fid'][0]:.1f}")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    first = b["truncation"][0]
    lines += [
        "",
        f"Real vs real at this n: precision {first['precision_real']:.3f}, recall "
        f"{first['recall_real']:.3f}.",
        "",
        "![truncation: rows T = 0.25, 0.5, 1.0, none; digits 0..9 twice]"
        "(biggan_digits-truncation.png)",
        "",
        "![digits-biggan report](biggan_digits-report.png)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
