"""``wgan demo findings``: four findings of the WGAN papers, reproduced on the toy data.

1. ``estimate.png``: the critic's W estimate against the exact W1 during training, with weight
   clipping (WGAN, Algorithm 1) and with the gradient penalty (WGAN-GP) on 8 Gaussians.
2. ``clipping.png``: weight clipping with c in {0.1, 0.01, 0.001} on the swiss roll: the gradient
   of the critic loss with respect to each layer's activations explodes or vanishes through a deep
   critic, and stays flat under the penalty (Gulrajani et al. 2017, Figure 1b); and the level sets
   of critics trained to optimality against a fixed P_g = P_r + N(0, I), clipped and penalised
   (their Figure 1a).
3. ``optimal_critic.png``: a penalised critic trained on two fixed point sets against the exact
   Kantorovich potential of the linear program (``wgan.distances``): ||grad f|| at real,
   generated and interpolated points, and f against the potential.
4. ``saturation.png``: a discriminator trained against a fixed generator; as its accuracy goes to
   1 the gradient of the minimax generator loss vanishes and the non-saturating one does not
   (Arjovsky & Bottou 2017, Figure 2).

Writes the figures, ``findings.json`` (every number quoted) and ``findings.md`` into the output
directory (default ``runs/demo-findings``). :class:`Sizes` sets the run lengths; the defaults take
a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from wgan import losses
from wgan.compare import machine
from wgan.config import load_config
from wgan.data.toy import ToyDistribution
from wgan.distances import wasserstein_exact
from wgan.lipschitz import clip_weights_, gradient_penalty
from wgan.metrics.critic import critic_accuracy, input_gradient_norms
from wgan.models.mlp import mlp
from wgan.train import Trainer

DEFAULT_OUT = Path("runs/demo-findings")
CLIPS = (0.1, 0.01, 0.001)
TOY = ("8gaussians", "25gaussians", "swissroll")


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


# The runs of part 1: (label, preset, overrides). The default preset's lambda is the WGAN-GP paper
# code's toy value, 0.1; the paper's text uses 10.
ESTIMATE_RUNS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("clipping, c = 0.01", "8gaussians-wgan-clip", {}),
    (
        "penalty, lambda = 10",
        "8gaussians-wgan-gp",
        {"lipschitz": {"method": "gp", "gp_lambda": 10.0}},
    ),
    ("penalty, lambda = 0.1", "8gaussians-wgan-gp", {}),
)


def estimate_vs_exact(sizes: Sizes, out: Path) -> tuple[dict[str, Any], dict[str, Trainer]]:
    """Train WGAN (clipping) and WGAN-GP (lambda 10 and 0.1) on 8 Gaussians; record the critic's
    estimate and the exact W1 on the same held-out sets over training.

    The generator is evaluated without an EMA: the critic estimates W1 to the generator it is
    trained against. Returns the curves with their summary numbers, and the trainers.
    """
    curves: dict[str, Any] = {}
    runs = {}
    for label, preset, overrides in ESTIMATE_RUNS:
        trainer = _trainer(preset, sizes, out, ema_decay=None, **overrides)
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
        runs[label] = trainer
    return curves, runs


def _plot_estimate(path: Path, curves: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    labels = list(curves)
    fig, axes = plt.subplots(1, len(labels) + 1, figsize=(5 * (len(labels) + 1), 4.2))
    for ax, label in zip(axes, labels, strict=False):
        c = curves[label]
        clipped = label.startswith("clipping")
        ax.plot(c["steps"], c["exact_w1"], "o-", ms=3, label="exact W1 (linear program)")
        ax.axhline(c["noise_floor"], color="grey", ls="--", label="noise floor")
        twin = ax.twinx() if clipped else ax
        twin.plot(
            c["steps"], c["critic_estimate"], "s-", ms=3, color="#2ca02c", label="critic estimate"
        )
        if clipped:
            twin.set_ylabel("critic estimate (its own scale)", color="#2ca02c")
        ax.set_xlabel("generator step")
        ax.set_ylabel("W1")
        ax.set_title(label)
        handles = ax.get_legend_handles_labels()[0] + (
            twin.get_legend_handles_labels()[0] if clipped else []
        )
        ax.legend(handles=handles, fontsize=7)
        ax.grid(alpha=0.3)
    ratio_ax = axes[-1]
    for label, marker in zip(labels, "os^", strict=False):
        c = curves[label]
        ratio = np.array(c["critic_estimate"]) / np.array(c["exact_w1"])
        ratio_ax.plot(c["steps"][1:], ratio[1:], marker + "-", ms=3, label=label)
    ratio_ax.set_yscale("log")
    ratio_ax.axhline(1.0, color="k", lw=0.8)
    ratio_ax.set_xlabel("generator step")
    ratio_ax.set_title("critic estimate / exact W1")
    ratio_ax.legend(fontsize=7)
    ratio_ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    return [float(torch.cat([grads[i], grads[n + i]]).norm()) for i in range(n)]


def deep_gradient_norms(sizes: Sizes) -> dict[str, list[float]]:
    """Deep critics on the swiss roll, clipped at each c of CLIPS and penalised: per-layer norms."""
    rng = torch.Generator().manual_seed(sizes.seed + 1)
    data = ToyDistribution("swissroll")
    real = data.sample(sizes.batch, rng)
    fake = data.sample(sizes.batch, rng) + torch.randn(sizes.batch, 2, generator=rng)
    results = {}
    for label, method, clip in [
        *((f"clipping, c = {c:g}", "clip", c) for c in CLIPS),
        ("gradient penalty", "gp", 0.0),
    ]:
        critic, _ = fixed_target_critic(
            "swissroll",
            method,
            sizes,
            clip=clip,
            depth=sizes.deep_depth,
            width=sizes.deep_width,
            iters=sizes.deep_iters,
        )
        results[label] = activation_gradient_norms(critic, real, fake)
    return results


def fixed_target_critic(
    dataset: str,
    method: str,
    sizes: Sizes,
    *,
    clip: float = 0.01,
    gp_lambda: float = 10.0,
    depth: int = 3,
    width: int | None = None,
    iters: int | None = None,
) -> tuple[nn.Sequential, dict[str, Any]]:
    """A critic trained against P_g = P_r + N(0, I) held fixed (Gulrajani et al. 2017, Section 3):
    weight clipping at `clip` with RMSProp, or the gradient penalty with Adam. The toy critic
    (MLP sizes.width x 3) by default. Returns it with its W estimate over the last tenth of training."""
    torch.manual_seed(sizes.seed)
    critic = mlp(2, 1, width=width or sizes.width, depth=depth, activation="relu")
    distribution = ToyDistribution(dataset)
    rng = torch.Generator().manual_seed(sizes.seed)
    if method == "clip":
        optimizer: torch.optim.Optimizer = torch.optim.RMSprop(critic.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    estimates = []
    for _ in range(sizes.critic_iters if iters is None else iters):
        real = distribution.sample(sizes.batch, rng)
        fake = distribution.sample(sizes.batch, rng) + torch.randn(sizes.batch, 2, generator=rng)
        scores = critic(torch.cat([real, fake]))
        loss = losses.wasserstein_critic_loss(scores[: sizes.batch], scores[sizes.batch :])
        estimates.append(-float(loss.detach()))
        if method == "gp":
            eps = torch.rand(sizes.batch, generator=rng)
            penalty, _ = gradient_penalty(critic, real, fake, eps=eps)
            loss = loss + gp_lambda * penalty
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if method == "clip":
            clip_weights_(critic, clip)
    tail = estimates[-max(1, len(estimates) // 10) :]
    return critic, {"estimate_last_tenth": statistics.fmean(tail)}


def _contour_grid(dataset: str, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    half = {"8gaussians": 2.2, "25gaussians": 2.2, "swissroll": 2.2}[dataset]
    gx, gy = np.meshgrid(np.linspace(-half, half, n), np.linspace(-half, half, n))
    return gx, gy, np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def _plot_clipping(
    path: Path,
    norms: dict[str, list[float]],
    critics: dict[tuple[str, str], nn.Sequential],
    sizes: Sizes,
) -> None:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(16, 7.5))
    grid = fig.add_gridspec(2, 4)
    ax = fig.add_subplot(grid[:, 0])
    for label, values in norms.items():
        ax.plot(range(1, len(values) + 1), values, "o-", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("critic layer (input side first)")
    ax.set_ylabel("||d critic loss / d activations||")
    ax.set_title(f"{len(next(iter(norms.values())))}-layer critics, swiss roll")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    rng = torch.Generator().manual_seed(sizes.seed + 2)
    for j, dataset in enumerate(TOY):
        real = ToyDistribution(dataset).sample(500, rng).numpy()
        gx, gy, points = _contour_grid(dataset)
        for i, method in enumerate(("clip", "gp")):
            axis = fig.add_subplot(grid[i, j + 1])
            with torch.no_grad():
                values = (
                    critics[(dataset, method)](torch.from_numpy(points)).numpy().reshape(gx.shape)
                )
            axis.contourf(gx, gy, values, levels=25, cmap="viridis")
            axis.contour(gx, gy, values, levels=25, colors="k", linewidths=0.3, alpha=0.5)
            axis.scatter(real[:, 0], real[:, 1], s=1, c="#ff7f0e", alpha=0.6)
            axis.set_aspect("equal")
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(
                f"{dataset}: " + ("clipping, c = 0.01" if method == "clip" else "gradient penalty"),
                fontsize=9,
            )
    fig.suptitle(
        "critics trained against P_g = P_r + N(0, I): level sets over the real data",
        fontsize=10,
        x=0.62,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


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


def optimal_critic(sizes: Sizes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A penalised critic trained on fixed sets X (8 Gaussians) and Y (N(0, 0.5^2 I)), against the
    exact solution of the linear program between them."""
    rng = torch.Generator().manual_seed(sizes.seed)
    x = ToyDistribution("8gaussians").sample(sizes.optimal_n, rng)
    y = 0.5 * torch.randn(sizes.optimal_n, 2, generator=rng)
    exact = wasserstein_exact(x.double().numpy(), y.double().numpy())
    phi = kantorovich_potential(y.double().numpy(), exact.g)
    torch.manual_seed(sizes.seed)
    critic = mlp(2, 1, width=sizes.width, depth=3, activation="relu")
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(sizes.critic_iters):
        i = torch.randint(sizes.optimal_n, (sizes.batch,), generator=rng)
        j = torch.randint(sizes.optimal_n, (sizes.batch,), generator=rng)
        scores = critic(torch.cat([x[i], y[j]]))
        penalty, _ = gradient_penalty(
            critic, x[i], y[j], eps=torch.rand(sizes.batch, generator=rng)
        )
        loss = (
            losses.wasserstein_critic_loss(scores[: sizes.batch], scores[sizes.batch :])
            + 10.0 * penalty
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
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
    summary: dict[str, Any] = {
        "n": sizes.optimal_n,
        "exact_w1": exact.distance,
        "potential_w1": float(phi_x.mean() - phi_y.mean()),  # equals exact_w1: the duality check
        "critic_estimate": float(f_x.mean() - f_y.mean()),
        "correlation_critic_potential": float(np.corrcoef(both_f, both_phi)[0, 1]),
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


def _plot_optimal(path: Path, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    bins = np.linspace(0.0, 1.6, 65).tolist()
    for name in ("real", "generated", "random interpolates", "interpolates on the optimal plan"):
        left.hist(arrays[name], bins=bins, histtype="step", lw=1.5, label=name)
    left.axvline(1.0, color="k", lw=0.8, ls="--", label="exact potential: 1 almost everywhere")
    left.set_xlabel("||grad f(x)||")
    left.set_ylabel("points")
    left.set_title("gradient norms of a penalised critic")
    left.legend(fontsize=7)
    right.scatter(arrays["phi"], arrays["f"], s=3, alpha=0.5)
    low, high = float(arrays["phi"].min()), float(arrays["phi"].max())
    right.plot([low, high], [low, high], "k--", lw=0.8, label="f = phi")
    right.set_xlabel("exact Kantorovich potential phi (centred)")
    right.set_ylabel("critic f (centred)")
    right.set_title(
        f"critic vs potential: correlation {summary['correlation_critic_potential']:.3f}; "
        f"W estimate {summary['critic_estimate']:.3f}, exact W1 {summary['exact_w1']:.3f}",
        fontsize=9,
    )
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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


def _plot_saturation(path: Path, results: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    styles = {"minimax": "-", "nonsaturating": "--"}
    for name, record in results.items():
        for loss_name, style in styles.items():
            label = f"{loss_name}, {name} generator"
            axes[0].plot(record["step"], record[loss_name], style, label=label)
            axes[1].plot(record["accuracy"], record[loss_name], style + "o", ms=2, label=label)
    axes[0].set_xlabel("discriminator step (generator fixed)")
    axes[1].set_xlabel("discriminator accuracy")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylabel("||grad of the generator loss wrt G's weights||")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_title("as the discriminator trains")
    axes[1].set_title("against its accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# The demo
# ---------------------------------------------------------------------------------------------


def _markdown(results: dict[str, Any]) -> str:
    est, deep, opt, sat = (
        results[k] for k in ("estimate", "clipping_norms", "optimal_critic", "saturation")
    )
    m = results["machine"]
    gpu = f", GPU {m['gpu']}" if m["gpu"] else ""
    lines = [
        "# Findings of the WGAN papers, reproduced",
        "",
        f"Command: `{results['command']}`; sizes: `{json.dumps(results['sizes'])}`; "
        f"{results['seconds']:.0f} s in all.",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs{gpu}; Python {m['python']}, torch {m['torch']}; "
        f"load average {m['load_average']} at the start.",
        "",
        "## 1. The critic's W estimate against the exact W1 (8 Gaussians)",
        "",
        "| critic | estimate / W1: median over the second half [range] | at the end | "
        "final median \\|\\|grad f\\|\\| at interpolates |",
        "|---|---:|---:|---:|",
    ]
    for label, c in est.items():
        lines.append(
            f"| {label} | {c['ratio_median_second_half']:.3g} "
            f"[{c['ratio_min_second_half']:.3g}-{c['ratio_max_second_half']:.3g}] | "
            f"{c['ratio_last']:.3g} | {c['final_grad_norm_median']:.3g} |"
        )
    lines += [
        "",
        "## 2. Weight clipping on the swiss roll: gradient norms through the critic's layers",
        "",
        "| critic | first layer | last layer | first / last |",
        "|---|---:|---:|---:|",
    ]
    for label, values in deep.items():
        ratio = "0 (underflow)" if values[0] == 0 else f"{values[0] / values[-1]:.3g}"
        lines.append(f"| {label} | {values[0]:.3g} | {values[-1]:.3g} | {ratio} |")
    lines += [
        "",
        "## 3. The optimal critic",
        "",
        f"Exact W1 between the two sets of {opt['n']}: {opt['exact_w1']:.4f} (the potential gives "
        f"{opt['potential_w1']:.4f}); the penalised critic's estimate {opt['critic_estimate']:.4f}. "
        f"Correlation of the critic with the exact potential {opt['correlation_critic_potential']:.4f} "
        f"(rms difference {opt['rms_critic_minus_potential']:.4f} for a spread of "
        f"{opt['potential_spread_rms']:.4f}); median cosine between the critic's gradient and the "
        f"optimal plan's direction on its segments {opt['plan_direction_cosine_median']:.4f}.",
        "",
        "| points | median \\|\\|grad f\\|\\| | share within 10% of 1 |",
        "|---|---:|---:|",
    ]
    for name, v in opt["norms"].items():
        lines.append(f"| {name} | {v['median']:.3f} | {100 * v['within_10_percent_of_1']:.1f}% |")
    lines += [
        "",
        "## 4. Saturation of the minimax generator loss",
        "",
        "| generator | final discriminator accuracy | minimax gradient, last / first | non-saturating, last / first |",
        "|---|---:|---:|---:|",
    ]
    for name, r in sat.items():
        lines.append(
            f"| {name} | {r['final_accuracy']:.3f} | {r['minimax_ratio_last_to_first']:.3g} | "
            f"{r['nonsaturating_ratio_last_to_first']:.3g} |"
        )
    lines += [
        "",
        *(
            f"![{p}]({p})"
            for p in ("estimate.png", "clipping.png", "optimal_critic.png", "saturation.png")
        ),
        "",
    ]
    return "\n".join(lines)


def run_findings(
    out: Path | None = None, sizes: Sizes = Sizes(), *, command: str = "wgan demo findings"
) -> dict[str, Any]:
    """Run the four parts, write the figures, findings.json and findings.md; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    where = machine()
    print(f"findings into {out}", flush=True)
    print("1/4 critic estimate vs exact W1", flush=True)
    estimate, runs = estimate_vs_exact(sizes, out)
    _plot_estimate(out / "estimate.png", estimate)
    print("2/4 weight clipping", flush=True)
    norms = deep_gradient_norms(sizes)
    critics, fits = {}, {}
    for dataset in TOY:
        for method in ("clip", "gp"):
            critic, fit = fixed_target_critic(dataset, method, sizes)
            critics[(dataset, method)], fits[f"{dataset}, {method}"] = critic, fit
    _plot_clipping(out / "clipping.png", norms, critics, sizes)
    print("3/4 optimal critic", flush=True)
    optimal, arrays = optimal_critic(sizes)
    _plot_optimal(out / "optimal_critic.png", optimal, arrays)
    print("4/4 saturation", flush=True)
    torch.manual_seed(sizes.seed)
    fresh = copy.deepcopy(runs[ESTIMATE_RUNS[-1][0]].generator)
    for layer in fresh.modules():
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()
    trained = runs[ESTIMATE_RUNS[-1][0]].generator
    generators = {"untrained": fresh, f"WGAN-GP, {sizes.train_steps} steps": trained}
    saturated = saturation(sizes, generators)
    _plot_saturation(out / "saturation.png", saturated)
    results: dict[str, Any] = {
        "command": command,
        "machine": where,
        "sizes": asdict(sizes),
        "seconds": time.perf_counter() - start,
        "estimate": estimate,
        "clipping_norms": norms,
        "fixed_target_critics": fits,
        "optimal_critic": optimal,
        "saturation": saturated,
    }
    (out / "findings.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "findings.md").write_text(_markdown(results))
    print(f"wrote {out}/findings.md, findings.json and four figures ({results['seconds']:.0f} s)")
    return results


def run_demo(out: Path | None) -> int:
    command = "wgan demo findings" + (f" --out {out}" if out else "")
    run_findings(out, command=command)
    return 0
