"""Pictures of a run: samples over the data with the critic's contour lines, curves, the report."""

from __future__ import annotations

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
from wgan.reporting.files import save_figure, write_markdown
from wgan.reporting.tables import columns_of, markdown_table

REAL_COLOUR = "#ff7f0e"
FAKE_COLOUR = "#1f77b4"
ESTIMATE_COLOUR = "#2ca02c"
GRID_SIZE = 64  # images in the fixed-z grid saved at each evaluation of an image run


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


def plot_distance_curves(ax: Axes, records: list[dict[str, Any]], *, own_scale: bool) -> None:
    """Exact W1 with its noise floor against the critic's W estimate, over generator steps.

    A clipped or spectrally normalised critic is K-Lipschitz for an unknown K, and the other GAN
    losses' critics estimate no W1 at all (their scores are logits, labels or energies): with
    `own_scale` the critic's score gap is drawn on its own axis.
    """
    evals = [r for r in records if r["kind"] == "eval"]
    train = [r for r in records if r["kind"] == "train"]
    if evals:
        steps = [r["step"] for r in evals]
        ax.plot(steps, [r["w1"] for r in evals], "o-", color=FAKE_COLOUR, label="exact W1 (LP)")
        floor = np.array([r["w1_noise_floor"] for r in evals])
        ax.plot(steps, floor, "--", color="grey", label="noise floor")
        if all(r.get("w1_noise_floor_std") is not None for r in evals):
            spread = np.array([r["w1_noise_floor_std"] for r in evals])
            ax.fill_between(steps, floor - spread, floor + spread, color="grey", alpha=0.2)
    estimate_ax = ax.twinx() if own_scale else ax
    if train:
        estimate_ax.plot(
            [r["step"] for r in train],
            [r["critic_w_estimate"] for r in train],
            color=ESTIMATE_COLOUR,
            alpha=0.7,
            label="critic W estimate" + (" (its own scale)" if own_scale else ""),
        )
    ax.set_xlabel("generator step")
    ax.set_ylabel("W1")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if own_scale:
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
    coverage) and report.md (the evaluations of `records`, the run's metrics.jsonl).

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
    fig.tight_layout()
    return save_report(fig, run_dir, report_markdown(config, evals), dpi=110)


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


# ---- image runs ----------------------------------------------------------------------------


def image_grid(images: np.ndarray, *, ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Images (n, C, H, W) in [-1, 1] tiled into one picture (rows, cols, 3) in [0, 1].

    Rows of `ncols` images (default: a square-ish grid), `pad` pixels of white between them.
    """
    n, c, h, w = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    pictures = (np.clip(images, -1.0, 1.0) + 1.0) / 2.0
    if c == 1:
        pictures = np.repeat(pictures, 3, axis=1)
    grid = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3))
    for i, picture in enumerate(pictures):
        r, col = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[top : top + h, left : left + w] = picture.transpose(1, 2, 0)
    return grid


def save_image_grid(
    path: Path, images: np.ndarray, *, ncols: int | None = None, min_side: int = 256
) -> None:
    """A PNG grid of images (n, C, H, W) in [-1, 1], enlarged (nearest) to at least `min_side`."""
    from PIL import Image

    grid = image_grid(images, ncols=ncols)
    scale = max(1, int(np.ceil(min_side / max(grid.shape[:2]))))
    pixels = np.round(grid * 255).astype(np.uint8).repeat(scale, axis=0).repeat(scale, axis=1)
    Image.fromarray(pixels).save(path)


def _show_grid(ax: Axes, grid: np.ndarray, title: str) -> None:
    ax.imshow(grid, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def _progress_strip(run_dir: Path, count: int) -> list[tuple[int, np.ndarray]]:
    """Up to `count` of the saved sample grids, evenly spaced over training: (step, picture)."""
    from PIL import Image

    paths = sorted((run_dir / "samples").glob("step-*.png"))
    if len(paths) > count:
        paths = [paths[i] for i in np.linspace(0, len(paths) - 1, count).round().astype(int)]
    out = []
    for path in paths:
        with Image.open(path) as image:
            out.append((int(path.stem.split("-")[1]), np.asarray(image.convert("RGB"))))
    return out


def plot_image_curves(fid_ax: Axes, w_ax: Axes, records: list[dict[str, Any]]) -> None:
    """FID (with its noise floor) and KID over steps; critic W estimate and pixel W1 over steps."""
    evals = [r for r in records if r["kind"] == "eval"]
    train = [r for r in records if r["kind"] == "train"]
    steps = [r["step"] for r in evals]
    if evals and evals[-1].get("fid") is not None:
        name = evals[-1]["feature_extractor"]
        fid_ax.plot(
            steps, [r["fid"] for r in evals], "o-", color=FAKE_COLOUR, label=f"FID ({name})"
        )
        fid_ax.plot(
            steps, [r["fid_noise_floor"] for r in evals], "--", color="grey", label="real vs real"
        )
        fid_ax.set_yscale("log")
        kid_ax = fid_ax.twinx()
        kid_ax.plot(steps, [r["kid_mean"] for r in evals], ".:", color=REAL_COLOUR, label="KID")
        kid_ax.set_ylabel("KID", color=REAL_COLOUR)
        fid_ax.legend(fontsize=7, loc="upper right")
    else:
        fid_ax.text(0.5, 0.5, "no feature extractor\n(unlabelled data, no Inception weights)",
                    ha="center", va="center", transform=fid_ax.transAxes)  # fmt: skip
    fid_ax.set_xlabel("generator step")
    fid_ax.set_title("FID and KID to held-out images")
    fid_ax.grid(alpha=0.3)
    if train:
        w_ax.plot(
            [r["step"] for r in train],
            [r["critic_w_estimate"] for r in train],
            color=ESTIMATE_COLOUR,
            alpha=0.7,
            label="critic W estimate (training batches)",
        )
    if evals:
        w_ax.plot(steps, [r["w1_pixels"] for r in evals], "o-", color=FAKE_COLOUR,
                  label="exact W1, pixels (held out)")  # fmt: skip
        w_ax.plot(steps, [r["w1_pixels_noise_floor"] for r in evals], "--", color="grey",
                  label="W1 noise floor")  # fmt: skip
    w_ax.set_xlabel("generator step")
    w_ax.set_yscale("log")
    w_ax.grid(alpha=0.3)
    w_ax.legend(fontsize=7, loc="upper right")
    w_ax.set_title("critic's W estimate and exact W1 in pixel space")


def write_image_report(
    run_dir: Path,
    *,
    real: np.ndarray,
    fake: np.ndarray,
    interpolations: np.ndarray,
    config: dict[str, Any],
    records: list[dict[str, Any]],
) -> Path:
    """report.png (real vs generated, interpolations, samples over training, curves), report.md.

    real, fake: (n, C, H, W) in [-1, 1]; interpolations: (rows, steps, C, H, W).
    """
    run_dir = Path(run_dir)
    evals = [r for r in records if r["kind"] == "eval"]
    strip = _progress_strip(run_dir, 8)
    fig = plt.figure(figsize=(15, 12))
    grid_spec = fig.add_gridspec(3, max(3, len(strip)), height_ratios=[1.3, 0.6, 1.0])
    thirds = max(3, len(strip)) // 3
    step = evals[-1]["step"] if evals else 0
    panels = [fig.add_subplot(grid_spec[0, i * thirds : (i + 1) * thirds]) for i in range(3)]
    _show_grid(panels[0], image_grid(real[:64]), "held-out real images")
    _show_grid(panels[1], image_grid(fake[:64]), f"generated, step {step} (fixed z)")
    rows, steps = interpolations.shape[:2]
    _show_grid(
        panels[2],
        image_grid(interpolations.reshape(rows * steps, *interpolations.shape[2:]), ncols=steps),
        "latent interpolations (slerp)",
    )
    for i, (at, picture) in enumerate(strip):
        _show_grid(fig.add_subplot(grid_spec[1, i]), picture, f"step {at}")
    plot_image_curves(
        fig.add_subplot(grid_spec[2, :thirds]),
        fig.add_subplot(grid_spec[2, 2 * thirds :]),
        records,
    )
    plot_fidelity_diversity(fig.add_subplot(grid_spec[2, thirds : 2 * thirds]), evals, "features")
    fig.suptitle(config["name"])
    fig.tight_layout()
    return save_report(fig, run_dir, image_report_markdown(config, evals), dpi=100)


def image_report_markdown(config: dict[str, Any], evals: list[dict[str, Any]]) -> str:
    extractor = next((r["feature_extractor"] for r in evals if r.get("feature_extractor")), None)
    lines = markdown_head(config, evals)
    n = evals[-1]["n"] if evals else config["eval"]["n"]
    lines += [
        "",
        f"Each evaluation compares n = {n} generated images (from the EMA generator when there is "
        "one) with n held-out real ones. "
        + (
            f"FID and KID are computed on {extractor} features; 'real vs real' is the FID between "
            "two real sets of the same size, the value a perfect generator would show (FID is "
            "biased upwards at small n). "
            if extractor
            else "No feature extractor was available (unlabelled data and no Inception weights), "
            "so FID and KID are not computed. "
        )
        + "Classes and confidence come from a classifier trained on the labelled training split "
        "(a class counts as covered when at least 10% of its fair share of samples is classified "
        "as it). W1 is the exact optimal-transport distance between the flattened images.",
        "",
    ]
    return "\n".join(lines) + "\n"
