"""The digits presets of the conditional GANs and CycleGAN, trained once on the CPU and measured.

For each of digits-cgan, digits-acgan, digits-infogan and digits-cyclegan (as shipped unless
--steps is given): the wall-clock time of training (evaluations and checkpoints included) with
the load average before and after, and the evaluation at step 0 and at the end.

- cGAN, AC-GAN: the label accuracy (share of samples generated for a digit that the evaluation
  classifier calls that digit), also per digit from 200 samples each, with FID, classes covered
  and confidence as for digits-wgan-gp.
- InfoGAN: the code-class agreement (best one-to-one matching of the categorical code to the
  classifier's digits, Hungarian algorithm) and the matching itself.
- CycleGAN (digits -> colour-inverted digits): the translation errors against the true map
  x -> -x beside a translator returning random inverted digits, the cycle errors, and W1.

Results: conditional.json, conditional.md and each run's figure (codes.png, or report.png for
CycleGAN) in --results.

    WGAN_CACHE_DIR=/tmp/bench-cache python benchmarks/conditional.py --out runs/bench-conditional \
        --results benchmarks/results --threads 1

(WGAN_CACHE_DIR: a cache of one's own, so that the evaluation classifier is the one this code
trains, not one another process left in the shared cache.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.api import Run
from wgan.config import load_config
from wgan.metrics.classifier import cache_dir
from wgan.metrics.conditional import matched_accuracy
from wgan.training.rundir import start_run

PRESETS = ("digits-cgan", "digits-acgan", "digits-infogan", "digits-cyclegan")
IMAGE_KEYS = ("step", "fid", "fid_noise_floor", "classes_covered", "confidence",
              "confidence_real", "classifier_accuracy", "w1_pixels",
              "w1_pixels_noise_floor")  # fmt: skip
CYCLE_KEYS = ("step", "w1_ab", "w1_ab_noise_floor", "w1_ba", "cycle_error_a", "cycle_error_b",
              "translation_error_ab", "translation_error_ba", "translation_baseline_ab")  # fmt: skip


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _classes(run: Run, images: np.ndarray) -> np.ndarray:
    """The evaluation classifier's digit for each image (n, C, H, W)."""
    classifier = run._trainer.evaluator.classifier  # type: ignore[attr-defined]
    probs = classifier(torch.from_numpy(images)).probs
    return np.asarray(probs.argmax(1))


def per_class_accuracy(run: Run, n: int = 200) -> list[float]:
    """For each digit k: the share of n samples generated with label k classified as k."""
    return [
        float(np.mean(_classes(run, run.sample(n, label=k, seed=7)) == k))
        for k in range(run.n_classes)
    ]


