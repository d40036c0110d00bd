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
PROGRESS_ROWS = 7  # saved steps shown in report.png's samples over training
PROGRESS_COUNT = 24  # samples of each of those steps
ARITHMETIC_GROUPS = (0, 1, 2)  # the classes a, b, c of the latent arithmetic a - b + c shown


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
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()


def grid_cells(picture: np.ndarray, *, side: int, ncols: int, count: int) -> np.ndarray:
    """The first `count` images (count, 3, side, side) in [0, 1] of a saved grid picture (rows,
    cols, 3) in [0, 255] or [0, 1]: `image_grid` of square images `side` wide, `ncols` a row,
    pad 1, enlarged by a whole factor (`save_image_grid`)."""
    scale = picture.shape[1] // (ncols * (side + 1) + 1)
    if picture.dtype == np.uint8:
        picture = picture / 255.0
    cells = []
    for i in range(count):
        r, c = divmod(i, ncols)
        top, left = (1 + r * (side + 1)) * scale, (1 + c * (side + 1)) * scale
        cell = picture[top : top + side * scale : scale, left : left + side * scale : scale]
        cells.append(cell.transpose(2, 0, 1))
    return np.stack(cells)


def _progress(run_dir: Path, rows: int, count: int, side: int) -> list[tuple[int, np.ndarray]]:
    """Up to `rows` of the saved sample grids, evenly spaced over training, as (step, the first
    `count` images of its fixed z (count, 3, side, side) in [0, 1])."""
    from PIL import Image

    paths = sorted((run_dir / "samples").glob("step-*.png"))
    if len(paths) > rows:
        paths = [paths[i] for i in np.linspace(0, len(paths) - 1, rows).round().astype(int)]
    out = []
    ncols = int(np.ceil(np.sqrt(GRID_SIZE)))
    for path in paths:
        with Image.open(path) as image:
            picture = np.asarray(image.convert("RGB"))
        out.append(
            (int(path.stem.split("-")[1]), grid_cells(picture, side=side, ncols=ncols, count=count))
        )
    return out


