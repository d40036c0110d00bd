"""The held-out accuracy of a digits-sgan variant's critic over training: the runs that chose the
preset (benchmarks/results/sgan_tuning.md).

Trains `digits-sgan` with `--set` overrides for `--steps` generator steps on the CPU (no
evaluations, no checkpoints) and prints the critic's accuracy on the 359 held-out digits at
eight points, then the training seconds (the accuracy checks included).

    python benchmarks/sgan_curve.py --steps 2000 --seed 1 --set model.critic_width=64
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.config import load_config
from wgan.evaluation.common import critic_accuracy
from wgan.training.trainer import Trainer

POINTS = 8  # accuracy checks over a run


def curve(steps: int, seed: int, overrides: list[str]) -> tuple[list[tuple[int, float]], float]:
    """[(step, held-out accuracy)] at POINTS evenly spaced steps, and the seconds taken."""
    config = load_config(
        "digits-sgan",
        overrides,
        device="cpu",
        seed=seed,
        steps=steps,
        eval={"every": steps + 1},
        checkpoint={"every": steps + 1, "every_minutes": None},
    )
    points = []
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(config, Path(tmp), quiet=True)
        labels = trainer.source.holdout_labels(1 << 30)
        assert labels is not None
        held = trainer.source.holdout(len(labels))
        start = time.perf_counter()
        for step in range(1, steps + 1):
            trainer.train_step()
            if step % max(1, steps // POINTS) == 0:
                points.append((step, critic_accuracy(trainer.critic, held, labels)))
        return points, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], help="key=value on the preset")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    points, seconds = curve(args.steps, args.seed, args.set)
    shown = " ".join(f"{step}:{accuracy:.3f}" for step, accuracy in points)
    print(f"seed {args.seed} {' '.join(args.set) or '(preset)'} | {shown} | {seconds:.0f}s")


if __name__ == "__main__":
    main()