def code_matching(run: Run, n: int = 2000) -> dict[str, Any]:
    """The digit each categorical code is matched to, and the agreement under that matching."""
    from scipy.optimize import linear_sum_assignment

    k = run.n_classes
    samples = np.concatenate([run.sample(n // k, label=c, seed=7) for c in range(k)])
    codes = np.repeat(np.arange(k), n // k)
    digits = _classes(run, samples)
    table = np.zeros((k, 10), dtype=np.int64)
    np.add.at(table, (codes, digits), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {
        "agreement": matched_accuracy(codes, digits, n_codes=k, n_classes=10),
        "code_to_digit": {int(r): int(c) for r, c in zip(rows, cols, strict=True)},
        "purity_per_code": [
            round(float(table[r, c] / table[r].sum()), 3) for r, c in zip(rows, cols, strict=True)
        ],
    }


def bench(preset: str, out: Path, steps: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"device": "cpu"}
    if steps:
        fields["steps"] = steps
    config = load_config(preset, **fields)
    load_before = os.getloadavg()
    trainer = start_run(config, out / preset, overwrite=True, quiet=True)
    step0 = trainer.evaluate()  # trains the evaluation classifier if it is not cached yet
    run = Run(trainer)
    tick = time.perf_counter()
    run.train()
    run.write_report()
    train_s = time.perf_counter() - tick
    final = trainer.evaluate()
    keys = CYCLE_KEYS if config.gan == "cyclegan" else IMAGE_KEYS
    result: dict[str, Any] = {
        "preset": preset,
        "gan": config.gan,
        "generator_steps": config.steps,
        "precision": trainer.precision,
        "train_seconds": round(train_s, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "step0": {k: step0[k] for k in keys},
        "final": {k: final[k] for k in keys},
    }
    if config.gan in ("cgan", "acgan"):
        result["step0"]["label_accuracy"] = step0["label_accuracy"]
        result["final"]["label_accuracy"] = final["label_accuracy"]
        result["per_class_accuracy"] = [round(a, 3) for a in per_class_accuracy(run)]
    if config.gan == "infogan":
        result["step0"]["code_class_agreement"] = step0["code_class_agreement"]
        result["final"]["code_class_agreement"] = final["code_class_agreement"]
        result["code_matching"] = code_matching(run)
    figure = "report.png" if config.gan == "cyclegan" else "codes.png"
    result["figure"] = f"conditional-{preset}.png"
    result["_figure_path"] = str(out / preset / figure)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the conditional and CycleGAN digits presets")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-conditional"))
    parser.add_argument("--results", type=Path, default=None, help="write results here")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--steps", type=int, default=None, help="default: each preset's")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    runs = []
    for preset in args.presets:
        runs.append(bench(preset, args.out, args.steps))
        print(json.dumps({k: v for k, v in runs[-1].items() if not k.startswith("_")}), flush=True)
    summary = {
        "command": "python benchmarks/conditional.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "classifier_cache": str(cache_dir()),
        "machine": f"{_cpu_name()}, {os.cpu_count()} cores (shared)",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "runs": runs,
    }
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        for r in runs:
            shutil.copyfile(r.pop("_figure_path"), args.results / r["figure"])
        (args.results / "conditional.json").write_text(json.dumps(summary, indent=1) + "\n")
        (args.results / "conditional.md").write_text(markdown(summary))
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def markdown(s: dict[str, Any]) -> str:
    """The results as a markdown page."""
    lines = [
        "# Conditional GANs and CycleGAN on the digits: quality and time on the CPU",
        "",
        f"Command: `{s['command']}`; machine: {s['machine']}, torch {s['torch']}, "
        f"{s['torch_threads']} torch thread(s). The load average (1, 5, 15 min) of each run is "
        "given: other engineers' jobs shared the two cores. The evaluation classifier was "
        f"trained by this code into a cache of its own ({s['classifier_cache']}, set by "
        "WGAN_CACHE_DIR), not read from the shared one.",
        "",
    ]
    for r in s["runs"]:
        a, b = r["step0"], r["final"]
        lines += [
            f"## {r['preset']}",
            "",
            f"{r['generator_steps']} generator steps in **{r['train_seconds']:.0f} s** "
            f"(precision {r['precision']}; evaluations and checkpoints included); load "
            f"{r['load_average_before']} before, {r['load_average_after']} after.",
            "",
            f"![{r['preset']}]({r['figure']})",
            "",
            "| metric (held-out digits) | step 0 | end | reference |",
            "|---|---:|---:|---:|",
        ]
        if r["gan"] == "cyclegan":
            lines += [
                f"| translation error A->B, \\|G(a) + a\\| | {a['translation_error_ab']:.3f} | "
                f"{b['translation_error_ab']:.3f} | random inverted digit: "
                f"{b['translation_baseline_ab']:.3f} |",
                f"| translation error B->A, \\|F(b) + b\\| | {a['translation_error_ba']:.3f} | "
                f"{b['translation_error_ba']:.3f} | same |",
                f"| cycle error A, \\|F(G(a)) - a\\| | {a['cycle_error_a']:.3f} | "
                f"{b['cycle_error_a']:.3f} | 0 |",
                f"| cycle error B | {a['cycle_error_b']:.3f} | {b['cycle_error_b']:.3f} | 0 |",
                f"| exact W1, G(A) to B (pixels) | {a['w1_ab']:.3f} | {b['w1_ab']:.3f} | "
                f"real vs real {b['w1_ab_noise_floor']:.3f}; 0 for the true map |",
                "",
                "Errors are mean absolute differences per pixel (pixels in [-1, 1]). The held-out "
                "set of B is the inversion of that of A, so the true map has W1 0 to it, below "
                "the real-vs-real value of two different sets.",
                "",
            ]
            continue
        key = "code_class_agreement" if r["gan"] == "infogan" else "label_accuracy"
        name = "code-class agreement" if r["gan"] == "infogan" else "label accuracy"
        lines += [
            f"| {name} | {_pct(a[key])} | **{_pct(b[key])}** | chance about 10% |",
            f"| classifier FID | {a['fid']:.1f} | {b['fid']:.1f} | real vs real "
            f"{b['fid_noise_floor']:.1f} |",
            f"| classes covered | {a['classes_covered']}/10 | {b['classes_covered']}/10 | 10/10 |",
            f"| (classifier accuracy on held-out digits) | | {_pct(b['classifier_accuracy'])} | |",
            f"| confidence | {_pct(a['confidence'])} | {_pct(b['confidence'])} | real digits "
            f"{_pct(b['confidence_real'])} |",
            f"| exact W1, pixels | {a['w1_pixels']:.3f} | {b['w1_pixels']:.3f} | real vs real "
            f"{b['w1_pixels_noise_floor']:.3f} |",
            "",
        ]
        if "per_class_accuracy" in r:
            per = ", ".join(f"{k}: {v:.0%}" for k, v in enumerate(r["per_class_accuracy"]))
            lines += [f"Per digit (200 samples each, label -> classified as it): {per}.", ""]
        if "code_matching" in r:
            m = r["code_matching"]
            pairs = ", ".join(f"{c} -> {d}" for c, d in sorted(m["code_to_digit"].items()))
            purity = ", ".join(f"{p:.0%}" for p in m["purity_per_code"])
            lines += [
                f"Matching of codes to digits (2000 samples): {pairs}; agreement "
                f"{m['agreement']:.1%}; share of each code's samples on its digit: {purity}.",
                "",
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
