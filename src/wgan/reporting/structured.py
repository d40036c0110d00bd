"""The report pictures and tables of the conditional GANs and of CycleGAN.

- cGAN, AC-GAN: `codes.png`, one row of samples per class with z fixed down each column (images),
  or the samples coloured by their class (points); report.md gains the label accuracy.
- InfoGAN: `codes.png`, the categorical code varied with z and the continuous codes fixed (one
  row per code value), and each continuous code swept over [-1, 1] with everything else fixed;
  report.md gains the code-class agreement.
- CycleGAN: `report.png`, the held-out samples of each domain, their translations, the truth
  T(a) when the map is known and the cycle reconstructions, with the error curves; `report.md`,
  a table of the CycleGAN keys of `wgan evaluate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from wgan.reporting.figures import markdown_head, plot_points, save_report
from wgan.reporting.files import save_figure
from wgan.reporting.image_figures import _show_grid, image_grid


def _class_colours(k: int) -> np.ndarray:
    return plt.get_cmap("tab10" if k <= 10 else "tab20")(np.arange(k) % 20)


def _plot_classes(ax: Axes, grid: np.ndarray, what: str) -> None:
    """Points (K, P, d) coloured by class (or code); the first two coordinates."""
    for k, (points, colour) in enumerate(zip(grid, _class_colours(len(grid)), strict=True)):
        ax.scatter(points[:, 0], points[:, 1], s=3, color=colour, label=str(k), alpha=0.7)
    ax.set_aspect("equal")
    ax.legend(fontsize=6, markerscale=3, ncol=2, loc="upper right", title=what)
    ax.set_title(f"samples by {what}", fontsize=9)


def _plot_traversal(ax: Axes, traversal: np.ndarray, title: str) -> None:
    """Paths (rows, steps, d) of points as one code sweeps -1 -> 1, coloured by its value."""
    sweep = np.linspace(-1.0, 1.0, traversal.shape[1])
    for path in traversal:
        ax.plot(path[:, 0], path[:, 1], color="grey", lw=0.6, alpha=0.6)
        shown = ax.scatter(path[:, 0], path[:, 1], c=sweep, cmap="coolwarm", s=8, vmin=-1, vmax=1)
    ax.figure.colorbar(shown, ax=ax, label="code value", fraction=0.046, pad=0.04)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)


def write_codes_figure(
    run_dir: Path, *, gan: str, class_grid: np.ndarray, traversals: list[np.ndarray]
) -> Path:
    """codes.png: `class_grid` (K, P, *shape) and each continuous code's traversal
    (rows, steps, *shape), as image grids or as points."""
    images = class_grid.ndim == 5
    panels = 1 + len(traversals)
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 5.5), squeeze=False)
    what = "categorical code" if gan == "infogan" else "class"
    title = f"a row per {what}, z fixed down each column"
    if images:
        k, per = class_grid.shape[:2]
        grid = image_grid(class_grid.reshape(k * per, *class_grid.shape[2:]), ncols=per)
        _show_grid(axes[0, 0], grid, title)
    else:
        _plot_classes(axes[0, 0], class_grid, what)
    for j, traversal in enumerate(traversals):
        ax = axes[0, 1 + j]
        label = f"continuous code {j} from -1 to 1, the rest fixed"
        if images:
            rows, steps = traversal.shape[:2]
            flat = traversal.reshape(rows * steps, *traversal.shape[2:])
            _show_grid(ax, image_grid(flat, ncols=steps), label + " (left to right)")
        else:
            _plot_traversal(ax, traversal, label)
    fig.tight_layout()
    path = Path(run_dir) / "codes.png"
    save_figure(fig, path, dpi=100)
    return path


def codes_markdown(gan: str) -> str:
    """The report.md section of a conditional run: its figure and how to read its key (a column
    of the evaluation table)."""
    if gan == "infogan":
        name = "code-class agreement"
        meaning = (
            "the share of samples whose categorical code, under the best one-to-one renaming of "
            "codes to classes (Hungarian algorithm), is the class the data's classifier gives them"
        )
    else:
        name = "label accuracy"
        meaning = (
            "the share of samples generated for a label that the data's classifier gives that "
            "label (nearest mode for toy mixtures, nearest labelled points, or the evaluation "
            "classifier for images)"
        )
    lines = ["", "## Codes", "", "![codes](codes.png)", "", f"The {name} is {meaning}.", ""]
    return "\n".join(lines)


def _plot_cycle_curves(ax: Axes, evals: list[dict[str, Any]]) -> None:
    steps = [r["step"] for r in evals]
    for key, style, label in (
        ("cycle_error_a", ":", "cycle error |F(G(a)) - a|"),
        ("cycle_error_b", ":", "cycle error |G(F(b)) - b|"),
        ("translation_error_ab", "o-", "translation error |G(a) - T(a)|"),
        ("translation_error_ba", "s-", "translation error |F(b) - T^-1(b)|"),
    ):
        if evals and evals[-1].get(key) is not None:
            ax.plot(steps, [r[key] for r in evals], style, ms=3, label=label)
    if evals and evals[-1].get("translation_baseline_ab") is not None:
        ax.axhline(
            evals[-1]["translation_baseline_ab"], color="grey", ls="--", label="random target"
        )
    ax.set_xlabel("generator step")
    ax.set_ylabel("mean absolute error per coordinate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("cycle and translation errors (held out)")


def write_cycle_report(
    run_dir: Path,
    *,
    held: dict[str, np.ndarray],
    translated: dict[str, np.ndarray],
    cycled: dict[str, np.ndarray],
    truth: dict[str, np.ndarray] | None,
    config: dict[str, Any],
    records: list[dict[str, Any]],
) -> Path:
    """report.png and report.md of a CycleGAN run.

    `held` (domains "a", "b"), `translated` ("b" = G(a), "a" = F(b)), `cycled` ("a" = F(G(a)),
    "b" = G(F(b))) and `truth` ("b" = T(a), "a" = T^-1(b)) are arrays of samples.
    """
    run_dir = Path(run_dir)
    evals = [r for r in records if r["kind"] == "eval"]
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.5))
    for ax, (x, y) in zip(axes[:2], (("a", "b"), ("b", "a")), strict=True):
        arrow = "G" if x == "a" else "F"
        if held[x].ndim == 4:  # images: input, translation, truth, reconstruction
            rows = [held[x][:16], translated[y][:16]]
            names = ["input", f"{arrow}(input)"]
            if truth is not None:
                rows.append(truth[y][:16])
                names.append("true map")
            rows.append(cycled[x][:16])
            names.append("reconstruction")
            grid = image_grid(np.concatenate(rows), ncols=len(rows[0]))
            _show_grid(ax, grid, f"{x.upper()} -> {y.upper()}, rows: " + ", ".join(names))
        else:
            plot_points(ax, held[y], translated[y], title=f"{arrow}: {x.upper()} -> {y.upper()}")
            if truth is not None:
                ax.scatter(*truth[y][:200, :2].T, s=2, c="k", alpha=0.3, label="true map")
    _plot_cycle_curves(axes[2], evals)
    fig.suptitle(config["name"])
    fig.tight_layout()
    return save_report(fig, run_dir, cycle_markdown(config, evals), dpi=100)


def cycle_markdown(config: dict[str, Any], evals: list[dict[str, Any]]) -> str:
    lines = markdown_head(config, evals)
    lines += [
        "",
        "On the held-out samples of each domain. W1 is the exact distance between the "
        "translations and the target domain's held-out samples (flattened images), the floor "
        "the same distance between two real sets. Errors are mean absolute differences per "
        "coordinate (per pixel): the cycle error of the reconstruction, and, where data_b is "
        "data through a known map T, the translation error against T, beside that of a "
        "translator returning random real samples of the target domain.",
        "",
    ]
    return "\n".join(lines)
