"""Pictures of a run: samples over the data with the critic's contour lines, curves, the report."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from wgan.lipschitz import PENALTY_METHODS
from wgan.reporting.diagnosis import diagnose
from wgan.reporting.files import save_figure, write_markdown
from wgan.reporting.tables import columns_of, markdown_table

REAL_COLOUR = "#ff7f0e"
FAKE_COLOUR = "#1f77b4"
ESTIMATE_COLOUR = "#2ca02c"


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
        if 0.25 <= (x1 - x0) / (y1 - y0) <= 4:  # columns on other scales fill the panel
            ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    ax.set_title(title)


def plot_distance_curves(ax: Axes, records: list[dict[str, Any]], *, own_scale: bool) -> None:
    """Exact W1 with its noise floor against the critic's W estimate, over generator steps (and
    the wall-clock seconds of training on the top axis, where the records have them).

    A clipped or spectrally normalised critic is K-Lipschitz for an unknown K, and the other GAN
    losses' critics estimate no W1 at all (their scores are logits, labels or energies): with
    `own_scale` the critic's score gap is drawn on its own axis. A critic trained on
    standardised points estimates W1 in those units: it is drawn on its own axis too, beside the
    exact W1 of the standardised sets.
    """
    evals = [r for r in records if r["kind"] == "eval"]
    train = [r for r in records if r["kind"] == "train"]
    standardized = bool(evals) and all(r.get("w1_standardized") is not None for r in evals)
    if evals:
        steps = [r["step"] for r in evals]
        ax.plot(steps, [r["w1"] for r in evals], "o-", color=FAKE_COLOUR, label="exact W1 (LP)")
        floor = np.array([r["w1_noise_floor"] for r in evals])
        ax.plot(steps, floor, "--", color="grey", label="noise floor")
        if all(r.get("w1_noise_floor_std") is not None for r in evals):
            spread = np.array([r["w1_noise_floor_std"] for r in evals])
            ax.fill_between(steps, floor - spread, floor + spread, color="grey", alpha=0.2)
        _seconds_axis(ax, evals)
    estimate_ax = ax.twinx() if own_scale or standardized else ax
    if standardized:
        estimate_ax.plot(
            steps,
            [r["w1_standardized"] for r in evals],
            "s:",
            color=ESTIMATE_COLOUR,
            label="exact W1, standardised",
        )
    if train:
        estimate_ax.plot(
            [r["step"] for r in train],
            [r["critic_w_estimate"] for r in train],
            color=ESTIMATE_COLOUR,
            alpha=0.7,
            label="critic W estimate" + (" (its own scale)" if own_scale else ""),
        )
    ax.set_xlabel("generator step")
    ax.set_ylabel("W1" + (" (data units)" if standardized else ""))
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if estimate_ax is not ax:
        unit = "standardised units" if standardized and not own_scale else "critic estimate"
        estimate_ax.set_ylabel(unit, color=ESTIMATE_COLOUR)
        more = estimate_ax.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, fontsize=7, loc="upper right")
    ax.set_title("critic's W estimate vs exact W1")


def _seconds_axis(ax: Axes, evals: list[dict[str, Any]]) -> None:
    """A top axis in wall-clock seconds of training, read off the evaluations' `elapsed_s`."""
    timed = [r for r in evals if r.get("elapsed_s") is not None]
    if len(timed) < 2:
        return
    steps = np.array([r["step"] for r in timed], dtype=float)
    seconds = np.array([r["elapsed_s"] for r in timed], dtype=float)
    if np.any(np.diff(steps) <= 0) or np.any(np.diff(seconds) <= 0):
        return  # a rollback or a restart re-evaluated a step: no single clock to read

    def to_seconds(x: Any) -> Any:
        return np.interp(x, steps, seconds)

    def to_steps(t: Any) -> Any:
        return np.interp(t, seconds, steps)

    top = ax.secondary_xaxis("top", functions=(to_seconds, to_steps))
    top.set_xlabel("seconds of training", fontsize=8)
    top.tick_params(labelsize=7)


