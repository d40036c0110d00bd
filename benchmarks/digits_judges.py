"""digits-wgan-gp before outside judges: train the preset (or a variant) on the CPU for some seeds
and score its samples with classifiers of other families than wgan's own CNN.

Each seed trains `wgan train digits-wgan-gp [--set ...]` on the CPU (one torch thread by default),
timed from the first step to the last (the evaluations every `eval.every` steps and the
checkpoints included), then evaluates the EMA generator at the end: n = 359 generated digits
against the 359 held-out real ones. The judges (`wgan.metrics.judges`: logistic regression, an RBF
SVM, a random forest, 10-NN and an MLP on the pixels, fitted on the training split only) give the
mean top-class probability of the generated and of the held-out digits and the classes covered.

The bar (issue 19): every judge's mean top-class probability on generated digits within 0.10 of
its value on held-out real digits, all 10 classes covered, training under 5 minutes.

Results accumulate by `--label` in RESULTS/digits_judges.json; RESULTS/digits_judges.md is written
from it (one row per variant, the mean over its seeds), with the JSON's `findings` (a list of
lines written by hand after the runs) printed under their own heading.

    python benchmarks/digits_judges.py --label preset --seeds 0 1 2 --results benchmarks/results
    python benchmarks/digits_judges.py --label steps6000 --set steps=6000 --seeds 0 \\
        --results benchmarks/results --note "twice the steps"
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.api import Run
from wgan.config import load_config
from wgan.demos.bench import machine_description
from wgan.metrics.judges import JUDGE_NAMES
from wgan.training.rundir import start_run

BUDGET_S = 300.0  # the time bar
GAP = 0.10  # the confidence bar, per judge
OWN_KEYS = (
    "fid", "fid_noise_floor", "fid_noise_floor_std", "precision", "precision_real", "recall",
    "recall_real", "density", "density_real", "coverage", "coverage_real", "w1_features",
    "w1_features_noise_floor", "w1_features_noise_floor_std", "classes_covered", "confidence",
    "confidence_real", "judges_confidence_gap", "judges_classes_covered",
)  # fmt: skip


def run_seed(overrides: list[str], seed: int, out: Path, *, report: bool) -> dict[str, Any]:
    """Train one seed of the variant and evaluate it; the record of that seed."""
    config = load_config("digits-wgan-gp", overrides, device="cpu", seed=seed)
    load_before = os.getloadavg()
    trainer = start_run(config, out, overwrite=True, quiet=True)
    start = time.perf_counter()
    run = Run(trainer)
    run.train()
    train_s = time.perf_counter() - start
    final = trainer.evaluate()
    if report:
        run.write_report()
    return {
        "seed": seed,
        "generator_steps": final["step"],  # the steps reached (config.steps unless stopped)
        "train_seconds": round(train_s, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "precision": trainer.precision,
        "judges": final["judges"],
        "own": {k: final[k] for k in OWN_KEYS},
        "run_dir": str(out),
    }


def summary(seeds: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over seeds: each judge's confidence on generated and real digits, its gap; the
    largest gap of any judge in any seed; the fewest classes covered; the training time."""
    judges = {}
    for name in JUDGE_NAMES:
        fake = [s["judges"][name]["confidence"] for s in seeds]
        real = [s["judges"][name]["confidence_real"] for s in seeds]
        judges[name] = {
            "confidence": statistics.fmean(fake),
            "confidence_sd": statistics.stdev(fake) if len(fake) > 1 else None,
            "confidence_real": statistics.fmean(real),
            "gap": statistics.fmean(real) - statistics.fmean(fake),
        }
    times = [s["train_seconds"] for s in seeds]
    return {
        "judges": judges,
        "worst_gap": max(s["own"]["judges_confidence_gap"] for s in seeds),
        "fewest_classes_judges": min(s["own"]["judges_classes_covered"] for s in seeds),
        "fewest_classes_own": min(s["own"]["classes_covered"] for s in seeds),
        "train_seconds_mean": statistics.fmean(times),
        "train_seconds_max": max(times),
        "met": max(s["own"]["judges_confidence_gap"] for s in seeds) <= GAP
        and min(s["own"]["judges_classes_covered"] for s in seeds) == 10
        and max(times) < BUDGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="digits-wgan-gp before outside judges")
    parser.add_argument("--label", default="preset", help="the variant's name (default: preset)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="config override key=value, as `wgan train --set` (repeatable)")  # fmt: skip
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="default: 0")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-digits-judges"),
                        help="run directories go under it (default: runs/bench-digits-judges)")  # fmt: skip
    parser.add_argument("--results", type=Path, default=None,
                        help="add the variant to digits_judges.json/.md here (default: print only)")  # fmt: skip
    parser.add_argument("--note", default="", help="a line on the variant for the markdown")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--report", action="store_true", help="write each run's report.png")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = [
        run_seed(args.overrides, seed, args.out / f"{args.label}-seed{seed}", report=args.report)
        for seed in args.seeds
    ]
    variant = {
        "label": args.label,
        "overrides": args.overrides,
        "note": args.note,
        "command": "python benchmarks/digits_judges.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "torch_threads": torch.get_num_threads(),
        "summary": summary(seeds),
        "seeds": seeds,
    }
    print(json.dumps(variant, indent=1))
    if args.results:
        path = args.results / "digits_judges.json"
        results = json.loads(path.read_text()) if path.exists() else {"variants": {}}
        results |= {
            "machine": machine_description(torch.device("cpu")),
            "torch": torch.__version__,
        }
        results["variants"][args.label] = variant
        args.results.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1) + "\n")
        (args.results / "digits_judges.md").write_text(markdown(results))
    return 0