def _show_progress(ax: Axes, progress: list[tuple[int, np.ndarray]]) -> None:
    """One row of samples per saved step (the same z down each column), the step at the left."""
    if not progress:
        ax.text(0.5, 0.5, "no saved samples", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    rows = np.concatenate([cells for _, cells in progress])  # (steps * count, 3, side, side)
    count, side = len(progress[0][1]), progress[0][1].shape[-1]
    ax.imshow(image_grid(rows * 2.0 - 1.0, ncols=count), interpolation="nearest")
    ax.set_yticks([(side + 1) * (i + 0.5) for i in range(len(progress))])
    ax.set_yticklabels([f"step {at}" for at, _ in progress], fontsize=9)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("samples over training (the same z down each column)", fontsize=11)


def plot_confidence(ax: Axes, evals: list[dict[str, Any]]) -> None:
    """Mean top-class probability over steps, generated (solid) against held-out real
    (dashed, the same colour): wgan's own classifier and each outside judge."""
    steps = [r["step"] for r in evals]
    shown = False
    colours = plt.get_cmap("tab10")
    if evals and all(r.get("confidence") is not None for r in evals):
        ax.plot(steps, [r["confidence"] for r in evals], "o-", ms=3, color="k",
                label="own CNN")  # fmt: skip
        ax.plot(steps, [r["confidence_real"] for r in evals], "--", color="k", lw=0.8)
        shown = True
    if evals and all(r.get("judges") for r in evals):
        for i, name in enumerate(evals[-1]["judges"]):
            colour = colours(i + 1)
            ax.plot(steps, [r["judges"][name]["confidence"] for r in evals], "o-", ms=3,
                    color=colour, label=name)  # fmt: skip
            ax.plot(steps, [r["judges"][name]["confidence_real"] for r in evals], "--",
                    color=colour, lw=0.8)  # fmt: skip
    if not shown:
        ax.text(0.5, 0.5, "no labels", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("generator step")
    ax.set_title(
        "classifiers' mean top-class probability\ngenerated (solid), held-out real (dashed)"
    )
    ax.grid(alpha=0.3)
    if shown:
        ax.legend(fontsize=7, loc="lower right")


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
    fid_ax.set_title("FID and KID\nto held-out images")
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
    w_ax.set_title("critic's W estimate\nand exact W1 in pixel space")


def write_image_report(
    run_dir: Path,
    *,
    real: np.ndarray,
    fake: np.ndarray,
    interpolations: np.ndarray,
    config: dict[str, Any],
    records: list[dict[str, Any]],
    arithmetic: np.ndarray | None = None,
) -> Path:
    """report.png and report.md of an image run.

    report.png: held-out real images, generated ones (fixed z), latent interpolations and, for a
    conditional run, latent arithmetic, large (`arithmetic` (rows, 4, C, H, W): G(m_0), G(m_1),
    G(m_2) and G(m_0 - m_1 + m_2) for the mean inputs m_k of the classes of ARITHMETIC_GROUPS, as
    `Run.latent_arithmetic` gives them);
    below them one row of 24 samples per saved step over training, the same z down each column;
    at the bottom the curves (FID and KID, precision/recall/density/coverage, the classifiers'
    confidence, the critic's W estimate and pixel W1). real, fake: (n, C, H, W) in [-1, 1];
    interpolations: (rows, steps, C, H, W).
    """
    run_dir = Path(run_dir)
    evals = [r for r in records if r["kind"] == "eval"]
    side = real.shape[-1]
    progress = _progress(run_dir, PROGRESS_ROWS, PROGRESS_COUNT, side)
    step = evals[-1]["step"] if evals else 0
    strip_height = 16 * max(1, len(progress)) * (side + 1) / (PROGRESS_COUNT * (side + 1))
    fig = plt.figure(figsize=(16, 5.0 + strip_height + 4.4))
    grid_spec = fig.add_gridspec(3, 4, height_ratios=[5.0, strip_height, 4.4])
    top = grid_spec[0, :].subgridspec(1, 3 if arithmetic is None else 4)
    _show_grid(fig.add_subplot(top[0]), image_grid(real[:64], ncols=8), "held-out real images")
    _show_grid(fig.add_subplot(top[1]), image_grid(fake[:64], ncols=8),
               f"generated, step {step} (fixed z)")  # fmt: skip
    rows, steps = interpolations.shape[:2]
    _show_grid(
        fig.add_subplot(top[2]),
        image_grid(interpolations.reshape(rows * steps, *interpolations.shape[2:]), ncols=steps),
        "latent interpolations (slerp)",
    )
    if arithmetic is not None:
        a, b, c = ARITHMETIC_GROUPS
        _show_grid(
            fig.add_subplot(top[3]),
            image_grid(arithmetic.reshape(-1, *arithmetic.shape[2:]), ncols=4),
            f"latent arithmetic: means of classes {a}, {b}, {c}\nand G(m_{a} - m_{b} + m_{c})",
        )
    _show_progress(fig.add_subplot(grid_spec[1, :]), progress)
    plot_image_curves(fig.add_subplot(grid_spec[2, 0]), fig.add_subplot(grid_spec[2, 3]), records)
    plot_fidelity_diversity(fig.add_subplot(grid_spec[2, 1]), evals, "features")
    plot_confidence(fig.add_subplot(grid_spec[2, 2]), evals)
    fig.suptitle(config["name"], fontsize=13)
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
        "as it). "
        + (
            "The outside judges (logistic regression, an RBF SVM, a random forest, 10-NN and an "
            "MLP on the pixels, fitted on the training split) give their mean top-class "
            f"probability on the generated and the held-out images; at the last evaluation the "
            f"largest gap (held-out minus generated) was {evals[-1]['judges_confidence_gap']:.3f}. "
            if evals and evals[-1].get("judges_confidence_gap") is not None
            else ""
        )
        + "W1 is the exact optimal-transport distance between the flattened images.",
        "",
    ]
    return "\n".join(lines) + "\n"
