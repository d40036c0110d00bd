"""The experiment of ``wgan demo critic-fidelity``: the pairs with exactly known W1, and training
and measuring one critic on a pair (a point of the grid that :class:`Sizes` sets)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from wgan.config import LipschitzConfig
from wgan.data.images import load_digits, to_unit_range
from wgan.demos.findings.experiments import constrained_critic, fit_critic
from wgan.distances import wasserstein
from wgan.metrics.critic import input_gradient_norms

FAMILIES = ("translation", "scaling", "digits")
DIGITS_DIM = 64
CRITICS: dict[str, LipschitzConfig] = {
    "gradient penalty": LipschitzConfig(method="gp", gp_lambda=10.0),
    "spectral norm": LipschitzConfig(method="sn"),
    "weight clipping": LipschitzConfig(method="clip", clip=0.01),
}


@dataclass(frozen=True)
class Sizes:
    """The grid and how long each critic trains; the defaults are the committed run's."""

    # (dimension, critic steps) of the Gaussian pairs: fewer steps where a step costs more, the
    # presets' 12500 where the estimate is still moving at 3000.
    translation: tuple[tuple[int, int], ...] = (
        (2, 3000),
        (32, 3000),
        (128, 3000),
        (512, 1000),
        (3072, 1000),
    )
    scaling: tuple[tuple[int, int], ...] = (
        (2, 12500),
        (32, 3000),
        (128, 12500),
        (512, 3000),
        (3072, 300),
    )
    digits_steps: int = 12500  # critic steps on the digits pair
    # Weight clipping trains at most this long: its estimate / W1 is bounded by the clipped
    # critic's Lipschitz constant (`lipschitz_bound`) whatever the step count.
    clip_steps: int = 1000
    checkpoints: tuple[int, ...] = (100, 300, 1000, 3000, 12500)  # step counts measured
    width: int = 64  # hidden units of the critic (3 hidden layers)
    batch: int = 64  # samples per side of a critic step
    eval_n: int = 4096  # held-out samples of P per Gaussian measurement
    digits_held_out: int = 450  # digits kept out of training, measured
    shift: float = 1.0  # |v| of the translations
    scale: float = 1.25  # s of the scaling
    seeds: tuple[int, ...] = (0, 1)
    critics: tuple[str, ...] = tuple(CRITICS)

    def __post_init__(self) -> None:
        steps = [s for _, s in (*self.translation, *self.scaling)] + [self.digits_steps]
        steps += [min(s, self.clip_steps) for s in steps]
        missing = sorted(set(steps) - set(self.checkpoints))
        if missing:
            raise ValueError(f"step counts {missing} are not among the checkpoints")
        unknown = set(self.critics) - set(CRITICS)
        if unknown:
            raise ValueError(f"unknown critics {sorted(unknown)}; known: {', '.join(CRITICS)}")


DEFAULT_SIZES = Sizes()
TINY = Sizes(
    translation=((2, 30), (8, 10)),
    scaling=((2, 30), (8, 10)),
    digits_steps=10,
    clip_steps=10,
    checkpoints=(10, 30),
    width=8,
    batch=16,
    eval_n=64,
    digits_held_out=64,
    seeds=(0,),
)


# ---------------------------------------------------------------------------------------------
# The pairs and their exact W1
# ---------------------------------------------------------------------------------------------


def gaussian_norm_mean(d: int) -> float:
    """E|X| for X ~ N(0, I_d): sqrt(2) Gamma((d + 1) / 2) / Gamma(d / 2) (the chi distribution)."""
    return math.sqrt(2.0) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))


def scaling_w1(d: int, s: float) -> float:
    """W1(X, sX) = |s - 1| E|X| for X ~ N(0, I_d), s > 0."""
    if s <= 0:
        raise ValueError(f"the scale must be positive, got {s}")
    return abs(s - 1.0) * gaussian_norm_mean(d)


def width_bound(d: int, width: int) -> float:
    """The largest estimate / W1 on the scaling pair in d dimensions for a 1-Lipschitz MLP critic
    whose first layer has `width` units: E|P X| / E|X| = gaussian_norm_mean(min(d, width)) /
    gaussian_norm_mean(d), 1 for d <= width.

    Such a critic's gradient lies in the row space W of its first layer (dimension at most
    `width`), so f(x) - f(s x) = -int_1^s grad f(t x) . x dt has size at most |s - 1| |P_W x|,
    P_W the projection onto W, and |P_W X| has the mean norm of a standard normal in dim W
    dimensions. (A translation needs one direction: no such bound.)"""
    return gaussian_norm_mean(min(d, width)) / gaussian_norm_mean(d)


@dataclass(frozen=True)
class Pair:
    """P and Q = move(P), with W1(P, Q) known exactly; `move` is an optimal transport map."""

    family: str
    dim: int
    w1: float
    draw: Callable[[int, torch.Generator], Tensor]  # n samples of P (training)
    move: Callable[[Tensor], Tensor]
    held_out: Tensor = field(repr=False)  # samples of P never trained on; Q's are move(held_out)


def _digits() -> Tensor:
    images = load_digits().train
    index = np.arange(len(images.pixels), dtype=np.int64)
    return to_unit_range(images, index, channels=1, resolution=8).flatten(1)  # (1797, 64)