def save_points_figure(path: Path, samples: np.ndarray, real: np.ndarray | None = None) -> None:
    """A scatter (or histogram) of generated points, over real ones when given."""
    fig, ax = plt.subplots(figsize=(5, 5))
    plot_points(
        ax, real if real is not None else samples[:0], samples, title=f"{len(samples)} samples"
    )
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def write_report(
    run_dir: Path,
    *,
    real: np.ndarray,
    fake: np.ndarray,
    critic: Callable[[np.ndarray], np.ndarray] | None,
    config: dict[str, Any],
    records: list[dict[str, Any]],
) -> Path:
    """report.png (samples with critic contours; W curves; precision, recall, density and
    coverage) and report.md (the evaluations of `records`, the run's metrics.jsonl), with the
    warnings of `wgan.reporting.diagnosis` beneath both.

    Without `critic` (a cGAN's critic needs a label) the samples are drawn without contours.
    """
    run_dir = Path(run_dir)
    own_scale = _estimate_on_own_scale(config)
    fig, (left, middle, right) = plt.subplots(
        1, 3, figsize=(18, 5), gridspec_kw={"width_ratios": [1, 1.1, 1.1]}
    )
    evals = [r for r in records if r["kind"] == "eval"]
    step = evals[-1]["step"] if evals else 0
    plot_points(left, real, fake, critic, title=f"{config['name']}, step {step}")
    plot_distance_curves(middle, records, own_scale=own_scale)
    plot_fidelity_diversity(right, evals, "the points")
    warnings = diagnose(config, records, finished=step >= config["steps"])
    text = "\n".join(textwrap.fill(f"warning: {w}", 210) for w in warnings)
    fig.tight_layout(rect=(0, min(0.4, 0.045 * (text.count("\n") + 1)) if text else 0, 1, 1))
    if text:
        fig.text(0.01, 0.01, text, color="firebrick", fontsize=8, va="bottom")
    markdown = report_markdown(config, evals)
    if warnings:
        markdown += "\n## Warnings\n\n" + "".join(f"- {w}\n" for w in warnings)
    return save_report(fig, run_dir, markdown, dpi=110)


def plot_fidelity_diversity(ax: Axes, evals: list[dict[str, Any]], space: str) -> None:
    """Precision and density (fidelity), recall and coverage (diversity) over generator steps;
    density has no upper bound (1 when the generated samples are distributed as the real ones)."""
    steps = [r["step"] for r in evals]
    styles = {"precision": "o-", "density": "s--", "recall": "o-", "coverage": "s--"}
    colours = {"precision": FAKE_COLOUR, "density": FAKE_COLOUR}
    shown = False
    for key, style in styles.items():
        if evals and all(r.get(key) is not None for r in evals):
            values = [float(r[key]) for r in evals]
            ax.plot(steps, values, style, ms=3, color=colours.get(key, REAL_COLOUR), label=key)
            shown = True
    if not shown:
        ax.text(0.5, 0.5, "no features", ha="center", va="center", transform=ax.transAxes)
    ax.axhline(1.0, color="k", lw=0.6)
    ax.set_xlabel("generator step")
    ax.set_title(f"fidelity (precision, density)\nand diversity (recall, coverage) on {space}")
    ax.grid(alpha=0.3)
    if shown:
        ax.legend(fontsize=7)


def save_report(fig: Figure, run_dir: Path, markdown: str, *, dpi: int) -> Path:
    """Write the figure to run_dir/report.png and the table to run_dir/report.md; close the figure."""
    path = run_dir / "report.png"
    save_figure(fig, path, dpi=dpi)
    write_markdown(run_dir / "report.md", markdown)
    return path


def markdown_head(config: dict[str, Any], evals: list[dict[str, Any]]) -> list[str]:
    """The lines every report.md starts with: title, description, the figure, the table of the
    evaluations (`wgan.reporting.tables`, the schema of the run's kind)."""
    return [
        f"# {config['name']}",
        "",
        config.get("description", ""),
        "",
        "![report](report.png)",
        "",
        *markdown_table(columns_of(config), evals),
    ]


def _estimate_on_own_scale(config: dict[str, Any]) -> bool:
    """Whether the critic's estimate is on another scale than W1 (see plot_distance_curves)."""
    return config["loss"] != "wasserstein" or config["lipschitz"]["method"] not in PENALTY_METHODS


def report_markdown(config: dict[str, Any], evals: list[dict[str, Any]]) -> str:
    lines = markdown_head(config, evals)
    lines += [
        "",
        "Exact W1 is the optimal-transport linear program between generated and held-out real samples "
        f"(n = {config['eval']['n']} each); the noise floor is the same distance between two real "
        "sets of that size, the value a perfect generator would show.",
        "",
    ]
    if config["loss"] != "wasserstein":
        lines.append(
            f"With the {config['loss']} loss the critic's scores are not a Wasserstein potential: "
            "its 'W estimate' is the gap between its mean scores on real and generated samples, "
            "on its own scale."
        )
    elif config["lipschitz"]["method"] not in PENALTY_METHODS:
        lines.append(
            "With a weight constraint (clipping, norm clipping, weight normalisation, weight "
            "decay) or spectral normalisation the critic is K-Lipschitz for an unknown K, so its "
            "W estimate is on another scale than W1; compare the shapes of the curves, not their "
            "values."
        )
    return "\n".join(lines) + "\n"
