"""Sweep preset variants on the toy data, several runs at once; one JSON line per finished run.

Each variant is a preset with `key=value` overrides, trained for each of its seeds and evaluated
as `wgan compare` does (exact W1 on 2500 held-out samples, modes, high-quality share). Used to
choose the family presets' settings; the committed comparison is `wgan compare`.

    PYTHONPATH=src python benchmarks/tune_family.py OUT.jsonl --jobs 8 --device cuda
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from wgan.config import TOY_DATASETS, load_config
from wgan.demos.compare import DEFAULT_METHODS, EVAL_N, Job, run_job

# The compared methods other than WGAN's own (those are tuned elsewhere).
FAMILY = tuple(m for m in DEFAULT_METHODS if not m.startswith("wgan-"))

# (label, preset, overrides, seeds); the most wanted first.
VARIANTS: list[tuple[str, str, tuple[str, ...], tuple[int, ...]]] = [
    ("base", "25gaussians-wgan-gp", (), (0, 1, 2)),
    ("steps5000", "25gaussians-wgan-gp", ("steps=5000",), (0, 1, 2)),
    ("lambda0.1", "25gaussians-wgan-gp", ("lipschitz.gp_lambda=0.1",), (0, 1, 2)),
    ("lambda10", "25gaussians-wgan-gp", ("lipschitz.gp_lambda=10",), (0, 1, 2)),
    (
        "lr1e-4",
        "25gaussians-wgan-gp",
        ("optimizer.lr_generator=1e-4", "optimizer.lr_critic=1e-4"),
        (0, 1, 2),
    ),
    (
        "lr1e-3",
        "25gaussians-wgan-gp",
        ("optimizer.lr_generator=1e-3", "optimizer.lr_critic=1e-3"),
        (0, 1, 2),
    ),
    ("no-ema", "25gaussians-wgan-gp", ("ema_decay=null",), (0, 1, 2)),
    ("latent8", "25gaussians-wgan-gp", ("model.latent_dim=8",), (0, 1, 2)),
    ("ema0.9999", "25gaussians-wgan-gp", ("ema_decay=0.9999", "steps=5000"), (0, 1, 2)),
    *[("base", f"{d}-{m}", (), (0, 1)) for m in FAMILY for d in TOY_DATASETS],
    (
        "lr5e-4-decay",
        "25gaussians-nsgan",
        ("optimizer.lr_generator=5e-4", "optimizer.lr_critic=5e-4", "optimizer.lr_decay=linear"),
        (0, 1),
    ),
    ("margin0.1", "8gaussians-ebgan", ("ebgan.margin=0.1",), (0, 1)),
    ("margin1", "8gaussians-ebgan", ("ebgan.margin=1",), (0, 1)),
    ("margin0.1", "25gaussians-ebgan", ("ebgan.margin=0.1",), (0, 1)),
    ("ncritic5", "25gaussians-hinge-sn", ("n_critic=5", "optimizer.betas=[0, 0.9]"), (0, 1)),
    ("ncritic5", "8gaussians-hinge-sn", ("n_critic=5", "optimizer.betas=[0, 0.9]"), (0, 1)),
    ("swissroll-steps5000", "swissroll-wgan-gp", ("steps=5000",), (0,)),
]

ROUND2 = ("lsgan", "hinge-sn", "ebgan", "nsgan-gp", "nsgan-mbd", "nsgan-fm", "nsgan-noise")
VARIANTS_2: list[tuple[str, str, tuple[str, ...], tuple[int, ...]]] = [
    (
        "lambda0.1-steps5000",
        "25gaussians-wgan-gp",
        ("lipschitz.gp_lambda=0.1", "steps=5000"),
        (0, 1, 2, 3, 4),
    ),
    *[("base", f"{d}-{m}", (), (0,)) for d in ("25gaussians", "8gaussians") for m in ROUND2],
]

VARIANTS_3: list[tuple[str, str, tuple[str, ...], tuple[int, ...]]] = [
    (
        "steps2500-lr2e-4-decay",
        "25gaussians-gan",
        (
            "steps=2500",
            "optimizer.lr_generator=2e-4",
            "optimizer.lr_critic=2e-4",
            "optimizer.lr_decay=linear",
        ),
        (0,),
    ),
    ("steps2500", "25gaussians-gan", ("steps=2500",), (0,)),
    (
        "ncritic5-steps2500",
        "8gaussians-hinge-sn",
        ("steps=2500", "n_critic=5", "optimizer.betas=[0, 0.9]"),
        (0,),
    ),
    ("lambda10-steps2500", "25gaussians-nsgan-gp", ("steps=2500", "lipschitz.gp_lambda=10"), (0,)),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="JSON lines file, appended to")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--round", type=int, default=1)
    parser.add_argument("--only", default="", help="run the variants whose preset starts with this")
    args = parser.parse_args()
    jobs = []
    for label, preset, overrides, seeds in {1: VARIANTS, 2: VARIANTS_2, 3: VARIANTS_3}[args.round]:
        if not preset.startswith(args.only):
            continue
        dataset, _, method = preset.partition("-")
        for seed in seeds:
            config = load_config(preset, overrides, seed=seed, device=args.device)
            config = load_config(
                None,
                **config.to_dict()
                | {
                    "eval": {"every": config.steps, "n": EVAL_N},
                    "checkpoint": {"every": config.steps, "keep": 1},
                    "log": {"every": max(1, config.steps // 20)},
                },
            )
            jobs.append((label, Job(f"{method}@{label}", dataset, seed, config)))
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    work = Path("/tmp/tune-family")
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_job, job, work, threads): (label, job) for label, job in jobs}
        for future in as_completed(futures):
            label, job = futures[future]
            try:
                record = future.result()
            except Exception as err:  # keep sweeping; the error is the result
                record = {
                    "method": job.method,
                    "dataset": job.dataset,
                    "seed": job.seed,
                    "error": repr(err),
                }
            record |= {"label": label, "elapsed": time.perf_counter() - start}
            with open(args.out, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(
                json.dumps(
                    {
                        k: record.get(k)
                        for k in (
                            "method",
                            "dataset",
                            "seed",
                            "w1",
                            "modes_covered",
                            "high_quality",
                            "train_seconds",
                            "error",
                        )
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
