"""The figures of `wgan compare`: final samples over real data, and quality against wall-clock time."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wgan.reporting.files import save_figure

if TYPE_CHECKING:
    from wgan.demos.compare import CompareRequest


def samples_figure(
    path: Path, records: list[dict[str, Any]], out: Path, request: CompareRequest
) -> None:
    """Generated samples (first seed) over held-out real ones: a row per method, a column per set."""
    import torch

    from wgan.data.sources import ToySource
    from wgan.reporting.figures import FAKE_COLOUR, REAL_COLOUR, plt

    assert request.seeds and request.methods and request.datasets and request.eval_n
    seed = request.seeds[0]
    methods, datasets = list(request.methods), list(request.datasets)
    fig, axes = plt.subplots(
        len(methods),
        len(datasets),
        figsize=(2.6 * len(datasets), 2.6 * len(methods)),
        squeeze=False,
    )
    by_key = {(r["method"], r["dataset"], r["seed"]): r for r in records}
    for j, dataset in enumerate(datasets):
        source = ToySource(dataset, seed=seed, device=torch.device("cpu"))
        real = source.holdout(request.eval_n).numpy()
        for i, method in enumerate(methods):
            ax = axes[i, j]
            record = by_key[(method, dataset, seed)]
            ax.scatter(real[:, 0], real[:, 1], s=1, c=REAL_COLOUR, alpha=0.4)
            if record["error"] is None:
                fake = np.load(out / "runs" / f"{dataset}-{method}-s{seed}" / "samples.npy")
                ax.scatter(fake[:, 0], fake[:, 1], s=1, c=FAKE_COLOUR, alpha=0.4)
                label = f"W1 {record['w1']:.3f}"
                if record["modes_total"]:
                    label += (
                        f", {record['modes_covered']}/{record['modes_total']}, "
                        f"{100 * record['high_quality']:.1f}%"
                    )
            else:
                label = "diverged"
            lim = 1.25 * float(np.abs(real).max())
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(label, fontsize=7)
            if j == 0:
                ax.set_ylabel(method, fontsize=9)
        axes[0, j].annotate(
            dataset, (0.5, 1.25), xycoords="axes fraction", ha="center", fontsize=10
        )
    fig.suptitle(f"final samples, seed {seed} (blue), over held-out data (orange)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=80)  # 33 panels of 2 x 2500 points: a committed figure stays small


def mean_curve(runs: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """(seconds, values): at each evaluation index that every run of `runs` reached, the mean
    elapsed time and the mean of `key` (W1 over its noise floor for 'w1') over the runs."""

    def value(e: dict[str, Any]) -> float | None:
        if key == "w1":
            return None if e["w1"] is None else e["w1"] / e["w1_noise_floor"]
        return e.get(key)

    curves = [r["curve"] for r in runs if r["error"] is None and r.get("curve")]
    seconds, values = [], []
    for i in range(min((len(c) for c in curves), default=0)):
        points = [(c[i]["elapsed_s"], value(c[i])) for c in curves]
        known = [(t, v) for t, v in points if t is not None and v is not None]
        if known:
            seconds.append(statistics.fmean(t for t, _ in known))
            values.append(statistics.fmean(v for _, v in known))
    return seconds, values


def curves_figure(path: Path, records: list[dict[str, Any]]) -> None:
    """Exact W1 over its floor, precision and recall against wall-clock seconds of training:
    a column per data set, a line per method (means over the seeds at each evaluation)."""
    from wgan.reporting.figures import plt

    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    methods = list(dict.fromkeys(r["method"] for r in records))
    rows = (("w1", "W1 / noise floor"), ("precision", "precision"), ("recall", "recall"))
    fig, axes = plt.subplots(
        len(rows), len(datasets), figsize=(3.6 * len(datasets), 2.6 * len(rows)), squeeze=False
    )
    colours = plt.get_cmap("tab20")
    for j, dataset in enumerate(datasets):
        for i, (key, label) in enumerate(rows):
            ax = axes[i, j]
            for k, method in enumerate(methods):
                runs = [r for r in records if r["dataset"] == dataset and r["method"] == method]
                seconds, values = mean_curve(runs, key)
                if seconds:
                    ax.plot(seconds, values, marker=".", color=colours(k % 20), label=method)
            if key == "w1":
                ax.set_yscale("log")
                ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
                ax.set_title(dataset, fontsize=10)
            ax.set_ylabel(label, fontsize=8)
            ax.tick_params(labelsize=7)
            if i == len(rows) - 1:
                ax.set_xlabel("wall-clock seconds of training", fontsize=8)
    axes[0, -1].legend(fontsize=6, loc="upper right")
    fig.suptitle("quality against training time (means over the seeds)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=80)
