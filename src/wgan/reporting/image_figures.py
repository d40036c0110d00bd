"""Pictures of an image run: sample grids, the samples over training, the curves, the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from wgan.reporting.figures import (
    ESTIMATE_COLOUR,
    FAKE_COLOUR,
    REAL_COLOUR,
    markdown_head,
    plot_fidelity_diversity,
    plt,
    save_report,
)

GRID_SIZE = 64  # images in the fixed-z grid saved at each evaluation of an image run


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