def make_pair(family: str, dim: int, sizes: Sizes, seed: int) -> Pair:
    """The pair of `family` in `dim` dimensions (64 for digits); v, the held-out set and the
    digits' split are drawn from `seed`."""
    rng = torch.Generator().manual_seed(10_000 + seed)  # not the training stream
    v = torch.randn(dim, generator=rng)
    v = v * (sizes.shift / v.norm())
    if family == "digits":
        if dim != DIGITS_DIM:
            raise ValueError(f"the digits are {DIGITS_DIM}-dimensional, not {dim}")
        data = _digits()
        order = torch.randperm(len(data), generator=rng)
        held_out, train = data[order[: sizes.digits_held_out]], data[order[sizes.digits_held_out :]]

        def draw_digits(n: int, g: torch.Generator) -> Tensor:
            return train[torch.randint(len(train), (n,), generator=g)]

        return Pair(family, dim, sizes.shift, draw_digits, lambda x: x + v, held_out)

    def draw_gaussian(n: int, g: torch.Generator) -> Tensor:
        return torch.randn(n, dim, generator=g)

    held_out = draw_gaussian(sizes.eval_n, rng)
    if family == "translation":
        return Pair(family, dim, sizes.shift, draw_gaussian, lambda x: x + v, held_out)
    if family == "scaling":
        s = sizes.scale
        return Pair(family, dim, scaling_w1(dim, s), draw_gaussian, lambda x: s * x, held_out)
    raise ValueError(f"unknown pair {family!r}; known: {', '.join(FAMILIES)}")


def lp_checks(n: int = 600, seed: int = 0, s: float = 1.25) -> dict[str, dict[str, float]]:
    """The exact W1 formulas against the linear program (wgan.distances) in 2-D: between n samples
    and the same samples moved (the formulas hold exactly for the empirical measures), and between
    independent samples of P and Q (where the LP carries the sampling error of n points)."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    v = np.array([0.6, -0.8])
    mean_norm = float(np.linalg.norm(x, axis=1).mean())
    return {
        "translation, same samples": {
            "formula": 1.0,
            "lp": wasserstein(x, x + v),
        },
        "scaling, same samples": {
            "formula": abs(s - 1) * mean_norm,
            "lp": wasserstein(x, s * x),
        },
        "scaling, independent samples": {
            "formula": scaling_w1(2, s),
            "lp": wasserstein(x, s * y),
        },
    }


# ---------------------------------------------------------------------------------------------
# Training and measuring one critic
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def lipschitz_bound(critic: nn.Module) -> float:
    """The product of the linear layers' spectral norms: a Lipschitz constant of the ReLU MLP
    (with spectral normalisation, of the weights it uses: call it in eval mode). The estimate of a
    translation by v is at most this times |v|, whatever the training."""
    bound = 1.0
    for layer in critic.modules():
        if isinstance(layer, nn.Linear):
            bound *= float(torch.linalg.matrix_norm(layer.weight.double(), ord=2))
    return bound


def measure(critic: nn.Module, pair: Pair) -> dict[str, float]:
    """The critic's estimate mean f(x) - mean f(move(x)) on the held-out x (each sample beside
    its own image under the optimal map: the same marginals, less noise), its standard error,
    the median ||grad f|| at the held-out samples of P and the critic's `lipschitz_bound`."""
    critic.eval()  # freezes spectral normalisation's power iteration
    try:
        x = pair.held_out
        with torch.no_grad():
            gaps = (critic(x) - critic(pair.move(x))).squeeze(1).double()
        norms = input_gradient_norms(critic, x)
        bound = lipschitz_bound(critic)
    finally:
        critic.train()
    estimate = float(gaps.mean())
    return {
        "estimate": estimate,
        "ratio": estimate / pair.w1,
        "standard_error": float(gaps.std() / math.sqrt(len(gaps))),
        "grad_norm_median": float(norms.median()),
        "lipschitz_bound": bound,
    }


def fit_point(pair: Pair, critic_name: str, steps: int, sizes: Sizes, seed: int) -> dict[str, Any]:
    """Train the critic `critic_name` on the pair for `steps` steps (fresh training batches from
    P and Q each step) and measure it at each checkpoint up to `steps`."""
    lipschitz = CRITICS[critic_name]
    critic, optimizer = constrained_critic(
        lipschitz, depth=3, width=sizes.width, seed=seed, in_dim=pair.dim
    )
    rng = torch.Generator().manual_seed(seed)

    def batches() -> tuple[Tensor, Tensor]:
        return pair.draw(sizes.batch, rng), pair.move(pair.draw(sizes.batch, rng))

    start, done = time.perf_counter(), 0
    measured = []
    for checkpoint in (c for c in sorted(sizes.checkpoints) if c <= steps):
        estimates = fit_critic(critic, optimizer, lipschitz, batches, checkpoint - done, rng)
        done = checkpoint
        tail = estimates[-max(1, len(estimates) // 10) :]
        measured.append(
            {"steps": checkpoint, **measure(critic, pair), "train_estimate": statistics.fmean(tail)}
        )
    return {
        "family": pair.family,
        "dim": pair.dim,
        "critic": critic_name,
        "seed": seed,
        "w1": pair.w1,
        "steps": steps,
        "checkpoints": measured,
        "seconds": time.perf_counter() - start,
    }


def grid(sizes: Sizes) -> list[tuple[str, int, int, str, int]]:
    """Every point as (family, dim, steps, critic, seed), seed by seed."""
    pairs = [("translation", d, s) for d, s in sizes.translation]
    pairs += [("scaling", d, s) for d, s in sizes.scaling]
    pairs.append(("digits", DIGITS_DIM, sizes.digits_steps))
    return [
        (
            family,
            d,
            min(steps, sizes.clip_steps) if critic == "weight clipping" else steps,
            critic,
            seed,
        )
        for seed in sizes.seeds
        for family, d, steps in pairs
        for critic in sizes.critics
    ]
