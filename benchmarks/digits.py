"""The digits-wgan-gp quality bar: train the preset on the CPU, compare with step 0 and real data.

Measures, for the preset as shipped (3000 generator steps, 16x16 digits, EMA generator):

- wall-clock time of `wgan train digits-wgan-gp` (evaluations and checkpoints included), with the
  machine's load average before and after and the number of torch threads;
- at step 0 (the untrained generator) and at the end: classifier-feature FID and KID, the FID of
  two real sets of the same size, the classes covered, the classifier's mean confidence on
  generated and on held-out real digits, and exact W1 in pixel space.

The bar (issue 6): all 10 classes covered; confidence on generated digits within 10 points of
that on held-out real digits; FID far below step 0's; under 10 minutes on 2 cores.

    python benchmarks/digits.py --out runs/bench-digits --results benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.api import Run
from wgan.config import load_config
from wgan.training.rundir import start_run

KEYS = (
    "step", "fid", "fid_noise_floor", "kid_mean", "kid_std", "classes_covered", "classes_total",
    "confidence", "confidence_real", "classifier_accuracy", "w1_pixels", "w1_pixels_noise_floor",
    "sliced_w1_pixels", "critic_w_estimate",
)  # fmt: skip


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="digits-wgan-gp against its quality bar")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-digits"), help="run dir")
    parser.add_argument("--results", type=Path, default=None, help="write digits.json/.md here")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--steps", type=int, default=None, help="default: the preset's")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    fields: dict[str, Any] = {"device": "cpu"}
    if args.steps:
        fields["steps"] = args.steps
    config = load_config("digits-wgan-gp", **fields)
    load_before = os.getloadavg()
    start = time.perf_counter()
    trainer = start_run(config, args.out, overwrite=True, quiet=True)
    step0 = trainer.evaluate()  # trains the evaluation classifier if it is not cached yet
    setup_s = time.perf_counter() - start
    tick = time.perf_counter()
    run = Run(trainer)
    run.train()
    run.write_report()
    train_s = time.perf_counter() - tick
    final = trainer.evaluate()
    load_after = os.getloadavg()
    result = {
        "command": "python benchmarks/digits.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{_cpu_name()}, {os.cpu_count()} cores (shared)",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "precision": trainer.precision,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "generator_steps": config.steps,
        "train_seconds": round(train_s, 1),
        "setup_seconds": round(setup_s, 1),
        "step0": {k: step0[k] for k in KEYS},
        "final": {k: final[k] for k in KEYS},
        "bar": {
            "all_classes": final["classes_covered"] == final["classes_total"],
            "confidence_gap_points": round(
                100 * (final["confidence_real"] - final["confidence"]), 2
            ),
            "fid_ratio_to_step0": round(final["fid"] / step0["fid"], 4),
            "under_10_minutes": train_s < 600,
        },
        "report": str(args.out / "report.png"),
    }
    print(json.dumps(result, indent=1))
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / "digits.json").write_text(json.dumps(result, indent=1) + "\n")
        (args.results / "digits.md").write_text(markdown(result))
    return 0


def markdown(r: dict[str, Any]) -> str:
    """The results as a short markdown page."""
    s0, end, bar = r["step0"], r["final"], r["bar"]
    rows = [
        ("classifier FID", f"{s0['fid']:.1f}", f"{end['fid']:.1f}", f"{end['fid_noise_floor']:.1f}"),
        ("KID", f"{s0['kid_mean']:.0f}", f"{end['kid_mean']:.0f} +- {end['kid_std']:.0f}", "0"),
        ("classes covered", f"{s0['classes_covered']}/10", f"{end['classes_covered']}/10", "10/10"),
        ("confidence", f"{s0['confidence']:.1%}", f"{end['confidence']:.1%}",
         f"{end['confidence_real']:.1%}"),
        ("exact W1, pixels", f"{s0['w1_pixels']:.3f}", f"{end['w1_pixels']:.3f}",
         f"{end['w1_pixels_noise_floor']:.3f}"),
        ("sliced W1, pixels", f"{s0['sliced_w1_pixels']:.4f}", f"{end['sliced_w1_pixels']:.4f}", ""),
    ]  # fmt: skip
    lines = [
        "# digits-wgan-gp: quality and time on the CPU",
        "",
        f"Command: `{r['command']}` (wgan's `digits-wgan-gp` preset, {r['generator_steps']} "
        f"generator steps, precision {r['precision']}, {r['torch_threads']} torch thread(s)).",
        f"Machine: {r['machine']}, torch {r['torch']}; load average (1, 5, 15 min) "
        f"{r['load_average_before']} before and {r['load_average_after']} after: other "
        "engineers' jobs shared the two cores.",
        "",
        f"Training took **{r['train_seconds']:.0f} s** (evaluations every 500 steps and "
        f"checkpoints included); before it, {r['setup_seconds']:.0f} s went to training and "
        "caching the evaluation classifier and the step-0 evaluation.",
        "",
        "| metric (n = 359 held-out digits) | step 0 | end | real vs real |",
        "|---|---:|---:|---:|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"Classifier accuracy on the held-out digits: {end['classifier_accuracy']:.1%}. "
        "'real vs real' is the value for two real sets of the same size (held-out against "
        "training digits); for confidence it is the classifier's confidence on held-out real digits.",
        "",
        "The bar of issue 6:",
        f"- all 10 classes covered: {'yes' if bar['all_classes'] else 'no'};",
        f"- confidence within 10 points of real digits: gap {bar['confidence_gap_points']:.1f} "
        f"points ({'met' if bar['confidence_gap_points'] <= 10 else 'NOT met'});",
        f"- classifier-FID far below step 0: {bar['fid_ratio_to_step0']:.1%} of it;",
        f"- under 10 minutes: {'yes' if bar['under_10_minutes'] else 'no'} "
        f"({r['train_seconds']:.0f} s).",
        "",
        f"At step 0 the untrained generator already gets {s0['confidence']:.0%} confidence on "
        f"{s0['classes_covered']} classes: confidence alone does not tell progress; read it with "
        "coverage and FID.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
