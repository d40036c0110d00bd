"""The figures of ``wgan demo findings``, one per experiment, drawn from its numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from wgan.data.toy import ToyDistribution
from wgan.demos.findings.experiments import TOY, Sizes
from wgan.reporting.figures import ESTIMATE_COLOUR, plt
from wgan.reporting.files import save_figure


def plot_estimate(path: Path, curves: dict[str, Any]) -> None:
    labels = list(curves)
    fig, axes = plt.subplots(1, len(labels) + 1, figsize=(5 * (len(labels) + 1), 4.2))
    for ax, label in zip(axes, labels, strict=False):
        c = curves[label]
        clipped = label.startswith("clipping")
        ax.plot(c["steps"], c["exact_w1"], "o-", ms=3, label="exact W1 (linear program)")
        ax.axhline(c["noise_floor"], color="grey", ls="--", label="noise floor")
        twin = ax.twinx() if clipped else ax
        twin.plot(
            c["steps"],
            c["critic_estimate"],
            "s-",
            ms=3,
            color=ESTIMATE_COLOUR,
            label="critic estimate",
        )
        if clipped:
            twin.set_ylabel("critic estimate (its own scale)", color=ESTIMATE_COLOUR)
        ax.set_xlabel("generator step")
        ax.set_ylabel("W1")
        ax.set_title(label, fontsize=8)
        handles = ax.get_legend_handles_labels()[0] + (
            twin.get_legend_handles_labels()[0] if clipped else []
        )
        ax.legend(handles=handles, fontsize=7)
        ax.grid(alpha=0.3)
    ratio_ax = axes[-1]
    for label, marker in zip(labels, "os^D", strict=True):
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
    save_figure(fig, path, dpi=110)


def _contour_grid(dataset: str, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    half = {"8gaussians": 2.2, "25gaussians": 2.2, "swissroll": 2.2}[dataset]
    gx, gy = np.meshgrid(np.linspace(-half, half, n), np.linspace(-half, half, n))
    return gx, gy, np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def plot_clipping(
    path: Path,
    norms: dict[str, list[float]],
    critics: dict[tuple[str, str], nn.Sequential],
    sizes: Sizes,
) -> None:
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
    save_figure(fig, path, dpi=80)


def plot_optimal(path: Path, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
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
    save_figure(fig, path, dpi=110)


def plot_saturation(path: Path, results: dict[str, Any]) -> None:
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
    save_figure(fig, path, dpi=110)


def plot_constraints(path: Path, results: dict[str, Any]) -> None:
    """Part 5: each weight constraint's gradient ratio through the deep critic, its critic's
    correlation with the exact potential and its estimate over the exact W1, one bar each."""
    labels = list(results)
    rows = np.arange(len(labels))
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.45 * len(labels) + 1.5), sharey=True)
    panels = (
        ("first_over_last", "gradient norm, first layer / last (12 layers)", True),
        ("estimate_over_exact_w1", "critic estimate / exact W1 (3 layers)", True),
        ("correlation_critic_potential", "correlation with the exact potential", False),
    )
    for ax, (key, title, log) in zip(axes, panels, strict=True):
        values = [results[label][key] for label in labels]
        shown = [abs(v) if v else np.nan for v in values] if log else values
        ax.barh(rows, shown, color=["#1f77b4" if i else "#2ca02c" for i in range(len(labels))])
        if log:
            ax.set_xscale("log")
            ax.axvline(1.0, color="k", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(rows, labels, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle("weight constraints against the gradient penalty (green)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