def markdown(results: dict[str, Any]) -> str:
    """One row per variant (means over its seeds), then each variant's command and seeds."""
    head = " | ".join(f"{name} gen / real" for name in JUDGE_NAMES)
    lines = [
        "# digits-wgan-gp before outside judges",
        "",
        f"Machine: {results['machine']}, torch {results['torch']}, CPU, one torch thread unless "
        "a variant says otherwise; the two cores were shared with another engineer's jobs (each "
        "seed's load average is in digits_judges.json). Written by `benchmarks/digits_judges.py`.",
        "",
        "Each cell: the judge's mean top-class probability on 359 generated digits (EMA generator, "
        "end of training) / on the 359 held-out real digits, mean over the seeds. Judges: "
        "`wgan.metrics.judges`, fitted on the 1438 training digits only. 'worst gap': the largest "
        "real-minus-generated difference of any judge in any seed (the bar: at most 0.10); "
        "'classes': the fewest any judge (and wgan's own CNN) finds covered in any seed; 'train s': "
        "mean (max) wall-clock seconds of training, evaluations and checkpoints included.",
        "",
        f"| variant | seeds | {head} | worst gap | classes judges / own | train s | bar met |",
        "|---|---|" + "---|" * len(JUDGE_NAMES) + "---|---|---|---|",
    ]
    for v in results["variants"].values():
        s = v["summary"]
        cells = " | ".join(
            f"{s['judges'][n]['confidence']:.3f} / {s['judges'][n]['confidence_real']:.3f}"
            for n in JUDGE_NAMES
        )
        seeds = ", ".join(str(x["seed"]) for x in v["seeds"])
        lines.append(
            f"| {v['label']} | {seeds} | {cells} | {s['worst_gap']:.3f} | "
            f"{s['fewest_classes_judges']} / {s['fewest_classes_own']} | "
            f"{s['train_seconds_mean']:.0f} ({s['train_seconds_max']:.0f}) | "
            f"{'yes' if s['met'] else 'no'} |"
        )
    lines += [
        "",
        "## wgan's own evaluation of the same runs",
        "",
        "Classifier-feature FID against its real-vs-real floor (mean ± sd over 8 pairs), "
        "precision and density against their real-vs-real values (the training digits scored "
        "against the held-out ones), wgan's CNN's confidence on generated / held-out digits; "
        "first seed of each variant.",
        "",
        "| variant | FID (floor) | precision (real) | density (real) | coverage (real) "
        "| own CNN confidence gen / real |",
        "|---|---|---|---|---|---|",
    ]
    for v in results["variants"].values():
        o = v["seeds"][0]["own"]
        lines.append(
            f"| {v['label']} | {o['fid']:.1f} ({o['fid_noise_floor']:.1f} ± "
            f"{o['fid_noise_floor_std']:.1f}) | {o['precision']:.2f} ({o['precision_real']:.2f}) "
            f"| {o['density']:.2f} ({o['density_real']:.2f}) | {o['coverage']:.2f} "
            f"({o['coverage_real']:.2f}) | {o['confidence']:.3f} / {o['confidence_real']:.3f} |"
        )
    if results.get("findings"):
        lines += ["", "## Findings", "", *[f"- {line}" for line in results["findings"]]]
    lines += ["", "## Variants", ""]
    for v in results["variants"].values():
        sets = " ".join(f"`{o}`" for o in v["overrides"]) or "none (the preset as shipped)"
        loads = "; ".join(
            f"seed {x['seed']}: {x['load_average_before']} -> {x['load_average_after']}"
            for x in v["seeds"]
        )
        lines += [
            f"- **{v['label']}** (overrides: {sets}; {v['torch_threads']} thread(s)). "
            + (v["note"] + " " if v["note"] else "")
            + f"Load average (1, 5, 15 min) before -> after: {loads}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
