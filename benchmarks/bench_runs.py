"""`wgan bench` runs that docs/speed.md and docs/images.md cite, recorded with their load.

Usage:
    python benchmarks/bench_runs.py [--out benchmarks/results/bench]

Each run is `wgan bench ... --json` in a process of its own (so that one run's thread count
never leaks into the next), one after the other in the order below: one thread against two on the
same workload, adjacent, twice, so that each pair shares the machine's load of the moment.
Writes bench.json (every run's JSON object, its command, and the load average before and after
it) and bench.md (each run's report as `wgan bench` prints it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from wgan.demos.bench import format_report

PAPER = ["8gaussians-wgan-gp-paper"]
DIGITS16 = ["digits-wgan-gp", "--set", "data.resolution=16"]
RUNS: list[list[str]] = [
    # docs/speed.md's example report
    [*PAPER, "--threads", "1", "--set", "precision=bf16"],
    # threads: the paper's toy step in fp32, one thread against two
    [*PAPER, "--threads", "1", "--set", "precision=fp32", "--no-eval"],
    [*PAPER, "--threads", "2", "--set", "precision=fp32", "--no-eval"],
    [*PAPER, "--threads", "1", "--set", "precision=fp32", "--no-eval"],
    [*PAPER, "--threads", "2", "--set", "precision=fp32", "--no-eval"],
    # docs/images.md: digits-wgan-gp at 16x16, bf16 against fp32, one thread against two, 8x8
    [*DIGITS16, "--threads", "1", "--set", "precision=bf16", "--no-eval"],
    [*DIGITS16, "--threads", "1", "--set", "precision=fp32", "--no-eval"],
    [*DIGITS16, "--threads", "2", "--set", "precision=bf16", "--no-eval"],
    [*DIGITS16, "--threads", "1", "--set", "precision=bf16", "--no-eval"],
    [*DIGITS16, "--threads", "1", "--set", "precision=fp32", "--no-eval"],
    [*DIGITS16, "--threads", "2", "--set", "precision=bf16", "--no-eval"],
    ["digits-wgan-gp", "--threads", "1", "--set", "precision=bf16", "--no-eval"],
    ["digits-wgan-gp", "--threads", "1", "--set", "precision=bf16", "--no-eval"],
]


def bench(args: list[str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "wgan", "bench", *args, "--json"]
    before = os.getloadavg()[0]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    return {"command": "wgan bench " + " ".join(args), "load_average": [before,
            os.getloadavg()[0]], "result": result}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/bench"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    for run_args in RUNS:
        runs.append(bench(run_args))
        print(runs[-1]["command"], runs[-1]["result"]["generator_steps_per_s"], flush=True)
    command = "python benchmarks/bench_runs.py " + " ".join(argv or sys.argv[1:])
    (args.out / "bench.json").write_text(
        json.dumps({"command": command.strip(), "runs": runs}, indent=1)
    )
    lines = [
        "# `wgan bench` runs cited by docs/speed.md and docs/images.md",
        "",
        f"Command: `{command.strip()}`, one `wgan bench ... --json` process after another, in this "
        "order. Load average: the 1-minute value before and after each run.",
        "",
    ]
    for run in runs:
        lines += [
            f"## `{run['command']}`",
            "",
            f"Load average {run['load_average'][0]:.1f} before, {run['load_average'][1]:.1f} after.",
            "",
            "```text",
            format_report(run["result"]).rstrip("\n"),
            "```",
            "",
        ]
    (args.out / "bench.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
