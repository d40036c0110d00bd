"""Spectral normalisation of the digits DCGAN critic, Miyato's (lipschitz.sn_norm reshaped) against
the exact operator norm (exact), with the gradient penalty of the preset beside them.

For each, `digits-wgan-gp --set lipschitz.method=sn --steps 60` (issue 17's command; the preset
itself for gp) trains from seed 0, and then, the critic in eval mode as evaluation scores with it:

- each layer's operator norm on its input shape (`wgan.lipschitz.LipschitzBounds`, exact here);
- the critic's Lipschitz bound (`critic_lipschitz_bound`) and the median time of 5 computations;
- the largest input-gradient norm found: autograd at held-out digits, generated digits, their
  interpolates and Gaussian noise, then 40 steps of gradient ascent on |f(x) - f(y)| / ||x - y||
  from pairs of held-out digits (a lower bound on the critic's Lipschitz constant).

Then the time of one bound of the larger presets' critics at initialisation (mnist-wgan-gp's
DCGAN on 28x28, cifar10-wgan-gp's ResNet on 32x32), where Lanczos replaces explicit Jacobians.

    python benchmarks/lipschitz_bound.py --results benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.config import load_config
from wgan.demos.bench import cpu_name
from wgan.lipschitz import LipschitzBounds, critic_lipschitz_bound
from wgan.metrics.critic import input_gradient_norms
from wgan.models import build_critic
from wgan.training.trainer import Trainer

VARIANTS: dict[str, dict[str, Any]] = {  # the preset's gradient penalty, then the two norms
    "gp": {},
    "sn-reshaped": {"lipschitz": {"method": "sn", "sn_norm": "reshaped"}},
    "sn-exact": {"lipschitz": {"method": "sn", "sn_norm": "exact"}},
}


def layer_norms(critic: nn.Module, x: Tensor) -> list[float]:
    """The operator norm of each linear and convolution layer on the input shape it sees."""
    shapes: dict[nn.Module, tuple[int, ...]] = {}

    def record(layer: nn.Module, args: tuple[Tensor, ...]) -> None:
        shapes[layer] = tuple(args[0].shape[1:])

    layers = [m for m in critic.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    hooks = [m.register_forward_pre_hook(record) for m in layers]
    with torch.no_grad():
        critic(x[:1])
    for hook in hooks:
        hook.remove()
    bounds = LipschitzBounds(device=x.device)
    return [bounds.chain([m], shapes[m]) or 0.0 for m in layers]


def largest_gradient(critic: nn.Module, held: Tensor, fake: Tensor, steps: int = 40) -> float:
    torch.manual_seed(0)
    eps = torch.rand(len(held), 1, 1, 1)
    points = [held, fake, eps * held + (1 - eps) * fake, torch.randn_like(held)]
    best = max(float(input_gradient_norms(critic, x).max()) for x in points)
    x = held.clone().requires_grad_(True)
    y = (held + 0.1 * torch.randn_like(held)).requires_grad_(True)
    opt = torch.optim.Adam([x, y], lr=0.05)
    for _ in range(steps):
        quotient = (critic(x) - critic(y)).flatten().abs() / (x - y).flatten(1).norm(dim=1)
        best = max(best, float(quotient.detach().max()))
        opt.zero_grad()
        (-quotient.sum()).backward()
        opt.step()
    return best


def measure(name: str, fields: dict[str, Any], steps: int, out: Path) -> dict[str, Any]:
    config = load_config("digits-wgan-gp", steps=steps, device="cpu", **fields)
    trainer = Trainer(config, out / name, quiet=True)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    train_s = time.perf_counter() - start
    critic = trainer.critic.eval()
    held = trainer.source.holdout(256)
    fake = trainer.sample(256)
    shape = tuple(held.shape[1:])
    critic_lipschitz_bound(critic, shape)  # warm-up
    times, bound = [], None
    for _ in range(5):
        tick = time.perf_counter()
        bound = critic_lipschitz_bound(critic, shape)
        times.append(time.perf_counter() - tick)
    return {
        "variant": name,
        "config": fields,
        "train_seconds": round(train_s, 1),
        "layer_norms": [round(v, 4) for v in layer_norms(critic, held)],
        "critic_lipschitz_bound": bound,
        "bound_seconds_median": statistics.median(times),
        "largest_gradient_found": largest_gradient(critic, held, fake),
    }


def larger_critics() -> list[dict[str, Any]]:
    """One bound of each larger preset's critic at initialisation, and its time."""
    out = []
    for preset, shape in (("mnist-wgan-gp", (1, 28, 28)), ("cifar10-wgan-gp", (3, 32, 32))):
        torch.manual_seed(0)
        critic = build_critic(load_config(preset, data={"path": "unused"}), shape)
        tick = time.perf_counter()
        bound = critic_lipschitz_bound(critic, shape)
        out.append({"preset": preset, "bound": bound, "seconds": time.perf_counter() - tick})
    return out


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Spectral normalisation of the digits DCGAN critic: reshaped kernel or exact operator norm",
        "",
        f"Command: `{summary['command']}`.",
        f"Machine: {summary['machine']}, torch {summary['torch']}, {summary['threads']} torch "
        f"thread; load average (1, 5, 15 min) {summary['load_before']} before and "
        f"{summary['load_after']} after (other people's jobs share the cores).",
        "",
        f"`digits-wgan-gp` (8x8 digits, DCGAN critic of width 32) trained {summary['steps']} "
        "generator steps from seed 0, the critic then in eval mode.",
        "",
        "| lipschitz | layer operator norms (conv, conv, linear) | Lipschitz bound | largest "
        "gradient found | bound time (s) |",
        "|---|---|---:|---:|---:|",
    ]
    for r in summary["runs"]:
        norms = ", ".join(f"{v:.4f}" for v in r["layer_norms"])
        lines.append(
            f"| {r['variant']} | {norms} | {r['critic_lipschitz_bound']:.4f} | "
            f"{r['largest_gradient_found']:.4f} | {r['bound_seconds_median']:.3f} |"
        )
    lines += [
        "",
        "The largest gradient found is a lower bound on the critic's Lipschitz constant K, the "
        "Lipschitz bound an upper bound. Miyato's normalisation divides each convolution by the "
        "norm of its kernel reshaped to a matrix, and the convolutions' operator norms stay above "
        "1; the exact variant divides by the operator norm itself, as estimated by one power "
        "step per training forward pass: after the last update the estimate lags the weights a "
        "little, so the layers' norms are 1 up to that lag, which the bound includes.",
        "",
        "One bound of a larger preset's critic, at initialisation (Lanczos, 64 steps, for the "
        "layers whose Jacobian is too large to build):",
        "",
        "| preset | critic | Lipschitz bound | time (s) |",
        "|---|---|---:|---:|",
    ]
    for r in summary["larger_critics"]:
        critic = "ResNet, 32x32" if r["preset"].startswith("cifar") else "DCGAN, 28x28"
        lines.append(f"| {r['preset']} | {critic} | {r['bound']:.4f} | {r['seconds']:.1f} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="reshaped against exact spectral norm on digits")
    parser.add_argument("--results", type=Path, default=None, help="write lipschitz_bound.json/.md")
    parser.add_argument("--steps", type=int, default=60, help="generator steps per variant")
    parser.add_argument(
        "--no-larger", dest="larger", action="store_false", help="skip the larger critics"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    load_before = [round(v, 2) for v in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        runs = [measure(name, fields, args.steps, Path(tmp)) for name, fields in VARIANTS.items()]
    larger = larger_critics() if args.larger else []
    summary = {
        "command": "python benchmarks/lipschitz_bound.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{cpu_name()}, {os.cpu_count()} cores (shared)",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "load_before": load_before,
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "runs": runs,
        "larger_critics": larger,
    }
    text = markdown(summary)
    print(text)
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / "lipschitz_bound.json").write_text(json.dumps(summary, indent=2) + "\n")
        (args.results / "lipschitz_bound.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
