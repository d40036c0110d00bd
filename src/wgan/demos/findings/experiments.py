"""The experiments of ``wgan demo findings`` (part 5 in :mod:`.constraints`), each returning the
numbers it measured.

:func:`estimate_vs_exact` trains WGANs on 8 Gaussians; :func:`deep_gradient_norms` and
:func:`fixed_target_critic` train critics against a fixed P_g = P_r + N(0, I);
:func:`optimal_critic` compares a penalised critic with the exact Kantorovich potential;
:func:`saturation` trains a discriminator against fixed generators. :class:`Sizes` sets how long
each runs.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from wgan import losses
from wgan.config import Config, LipschitzConfig, load_config
from wgan.data.toy import ToyDistribution
from wgan.distances import wasserstein_exact
from wgan.lipschitz import (
    DECAY_METHODS,
    add_weight_decay_,
    constrain_weights_,
    spectral_normalize_,
    weight_normalize_,
)
from wgan.metrics.critic import critic_accuracy, input_gradient_norms
from wgan.models.mlp import mlp
from wgan.training.trainer import Trainer

CLIPS = (0.1, 0.01, 0.001)
TOY = ("8gaussians", "25gaussians", "swissroll")
PENALTY = LipschitzConfig(method="gp", gp_lambda=10.0)  # the optimal critic's, as in the paper


@dataclass(frozen=True)
class Sizes:
    """How long each part runs; the defaults are the committed demo's."""

    width: int = 512  # hidden units of the toy networks (3 hidden layers), as in the papers
    train_steps: int = 400  # 1: generator steps of each WGAN run
    eval_every: int = 20  # 1: generator steps between exact W1 evaluations
    eval_n: int = 500  # 1: samples per side of each evaluation
    deep_iters: int = 300  # 2: iterations of the deep critics on the swiss roll
    deep_depth: int = 12  # 2: hidden layers of the deep critics, as in the paper
    deep_width: int = 512  # 2: their width
    critic_iters: int = 1000  # 2, 3: iterations of the critics trained against fixed samples
    batch: int = 256  # 2, 3, 4: samples per side of a critic iteration
    optimal_n: int = 512  # 3: points in each of the two fixed sets
    d_steps: int = 600  # 4: discriminator steps against the fixed generator
    d_every: int = 10  # 4: steps between measurements
    seed: int = 0


DEFAULT_SIZES = Sizes()
TINY = Sizes(
    width=16,
    train_steps=4,
    eval_every=2,
    eval_n=50,
    deep_iters=2,
    deep_depth=3,
    deep_width=16,
    critic_iters=3,
    batch=32,
    optimal_n=40,
    d_steps=4,
    d_every=2,
)


def _trainer(preset: str, sizes: Sizes, out: Path, **fields: Any) -> Trainer:
    config = load_config(
        preset,
        seed=sizes.seed,
        device="cpu",
        steps=sizes.train_steps,
        model={"generator_width": sizes.width, "critic_width": sizes.width},
        **fields,
    )
    return Trainer(config, out, quiet=True)


# ---------------------------------------------------------------------------------------------
# 1. The critic's estimate against the exact W1
# ---------------------------------------------------------------------------------------------


# The runs of part 1: (preset, overrides). Their labels are written from the configs that ran
# (`describe`), so that a row says exactly what trained.
ESTIMATE_RUNS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("8gaussians-wgan-clip", {}),
    ("8gaussians-wgan-gp-alg1", {}),
    ("8gaussians-wgan-gp", {"lipschitz": {"method": "gp", "gp_lambda": 10.0}}),
    # Lambda 1, the default preset's until it was chosen on benchmarks/unseen.py (0.1 now):
    # the run of the committed results.
    ("8gaussians-wgan-gp", {"lipschitz": {"method": "gp", "gp_lambda": 1.0}}),
)
DEFAULT_RUN = 3  # the default preset's optimizer at lambda 1: its generator is part 4's trained one


def describe(config: Config) -> str:
    """A run's Lipschitz method and optimizer as a table label, e.g. 'penalty, lambda = 10; Adam
    1e-4, betas (0, 0.9), batch 64'."""
    lip, opt = config.lipschitz, config.optimizer
    if lip.method == "clip":
        method = f"clipping, c = {lip.clip:g}"
    elif lip.method in losses.PENALTY_METHODS:
        method = f"penalty, lambda = {lip.gp_lambda:g}"
    else:
        method = lip.method
    optimizer = f"{'Adam' if opt.name == 'adam' else 'RMSProp'} {opt.lr_critic:g}"
    if opt.name == "adam":
        optimizer += f", betas ({opt.betas[0]:g}, {opt.betas[1]:g})"
    if opt.lr_decay == "linear":
        optimizer += ", linear decay"
    return f"{method}; {optimizer}, batch {config.batch_size}"


