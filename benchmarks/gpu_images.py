"""Image WGAN-GP on a GPU for a fixed wall-clock budget: speed, memory and the metric curve.

Made for a lent GPU machine without internet and without data sets: everything it trains on is
written here, in the real file formats, from what the repository has.

- ``cifar10``: the ``cifar10-wgan-gp`` preset (the WGAN-GP paper's ResNet and hyperparameters) on
  SYNTHETIC images written as CIFAR-10 python batches: coloured shapes on noisy backgrounds,
  10 labelled classes (5 shapes x 2 colour families), 32x32 RGB. Real CIFAR-10 cannot be
  downloaded here, so its FID/KID are not comparable with published CIFAR-10 numbers; they show
  the speed and that the metrics fall as the generator learns.
- ``mnist``: the ``mnist-wgan-gp`` preset (DCGAN) on MNIST-format IDX files built from
  scikit-learn's 8x8 digits upscaled to 28x28 (1437 training, 360 test images, labelled).

For each, the run first evaluates at step 0 (which also trains and caches the evaluation
classifier), then trains for the budget, evaluating every ``--eval-every-s`` seconds of training.
Evaluation time is not counted in the speed. Prints one line per evaluation and writes
``OUT/gpu_images.json`` (and each run's report under ``OUT/<preset>/``)::

    python benchmarks/gpu_images.py --out $OUT --budget-s 240      # both, half the budget each
    python benchmarks/gpu_images.py --out /tmp/b --tiny --device cpu --budget-s 4   # a CPU check
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.api import Run
from wgan.config import Config, load_config
from wgan.training.loop import log_line
from wgan.training.rundir import save_checkpoint_of, save_sample_grid, start_run
from wgan.training.trainer import Trainer

CURVE_KEYS = (
    "step", "fid", "fid_noise_floor", "kid_mean", "kid_std", "classes_covered", "confidence",
    "confidence_real", "w1_pixels", "w1_pixels_noise_floor", "critic_w_estimate",
)  # fmt: skip


# ---- data, written in the real formats -----------------------------------------------------


def synthetic_shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 3, 32, 32) uint8 of one shape each on a noisy background, and labels 0..9.

    label = 2 * shape + colour family; shapes: disc, square, ring, cross, triangle; colour
    families: warm (red/orange/yellow) or cool (green/blue/violet). Position, size, hue and
    background vary.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float32)
    labels = rng.integers(0, 10, n)
    images = np.empty((n, 3, 32, 32), np.uint8)
    for i, label in enumerate(labels):
        shape, family = divmod(int(label), 2)
        cx, cy = rng.uniform(10, 22, 2)
        r = rng.uniform(5, 10)
        dx, dy = xx - cx, yy - cy
        masks = [
            dx**2 + dy**2 <= r**2,
            np.maximum(abs(dx), abs(dy)) <= r * 0.8,
            abs(np.sqrt(dx**2 + dy**2) - r * 0.75) <= r * 0.25,
            (abs(dx) <= r * 0.3) & (abs(dy) <= r) | (abs(dy) <= r * 0.3) & (abs(dx) <= r),
            (dy <= r * 0.7) & (dy >= -r + 2 * abs(dx)),
        ]
        hue = rng.uniform(0.0, 0.15) if family == 0 else rng.uniform(0.3, 0.75)
        colour = 255 * np.clip(np.abs((hue * 6 + np.array([0, 4, 2])) % 6 - 3) - 1, 0, 1)
        background = rng.uniform(0, 120, 3)[:, None, None] + rng.normal(0, 12, (3, 32, 32))
        picture = np.where(masks[shape], colour[:, None, None], background)
        images[i] = np.clip(picture + rng.normal(0, 6, (3, 32, 32)), 0, 255).astype(np.uint8)
    return images, labels


def write_cifar_format(root: Path, n_train: int, n_test: int) -> Path:
    """Synthetic images as CIFAR-10 python batches: data_batch_1..5 and test_batch."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    train, train_labels = synthetic_shapes(n_train, seed=1)
    test, test_labels = synthetic_shapes(n_test, seed=2)
    parts = np.array_split(np.arange(n_train), 5)
    batches = [(f"data_batch_{i + 1}", train[p], train_labels[p]) for i, p in enumerate(parts)]
    batches.append(("test_batch", test, test_labels))
    for name, images, labels in batches:
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels.tolist(),
            b"data": images.reshape(len(images), 3072),
            b"filenames": [f"{name}_{i}.png".encode() for i in range(len(images))],
        }
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle, protocol=2)
    return folder


