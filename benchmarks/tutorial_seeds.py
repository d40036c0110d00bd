"""The tutorial's three runs (docs/tutorial.md, sections 2-4) for several seeds.

Usage:
    python benchmarks/tutorial_seeds.py [--seeds 0 1 2 3] [--out benchmarks/results]

For each seed it trains the tutorial's non-saturating GAN, `8gaussians-wgan-clip` and
`8gaussians-wgan-gp` with the page's settings (64 units, 300 generator steps, fp32, evaluation
every 100 steps on n = 500), and applies the four asserts of the page's section 5 to the final
evaluations. Writes tutorial_seeds.json (every evaluation, the checks, the training time of each
run, the machine and its load) and tutorial_seeds.md.

The configs repeat those of docs/tutorial.md; tests/test_docs.py runs the page itself (seed 0).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

import wgan
from wgan.demos.bench import machine_description


def small(seed: int) -> dict[str, Any]:
    """What every run of the tutorial shares (its `small`), for one seed."""
    return dict(
        seed=seed,
        precision="fp32",
        model={"generator_width": 64, "critic_width": 64},
        eval={"every": 100, "n": 500},
        checkpoint={"every": 1000},
    )


def configs(seed: int) -> dict[str, wgan.Config]:
    """The tutorial's GAN (section 2), clipping (3) and WGAN-GP (4) configs."""
    return {
        "nsgan": wgan.Config.from_preset(
            name="nsgan",
            steps=300,
            batch_size=256,
            loss="nonsaturating",
            lipschitz={"method": "none"},
            **small(seed),
        ),
        "clip": wgan.Config.from_preset("8gaussians-wgan-clip", steps=300, **small(seed)),
        "gp": wgan.Config.from_preset(
            "8gaussians-wgan-gp", steps=300, batch_size=256, **small(seed)
        ),
    }


def checks(gan: dict[str, Any], clip: dict[str, Any], gp: dict[str, Any]) -> dict[str, bool]:
    """The four asserts of the tutorial's section 5, on the final evaluations."""
    return {
        "wgan-gp estimate within 30% of W1": abs(gp["critic_w_estimate"] / gp["w1"] - 1) < 0.3,
        "clipping estimate below 5% of W1": abs(clip["critic_w_estimate"]) < 0.05 * clip["w1"],
        "gan logit gap above 5 W1": gan["critic_w_estimate"] > 5 * gan["w1"],
        "wgan-gp: lower W1 and more modes than the gan": gp["w1"] < gan["w1"]
        and gp["modes_covered"] > gan["modes_covered"],
    }


def run_seed(seed: int) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in configs(seed).items():
            start = time.perf_counter()
            run = wgan.train(config, out=Path(tmp) / name)
            seconds = time.perf_counter() - start
            runs[name] = {"seconds": seconds, "evaluations": run.metrics("eval")}
            end = runs[name]["evaluations"][-1]
            print(
                f"seed {seed} {name:5} {seconds:5.1f}s W1 {end['w1']:.3f} "
                f"floor {end['w1_noise_floor']:.3f} ± {end['w1_noise_floor_std']:.3f} "
                f"estimate {end['critic_w_estimate']:.3g} modes {end['modes_covered']}",
                flush=True,
            )
    ends = {name: run["evaluations"][-1] for name, run in runs.items()}
    return {"seed": seed, "runs": runs, "checks": checks(ends["nsgan"], ends["clip"], ends["gp"])}


def write_results(
    results: list[dict[str, Any]], out: Path, command: str, load: list[float]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    machine = (
        f"{machine_description(torch.device('cpu'))}, {torch.get_num_threads()} torch thread(s)"
    )
    record = {"command": command, "machine": machine, "torch": torch.__version__,
              "load_average": load, "seeds": results}  # fmt: skip
    (out / "tutorial_seeds.json").write_text(json.dumps(record, indent=1))
    lines = [
        "# The tutorial's runs for several seeds",
        "",
        f"Command: `{command}`. Machine: {machine}, torch {torch.__version__}; load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after. The configs of docs/tutorial.md sections 2-4 "
        "(64 units, 300 generator steps, fp32, evaluation on n = 500); final evaluation of each "
        "run; seconds: the whole `wgan.train` call, evaluations included.",
        "",
        "| seed | run | seconds | exact W1 | noise floor (mean ± sd of 8 pairs) | critic estimate | modes |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for name, run in result["runs"].items():
            end = run["evaluations"][-1]
            lines.append(
                f"| {result['seed']} | {name} | {run['seconds']:.1f} | {end['w1']:.3f} | "
                f"{end['w1_noise_floor']:.3f} ± {end['w1_noise_floor_std']:.3f} | "
                f"{end['critic_w_estimate']:.3g} | {end['modes_covered']}/{end['modes_total']} |"
            )
    lines += ["", "The four asserts of the tutorial's section 5:", ""]
    names = list(results[0]["checks"])
    lines.append("| seed | " + " | ".join(names) + " |")
    lines.append("|---:|" + "---|" * len(names))
    for result in results:
        marks = ("holds" if result["checks"][n] else "FAILS" for n in names)
        lines.append(f"| {result['seed']} | " + " | ".join(marks) + " |")
    (out / "tutorial_seeds.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    before = os.getloadavg()[0]
    results = [run_seed(seed) for seed in args.seeds]
    command = "OMP_NUM_THREADS={} python benchmarks/tutorial_seeds.py {}".format(
        os.environ.get("OMP_NUM_THREADS", "(unset)"),
        " ".join(argv if argv is not None else sys.argv[1:]),
    ).strip()
    write_results(results, args.out, command, [before, os.getloadavg()[0]])


if __name__ == "__main__":
    main()