def estimate_vs_exact(sizes: Sizes, out: Path) -> tuple[dict[str, Any], list[Trainer]]:
    """Train the runs of ESTIMATE_RUNS on 8 Gaussians (WGAN with clipping, WGAN-GP as Algorithm 1
    has it and with the default preset's optimizer at lambda 10 and 1); record the critic's
    estimate and the exact W1 on the same held-out sets over training.

    The generator is evaluated without an EMA: the critic estimates W1 to the generator it is
    trained against. Returns the curves by label with their summary numbers, and the trainers
    in ESTIMATE_RUNS' order.
    """
    curves: dict[str, Any] = {}
    runs = []
    for preset, overrides in ESTIMATE_RUNS:
        trainer = _trainer(preset, sizes, out, ema_decay=None, **overrides)
        label = describe(trainer.config)
        steps, exact, estimate = [], [], []
        start = time.perf_counter()
        for step in range(sizes.train_steps + 1):
            if step % sizes.eval_every == 0:
                result = trainer.evaluate(sizes.eval_n)
                steps.append(step)
                exact.append(result["w1"])
                estimate.append(result["critic_w_estimate"])
            if step < sizes.train_steps:
                trainer.train_step()
        ratio = [e / w for e, w in zip(estimate, exact, strict=True)]
        second_half = ratio[len(ratio) // 2 :]
        real = trainer.source.holdout(sizes.eval_n)
        fake = trainer.sample(sizes.eval_n)
        eps = torch.rand(sizes.eval_n, 1, generator=torch.Generator().manual_seed(sizes.seed))
        trainer.critic.eval()
        norms = input_gradient_norms(trainer.critic, eps * real + (1 - eps) * fake)
        trainer.critic.train()
        curves[label] = {
            "preset": preset,
            "overrides": overrides,
            "steps": steps,
            "exact_w1": exact,
            "critic_estimate": estimate,
            "noise_floor": result["w1_noise_floor"],
            "ratio_median_second_half": statistics.median(second_half),
            "ratio_min_second_half": min(second_half),
            "ratio_max_second_half": max(second_half),
            "ratio_last": ratio[-1],
            "final_grad_norm_median": float(norms.median()),
            "seconds": time.perf_counter() - start,
        }
        runs.append(trainer)
    return curves, runs


# ---------------------------------------------------------------------------------------------
# 2. Weight clipping: exploding and vanishing gradients, simple critics
# ---------------------------------------------------------------------------------------------


def activation_gradient_norms(critic: nn.Sequential, real: Tensor, fake: Tensor) -> list[float]:
    """||d L / d h_l|| of the critic loss L = E f(fake) - E f(real) for the output h_l of each
    hidden linear layer, input side first (the quantity of Gulrajani et al. 2017, Figure 1b)."""
    outputs: list[Tensor] = []
    hooks = [
        layer.register_forward_hook(lambda _m, _i, o: outputs.append(o))
        for layer in list(critic)[:-1]
        if isinstance(layer, nn.Linear)
    ]
    try:
        loss = losses.wasserstein_critic_loss(critic(real), critic(fake))
    finally:
        for hook in hooks:
            hook.remove()
    n = len(outputs) // 2  # one forward pass for real, one for fake: the same layers twice
    grads = torch.autograd.grad(loss, outputs)
    # The norm in float64: a clipped critic's entries near the input (1e-25 at c = 0.001) are
    # float32 numbers, but their squares underflow float32 and the norm would read 0.
    return [float(torch.cat([grads[i], grads[n + i]]).double().norm()) for i in range(n)]


def deep_gradient_norms(sizes: Sizes) -> dict[str, list[float]]:
    """Deep critics on the swiss roll, clipped at each c of CLIPS and penalised: per-layer norms."""
    return {
        label: deep_critic_gradient_norms(lipschitz, sizes)
        for label, lipschitz in [
            *((f"clipping, c = {c:g}", LipschitzConfig(method="clip", clip=c)) for c in CLIPS),
            ("gradient penalty", PENALTY),
        ]
    }


def deep_critic_gradient_norms(lipschitz: LipschitzConfig, sizes: Sizes) -> list[float]:
    """The per-layer gradient norms (`activation_gradient_norms`) of a deep critic trained on the
    swiss roll against a fixed P_g under `lipschitz`, on one fixed batch."""
    rng = torch.Generator().manual_seed(sizes.seed + 1)
    data = ToyDistribution("swissroll")
    real = data.sample(sizes.batch, rng)
    fake = data.sample(sizes.batch, rng) + torch.randn(sizes.batch, 2, generator=rng)
    critic, _ = fixed_target_critic(
        "swissroll",
        lipschitz,
        sizes,
        depth=sizes.deep_depth,
        width=sizes.deep_width,
        iters=sizes.deep_iters,
    )
    return activation_gradient_norms(critic, real, fake)


def constrained_critic(
    lipschitz: LipschitzConfig, *, depth: int, width: int, seed: int, in_dim: int = 2
) -> tuple[nn.Sequential, torch.optim.Optimizer]:
    """A toy critic (MLP on `in_dim`-dimensional points) and its optimizer for `lipschitz`: RMSProp
    1e-3 for weight clipping (as WGAN), Adam 1e-3 betas (0.5, 0.9) for every other method;
    weight-normalised for weight-norm, spectrally normalised (Miyato et al. 2018) for sn."""
    torch.manual_seed(seed)
    critic = mlp(in_dim, 1, width=width, depth=depth, activation="relu")
    if lipschitz.method == "weight-norm":
        weight_normalize_(critic)
    if lipschitz.method == "sn":
        spectral_normalize_(critic)
    if lipschitz.method == "clip":
        return critic, torch.optim.RMSprop(critic.parameters(), lr=1e-3)
    return critic, torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))