def _write_idx(path: Path, array: np.ndarray) -> None:
    import gzip

    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def write_mnist_format(root: Path) -> Path:
    """scikit-learn's digits upscaled to 28x28 (bilinear) as gzipped MNIST IDX files."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images[:, None] / 16.0).float()
    big = torch.nn.functional.interpolate(images, size=(28, 28), mode="bilinear")
    pixels = (big[:, 0].clamp(0, 1) * 255).round().numpy().astype(np.uint8)
    order = np.random.default_rng(0).permutation(len(pixels))
    test, train = order[:360], order[360:]
    root.mkdir(parents=True, exist_ok=True)
    _write_idx(root / "train-images-idx3-ubyte.gz", pixels[train])
    _write_idx(root / "train-labels-idx1-ubyte.gz", digits.target[train])
    _write_idx(root / "t10k-images-idx3-ubyte.gz", pixels[test])
    _write_idx(root / "t10k-labels-idx1-ubyte.gz", digits.target[test])
    return root


# ---- timed training ------------------------------------------------------------------------


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_run(config: Config, out: Path, *, budget_s: float, eval_every_s: float) -> dict[str, Any]:
    """Train `config` for `budget_s` seconds of training; evaluate every `eval_every_s`."""
    trainer: Trainer = start_run(config, out, overwrite=True, quiet=True)
    device = trainer.device
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    started = time.perf_counter()
    step0 = trainer.evaluate()  # also trains (or loads) the evaluation classifier
    setup_s = time.perf_counter() - started
    curve = [{"train_s": 0.0, **{k: step0.get(k) for k in CURVE_KEYS}}]
    print(_line(config.name, curve[-1]), flush=True)
    trained_s, next_eval = 0.0, eval_every_s
    metrics = out / "metrics.jsonl"  # what the training loop would log, for the run's report
    while trained_s < budget_s:
        _sync(device)
        tick, first = time.perf_counter(), trainer.step
        chunk_end = min(next_eval, budget_s)
        while trained_s + (time.perf_counter() - tick) < chunk_end:
            for _ in range(10):
                trainer.train_step()
            _sync(device)
        chunk_s = time.perf_counter() - tick
        trained_s += chunk_s
        records = [log_line(trainer, chunk_s, trainer.step - first)] if trainer.step > first else []
        result = trainer.evaluate()
        save_sample_grid(trainer)
        with open(metrics, "a") as handle:
            for record in [*records, {"kind": "eval", **result}]:
                handle.write(json.dumps(record) + "\n")
        curve.append({"train_s": round(trained_s, 2), **{k: result.get(k) for k in CURVE_KEYS}})
        print(_line(config.name, curve[-1]), flush=True)
        while next_eval <= trained_s:
            next_eval += eval_every_s
    save_checkpoint_of(trainer)
    report = Run(trainer).write_report()
    steps = trainer.step
    return {
        "preset": config.name,
        "data": config.data.path,
        "precision": trainer.precision,
        "batch_size": config.batch_size,
        "n_critic": config.n_critic,
        "budget_s": budget_s,
        "trained_s": round(trained_s, 2),
        "setup_s": round(setup_s, 2),
        "generator_steps": steps,
        "generator_steps_per_s": steps / trained_s,
        "critic_steps_per_s": steps * config.n_critic / trained_s,
        "images_per_s": steps * config.n_critic * config.batch_size / trained_s,
        "peak_gpu_memory_mb": (
            torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
        ),
        "curve": curve,
        "report": str(report),
    }


def _line(name: str, r: dict[str, Any]) -> str:
    def f(key: str, spec: str) -> str:
        return "-" if r.get(key) is None else format(r[key], spec)

    return (
        f"{name}: {r['train_s']:7.1f} s  step {r['step']:6d}  FID {f('fid', '.2f')} "
        f"(real vs real {f('fid_noise_floor', '.2f')})  KID {f('kid_mean', '.4g')}  "
        f"classes {f('classes_covered', 'd')}  confidence {f('confidence', '.3f')} "
        f"(real {f('confidence_real', '.3f')})  W1 px {f('w1_pixels', '.3f')}  "
        f"critic W {f('critic_w_estimate', '.3f')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--presets", default="cifar10,mnist", help="comma-separated: cifar10, mnist (default: both)"
    )
    parser.add_argument(
        "--budget-s", type=float, default=240.0, help="training seconds in all (default: 240)"
    )
    parser.add_argument(
        "--eval-every-s", type=float, default=None, help="default: a sixth of each run's budget"
    )
    parser.add_argument("--eval-n", type=int, default=1000, help="images per side (default: 1000)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--tiny", action="store_true", help="tiny models and data: checks the script runs"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WGAN_CACHE_DIR", str(out / "cache"))
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    budget = args.budget_s / len(presets)
    eval_every = args.eval_every_s or budget / 6
    n_train, n_test = (300, 100) if args.tiny else (20000, 2000)
    runs = []
    for preset in presets:
        if preset == "cifar10":
            data = write_cifar_format(out / "data", n_train, n_test)
            print(
                f"cifar10-wgan-gp on SYNTHETIC shapes written as CIFAR-10 python batches "
                f"({n_train} train, {n_test} test, 10 classes); real CIFAR-10 is not available "
                "offline, so these FIDs are not CIFAR-10 FIDs",
                flush=True,
            )
        elif preset == "mnist":
            data = write_mnist_format(out / "data" / "mnist")
            print(
                "mnist-wgan-gp on scikit-learn digits upscaled to 28x28, written as MNIST IDX "
                "files (1437 train, 360 test); not MNIST itself",
                flush=True,
            )
        else:
            parser.error(f"unknown preset {preset!r}; choose cifar10 or mnist")
        fields: dict[str, Any] = {
            "device": args.device,
            "data": {"path": str(data)},
            "eval": {"n": args.eval_n, "every": 10**9},
            "checkpoint": {"every": 10**9},
        }
        if args.tiny:
            fields |= {"batch_size": 16, "eval": {"n": 40, "every": 10**9}}
            fields["model"] = {"generator_width": 8, "critic_width": 8, "latent_dim": 16}
        config = load_config(f"{preset}-wgan-gp", **fields)
        runs.append(timed_run(config, out / config.name, budget_s=budget, eval_every_s=eval_every))
        r = runs[-1]
        memory = r["peak_gpu_memory_mb"]
        print(
            f"{r['preset']}: {r['generator_steps']} generator steps in {r['trained_s']:.0f} s: "
            f"{r['generator_steps_per_s']:.2f} generator steps/s, "
            f"{r['images_per_s']:.0f} real images/s through the critic, precision "
            f"{r['precision']}, peak GPU memory "
            + (f"{memory:.0f} MiB" if memory is not None else "n/a (not a GPU)"),
            flush=True,
        )
    device = torch.device("cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu")
    summary = {
        "command": " ".join(
            [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
        ),
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "synthetic_data": True,
        "runs": runs,
    }
    (out / "gpu_images.json").write_text(json.dumps(summary, indent=1))
    print(f"wrote {out / 'gpu_images.json'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
