"""Pictures of a run: samples over the data with the critic's contour lines, curves, the report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

REAL_COLOUR = "#ff7f0e"
FAKE_COLOUR = "#1f77b4"
ESTIMATE_COLOUR = "#2ca02c"


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _bounds(*clouds: np.ndarray, margin: float = 0.15) -> tuple[float, float, float, float]:
    points = np.concatenate(clouds)
    low, high = np.quantile(points, 0.001, axis=0), np.quantile(points, 0.999, axis=0)
    pad = margin * (high - low).max()
    return low[0] - pad, high[0] + pad, low[1] - pad, high[1] + pad


def plot_points(
    ax: Axes,
    real: np.ndarray,
    fake: np.ndarray,
    critic: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    title: str = "samples",
) -> None:
    """Real (orange) and generated (blue) points; for 2-D data the critic's level sets beneath them.

    d = 1 shows histograms; d > 2 shows the first two coordinates.
    """
    if real.shape[1] == 1:
        bins = np.histogram_bin_edges(np.concatenate([real[:, 0], fake[:, 0]]), bins=60).tolist()
        ax.hist(real[:, 0], bins=bins, alpha=0.5, color=REAL_COLOUR, label="real", density=True)
        ax.hist(
            fake[:, 0], bins=bins, alpha=0.5, color=FAKE_COLOUR, label="generated", density=True
        )
    else:
        x0, x1, y0, y1 = _bounds(real[:, :2], fake[:, :2])
        if critic is not None and real.shape[1] == 2:
            gx, gy = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 120))
            grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
            values = critic(grid).reshape(gx.shape)
            filled = ax.contourf(gx, gy, values, levels=20, cmap="Greys", alpha=0.45)
            ax.contour(gx, gy, values, levels=20, colors="k", linewidths=0.3, alpha=0.5)
            ax.figure.colorbar(filled, ax=ax, label="critic f(x)", fraction=0.046, pad=0.04)
        ax.scatter(real[:, 0], real[:, 1], s=2, c=REAL_COLOUR, alpha=0.5, label="real (held out)")
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c=FAKE_COLOUR, alpha=0.5, label="generated")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    ax.set_title(title)


def plot_distance_curves(ax: Axes, records: list[dict[str, Any]], *, clipped: bool) -> None:
    """Exact W1 with its noise floor against the critic's W estimate, over generator steps.

    A clipped critic is K-Lipschitz for an unknown K, so its estimate is drawn on its own axis.
    """
    evals = [r for r in records if r["kind"] == "eval"]
    train = [r for r in records if r["kind"] == "train"]
    if evals:
        steps = [r["step"] for r in evals]
        ax.plot(steps, [r["w1"] for r in evals], "o-", color=FAKE_COLOUR, label="exact W1 (LP)")
        ax.plot(
            steps, [r["w1_noise_floor"] for r in evals], "--", color="grey", label="noise floor"
        )
    estimate_ax = ax.twinx() if clipped else ax
    if train:
        estimate_ax.plot(
            [r["step"] for r in train],
            [r["critic_w_estimate"] for r in train],
            color=ESTIMATE_COLOUR,
            alpha=0.7,
            label="critic W estimate" + (" (clipped: K x W1 at best)" if clipped else ""),
        )
    ax.set_xlabel("generator step")
    ax.set_ylabel("W1")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if clipped:
        estimate_ax.set_ylabel("critic estimate", color=ESTIMATE_COLOUR)
        more = estimate_ax.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, fontsize=7, loc="upper right")
    ax.set_title("critic's W estimate vs exact W1")


def save_points_figure(path: Path, samples: np.ndarray, real: np.ndarray | None = None) -> None:
    """A scatter (or histogram) of generated points, over real ones when given."""
    fig, ax = plt.subplots(figsize=(5, 5))
    plot_points(
        ax, real if real is not None else samples[:0], samples, title=f"{len(samples)} samples"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(
    run_dir: Path,
    *,
    real: np.ndarray,
    fake: np.ndarray,
    critic: Callable[[np.ndarray], np.ndarray],
    config: dict[str, Any],
) -> Path:
    """report.png (samples with critic contours; W curves) and report.md (the final numbers)."""
    run_dir = Path(run_dir)
    records = read_metrics(run_dir)
    clipped = config["lipschitz"]["method"] == "clip"
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    evals = [r for r in records if r["kind"] == "eval"]
    step = evals[-1]["step"] if evals else 0
    plot_points(left, real, fake, critic, title=f"{config['name']}, step {step}")
    plot_distance_curves(right, records, clipped=clipped)
    fig.tight_layout()
    path = run_dir / "report.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    (run_dir / "report.md").write_text(report_markdown(config, evals))
    return path


def report_markdown(config: dict[str, Any], evals: list[dict[str, Any]]) -> str:
    lines = [
        f"# {config['name']}",
        "",
        config.get("description", ""),
        "",
        "![report](report.png)",
        "",
        "| step | exact W1 | noise floor | critic W estimate | modes | high quality |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in evals:
        modes = f"{r['modes_covered']}/{r['modes_total']}" if r["modes_total"] else "n/a"
        quality = f"{r['high_quality']:.1%}" if r["high_quality"] is not None else "n/a"
        lines.append(
            f"| {r['step']} | {r['w1']:.4f} | {r['w1_noise_floor']:.4f} | "
            f"{r['critic_w_estimate']:.4f} | {modes} | {quality} |"
        )
    lines += [
        "",
        "Exact W1 is the optimal-transport linear program between generated and held-out real samples "
        f"(n = {config['eval']['n']} each); the noise floor is the same distance between two real "
        "sets of that size, the value a perfect generator would show.",
        "",
    ]
    if config["lipschitz"]["method"] == "clip":
        lines.append(
            "With weight clipping the critic is K-Lipschitz for an unknown K, so its W estimate is "
            "on another scale than W1; compare the shapes of the curves, not their values."
        )
    return "\n".join(lines) + "\n"