def fit_critic(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    lipschitz: LipschitzConfig,
    batches: Callable[[], tuple[Tensor, Tensor]],
    iters: int,
    rng: torch.Generator,
) -> list[float]:
    """`iters` critic steps of the Wasserstein loss under `lipschitz` (penalty, decay or weight
    constraint) on (real, fake) from `batches`; returns the W estimate of each step."""
    estimates = []
    for _ in range(iters):
        real, fake = batches()
        n = len(real)
        scores = critic(torch.cat([real, fake]))
        penalised = lipschitz.method in losses.PENALTY_METHODS
        objective = losses.critic_objective(
            scores[:n],
            scores[n:],
            loss=losses.wasserstein_critic_loss,
            lipschitz=lipschitz,
            critic=critic,
            real=real,
            fake=fake,
            eps=torch.rand(n, generator=rng) if penalised else None,
        )
        estimates.append(-float(objective.stats["critic_loss"]))
        optimizer.zero_grad(set_to_none=True)
        objective.total.backward()
        if lipschitz.method in DECAY_METHODS:
            add_weight_decay_(critic, DECAY_METHODS[lipschitz.method], lipschitz.weight_decay)
        optimizer.step()
        constrain_weights_(critic, lipschitz)
    return estimates


def fixed_target_critic(
    dataset: str,
    lipschitz: LipschitzConfig,
    sizes: Sizes,
    *,
    depth: int = 3,
    width: int | None = None,
    iters: int | None = None,
) -> tuple[nn.Sequential, dict[str, Any]]:
    """A critic trained against P_g = P_r + N(0, I) held fixed (Gulrajani et al. 2017, Section 3)
    under `lipschitz` (`constrained_critic` says with which optimizer). The toy critic (MLP
    sizes.width x 3) by default. Returns it with its W estimate over the last tenth of training."""
    critic, optimizer = constrained_critic(
        lipschitz, depth=depth, width=width or sizes.width, seed=sizes.seed
    )
    distribution = ToyDistribution(dataset)
    rng = torch.Generator().manual_seed(sizes.seed)

    def batches() -> tuple[Tensor, Tensor]:
        real = distribution.sample(sizes.batch, rng)
        return real, distribution.sample(sizes.batch, rng) + torch.randn(
            sizes.batch, 2, generator=rng
        )

    iters = sizes.critic_iters if iters is None else iters
    estimates = fit_critic(critic, optimizer, lipschitz, batches, iters, rng)
    tail = estimates[-max(1, len(estimates) // 10) :]
    return critic, {"estimate_last_tenth": statistics.fmean(tail)}


# ---------------------------------------------------------------------------------------------
# 3. The optimal critic: gradient norm 1, the exact Kantorovich potential
# ---------------------------------------------------------------------------------------------


def kantorovich_potential(y: np.ndarray, g: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """phi(z) = min_j (||z - y_j|| - g_j): the c-transform of the LP's dual g on the points y.

    A minimum of 1-Lipschitz cones, so phi is 1-Lipschitz with ||grad phi|| = 1 wherever it is
    differentiable, and for the optimal g, W1 = E_x phi(x) - E_y phi(y) (Kantorovich-Rubinstein).
    """

    def phi(z: np.ndarray) -> np.ndarray:
        distances = np.linalg.norm(z[:, None, :] - y[None, :, :], axis=2)  # (n_z, n_y)
        return (distances - g[None, :]).min(axis=1)

    return phi


@dataclass(frozen=True)
class FixedSets:
    """Two fixed point sets, X (8 Gaussians) and Y (N(0, 0.5^2 I)), with the exact solution of the
    linear program between them and its Kantorovich potential phi."""

    x: Tensor
    y: Tensor
    exact: Any  # wgan.distances' exact solution: distance, plan, duals
    phi: Callable[[np.ndarray], np.ndarray]
    stream: Tensor  # the state of the random stream after the draw: every fit starts from it

    @classmethod
    def draw(cls, sizes: Sizes) -> FixedSets:
        rng = torch.Generator().manual_seed(sizes.seed)
        x = ToyDistribution("8gaussians").sample(sizes.optimal_n, rng)
        y = 0.5 * torch.randn(sizes.optimal_n, 2, generator=rng)
        exact = wasserstein_exact(x.double().numpy(), y.double().numpy())
        phi = kantorovich_potential(y.double().numpy(), exact.g)
        return cls(x, y, exact, phi, rng.get_state())

    def fit(
        self, lipschitz: LipschitzConfig, sizes: Sizes
    ) -> tuple[nn.Sequential, torch.Generator]:
        """A toy critic trained on random pairs of the two sets under `lipschitz`; with the random
        stream it drew from (each fit draws the same pairs)."""
        rng = torch.Generator()
        rng.set_state(self.stream)
        critic, optimizer = constrained_critic(
            lipschitz, depth=3, width=sizes.width, seed=sizes.seed
        )
        n = sizes.optimal_n

        def batches() -> tuple[Tensor, Tensor]:
            i = torch.randint(n, (sizes.batch,), generator=rng)
            j = torch.randint(n, (sizes.batch,), generator=rng)
            return self.x[i], self.y[j]

        fit_critic(critic, optimizer, lipschitz, batches, sizes.critic_iters, rng)
        return critic, rng

    def agreement(self, critic: nn.Module) -> dict[str, float]:
        """How the critic's values on the two sets compare with the exact potential's: their
        correlation (scale-free: the shape of the function), and the estimate mean f(X) -
        mean f(Y) against the exact W1."""
        x, y = self.x.double().numpy(), self.y.double().numpy()
        with torch.no_grad():
            f_x = critic(self.x).squeeze(1).double().numpy()
            f_y = critic(self.y).squeeze(1).double().numpy()
        both_f, both_phi = np.concatenate([f_x, f_y]), np.concatenate([self.phi(x), self.phi(y)])
        spread = both_f.std()
        return {
            "correlation_critic_potential": (
                float(np.corrcoef(both_f, both_phi)[0, 1]) if spread > 0 else 0.0
            ),
            "critic_estimate": float(f_x.mean() - f_y.mean()),
            "estimate_over_exact_w1": float(f_x.mean() - f_y.mean()) / self.exact.distance,
        }


def optimal_critic(sizes: Sizes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A penalised critic trained on the fixed sets of `FixedSets`, against the exact solution
    of the linear program between them."""
    sets = FixedSets.draw(sizes)
    x, y, exact, phi = sets.x, sets.y, sets.exact, sets.phi
    critic, rng = sets.fit(PENALTY, sizes)
    # Points: the two sets, random interpolates (where the penalty looks) and interpolates on the
    # optimal plan's segments (where an optimal critic has slope exactly 1).
    eps = torch.rand(sizes.optimal_n, 1, generator=rng)
    random_mix = eps * x + (1 - eps) * y[torch.randperm(sizes.optimal_n, generator=rng)]
    partner = torch.from_numpy(exact.plan.argmax(axis=1))  # n = m, uniform: the plan is a matching
    on_plan = eps * x + (1 - eps) * y[partner]
    direction = (x - y[partner]) / (x - y[partner]).norm(dim=1, keepdim=True)
    plan_points = on_plan.requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(plan_points).sum(), plan_points)
    cosines = (grad * direction).sum(1) / grad.norm(dim=1)
    norms = {
        "real": input_gradient_norms(critic, x).numpy(),
        "generated": input_gradient_norms(critic, y).numpy(),
        "random interpolates": input_gradient_norms(critic, random_mix).numpy(),
        "interpolates on the optimal plan": input_gradient_norms(critic, on_plan).numpy(),
    }
    with torch.no_grad():
        f_x, f_y = critic(x).squeeze(1).double().numpy(), critic(y).squeeze(1).double().numpy()
    phi_x, phi_y = phi(x.double().numpy()), phi(y.double().numpy())
    both_f, both_phi = np.concatenate([f_x, f_y]), np.concatenate([phi_x, phi_y])
    both_f, both_phi = both_f - both_f.mean(), both_phi - both_phi.mean()
    agreement = sets.agreement(critic)
    summary: dict[str, Any] = {
        "n": sizes.optimal_n,
        "exact_w1": exact.distance,
        "potential_w1": float(phi_x.mean() - phi_y.mean()),  # equals exact_w1: the duality check
        "critic_estimate": agreement["critic_estimate"],
        "correlation_critic_potential": agreement["correlation_critic_potential"],
        "rms_critic_minus_potential": float(np.sqrt(np.mean((both_f - both_phi) ** 2))),
        "potential_spread_rms": float(np.sqrt(np.mean(both_phi**2))),
        "plan_direction_cosine_median": float(cosines.median()),
        "norms": {
            name: {
                "median": float(np.median(v)),
                "within_10_percent_of_1": float(np.mean(np.abs(v - 1.0) <= 0.1)),
            }
            for name, v in norms.items()
        },
    }
    arrays = {**norms, "f": both_f, "phi": both_phi}
    return summary, arrays


# ---------------------------------------------------------------------------------------------
# 4. The minimax generator loss saturates, the non-saturating one does not
# ---------------------------------------------------------------------------------------------


def _generator_gradient_norm(
    generator: nn.Module, critic: nn.Module, z: Tensor, loss: Callable[[Tensor], Tensor]
) -> float:
    params = list(generator.parameters())
    grads = torch.autograd.grad(loss(critic(generator(z))), params)
    return float(torch.cat([g.flatten() for g in grads]).norm())


def saturation(sizes: Sizes, generators: dict[str, nn.Module]) -> dict[str, Any]:
    """Train a fresh discriminator against each fixed generator; record its accuracy and the
    norms of the gradients of both generator losses with respect to the generator's weights."""
    results: dict[str, Any] = {}
    data = ToyDistribution("8gaussians")
    for name, generator in generators.items():
        generator = copy.deepcopy(generator).requires_grad_(True)
        torch.manual_seed(sizes.seed)
        critic = mlp(2, 1, width=sizes.width, depth=3, activation="relu")
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.999))
        rng = torch.Generator().manual_seed(sizes.seed)
        z_fixed = torch.randn(sizes.batch, 2, generator=rng)
        record: dict[str, list[float]] = {
            "step": [],
            "accuracy": [],
            "minimax": [],
            "nonsaturating": [],
        }
        for step in range(sizes.d_steps + 1):
            if step % sizes.d_every == 0:
                with torch.no_grad():
                    real_scores = critic(data.sample(sizes.batch, rng))
                    fake_scores = critic(generator(torch.randn(sizes.batch, 2, generator=rng)))
                record["step"].append(step)
                record["accuracy"].append(critic_accuracy(real_scores, fake_scores))
                for loss_name, loss in (
                    ("minimax", losses.minimax_generator_loss),
                    ("nonsaturating", losses.nonsaturating_generator_loss),
                ):
                    record[loss_name].append(
                        _generator_gradient_norm(generator, critic, z_fixed, loss)
                    )
            if step == sizes.d_steps:
                break
            with torch.no_grad():
                fake = generator(torch.randn(sizes.batch, 2, generator=rng))
            scores = critic(torch.cat([data.sample(sizes.batch, rng), fake]))
            critic_loss = losses.minimax_critic_loss(scores[: sizes.batch], scores[sizes.batch :])
            optimizer.zero_grad(set_to_none=True)
            critic_loss.backward()
            optimizer.step()
        results[name] = record | {
            "final_accuracy": record["accuracy"][-1],
            "minimax_ratio_last_to_first": record["minimax"][-1] / record["minimax"][0],
            "nonsaturating_ratio_last_to_first": record["nonsaturating"][-1]
            / record["nonsaturating"][0],
        }
    return results
