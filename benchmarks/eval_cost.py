"""What precision, recall, density and coverage add to a 2-D evaluation.

Times one evaluation of the default preset's untrained run at eval.n = 2000 (the held-out set's
k-NN balls and the noise floor already cached, as in every evaluation after the first), and the
PRDC part of it alone, alternating the two in rounds so that both see the same machine load.
Writes benchmarks/results/eval_cost.json and prints the ratio.

    python benchmarks/eval_cost.py --rounds 5 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch

from wgan.config import load_config
from wgan.metrics.prdc import RealManifold
from wgan.training.trainer import Trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = load_config(None, device="cpu", eval={"n": args.n})
    trainer = Trainer(config, Path(tempfile.mkdtemp()), quiet=True)
    trainer.evaluate()  # the first evaluation caches the real sets' floor and k-NN balls
    held = trainer.source.holdout(args.n)
    manifold = RealManifold(held)
    whole, prdc = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        trainer.evaluate()
        whole.append(time.perf_counter() - start)
        fake = trainer.sample(args.n)
        start = time.perf_counter()
        asdict(manifold.prdc(fake))
        prdc.append(time.perf_counter() - start)
    share = statistics.median(prdc) / (statistics.median(whole) - statistics.median(prdc))
    result = {
        "command": " ".join(["python benchmarks/eval_cost.py", *(argv or sys.argv[1:])]),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "torch": torch.__version__,
        "threads": args.threads,
        "load_average": os.getloadavg(),
        "n": args.n,
        "evaluation_seconds": whole,
        "prdc_seconds": prdc,
        "prdc_over_the_rest": share,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval_cost.json").write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"evaluation {statistics.median(whole):.3f} s (median of {args.rounds}), of which PRDC "
        f"{statistics.median(prdc):.3f} s: {100 * share:.0f}% on top of the rest"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
