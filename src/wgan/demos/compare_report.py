"""The report of `wgan compare`: compare.md's tables (with a protocol's published rows), the final
samples over real data, and quality against wall-clock time."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wgan.demos.protocols import PROTOCOLS, Protocol, Published
from wgan.reporting.files import markdown_table, save_figure

if TYPE_CHECKING:
    from wgan.demos.compare import CompareRequest

BUDGET_TOLERANCE = 0.15  # a run's training time within this share of the budget

# The toy numbers of the papers for 25 Gaussians, 2500 samples: (method, modes, high quality, source).
PUBLISHED_25 = (
    ("GAN", "3.3", "0.5%", "VEEGAN (Srivastava et al. 2017), Table 1"),
    ("Unrolled GAN", "23.6", "16%", "VEEGAN, Table 1"),
    ("VEEGAN", "24.6", "40%", "VEEGAN, Table 1"),
    ("WGAN-GP", "about 24", "29%", "as quoted in the project's issue"),
    ("PacGAN", "23.8", "91%", "PacGAN (Lin et al. 2018)"),
)


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


def _seconds(run: dict[str, Any], point: dict[str, Any]) -> float | None:
    """The training seconds (evaluations left out) before an evaluation, on the clock of the
    run's budget: CPU seconds for a CPU budget, else wall-clock."""
    key = "train_cpu_seconds" if run.get("budget_clock") == "cpu" else "train_seconds"
    return point.get(key)


def mean_curve(runs: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """(seconds, values): at each evaluation index that every run of `runs` reached, the mean
    time (`_seconds`) and the mean of `key` (W1 over its noise floor for 'w1') over the runs."""

    def value(e: dict[str, Any]) -> float | None:
        if key == "w1":
            return None if e["w1"] is None else e["w1"] / e["w1_noise_floor"]
        return e.get(key)

    finished = [r for r in runs if r["error"] is None and r.get("curve")]
    seconds, values = [], []
    for i in range(min((len(r["curve"]) for r in finished), default=0)):
        points = [(_seconds(r, r["curve"][i]), value(r["curve"][i])) for r in finished]
        known = [(t, v) for t, v in points if t is not None and v is not None]
        if known:
            seconds.append(statistics.fmean(t for t, _ in known))
            values.append(statistics.fmean(v for _, v in known))
    return seconds, values


def curves_figure(path: Path, records: list[dict[str, Any]]) -> None:
    """Exact W1 over its floor, precision and recall against seconds of training (on the clock
    of the budget): a column per data set, a line per method (means over the seeds at each
    evaluation)."""
    from wgan.reporting.figures import plt

    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    methods = list(dict.fromkeys(r["method"] for r in records))
    rows = (("w1", "W1 / noise floor"), ("precision", "precision"), ("recall", "recall"))
    fig, axes = plt.subplots(
        len(rows),
        len(datasets),
        figsize=(max(5.0, 3.6 * len(datasets)), 2.6 * len(rows)),
        squeeze=False,
    )
    colours = plt.get_cmap("tab10" if len(methods) <= 10 else "tab20")
    clock = "CPU" if records and records[0].get("budget_clock") == "cpu" else "wall-clock"
    for j, dataset in enumerate(datasets):
        for i, (key, label) in enumerate(rows):
            ax = axes[i, j]
            for k, method in enumerate(methods):
                runs = [r for r in records if r["dataset"] == dataset and r["method"] == method]
                seconds, values = mean_curve(runs, key)
                if seconds:
                    ax.plot(seconds, values, marker=".", color=colours(k % colours.N), label=method)
            if key == "w1":
                ax.set_yscale("log")
                ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
                ax.set_title(dataset, fontsize=10)
            ax.set_ylabel(label, fontsize=8)
            ax.tick_params(labelsize=7)
            if i == len(rows) - 1:
                ax.set_xlabel(f"{clock} seconds of training", fontsize=8)
    axes[0, -1].legend(fontsize=6, loc="upper right")
    fig.suptitle("quality against training time (means over the seeds)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=80)


def _times(seeds: list[int]) -> str:
    if len(seeds) == 1:
        return f"once (seed {seeds[0]})"
    return f"{len(seeds)} times (seeds {', '.join(map(str, seeds))})"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _steps(r: dict[str, Any]) -> str:
    low, high = r["steps_min"], r["steps_max"]
    return str(low) if low == high else f"{low}-{high}"


def _wall(r: dict[str, Any]) -> str:
    wall = f"{r['train_seconds']:.0f} s"
    if r["train_cpu_seconds"] is not None:
        wall += f" ({r['train_cpu_seconds']:.0f} s CPU)"
    return wall + (f" ({r['off_budget']} off budget)" if r["off_budget"] else "")


def _markdown_row(r: dict[str, Any], has_modes: bool) -> list[str]:
    """A (data set, method) row of compare.md: means over seeds, spreads where there are several."""
    method = r["method"] + (f" ({r['diverged']} of {r['seeds']} diverged)" if r["diverged"] else "")
    blank_modes = ["", "", ""] if has_modes else []
    if r["w1_mean"] is None:
        return [method, _steps(r), "diverged", "", "", "", *blank_modes, _wall(r)]
    several = r["seeds"] - r["diverged"] > 1
    w1 = f"{r['w1_mean']:.4f}" + (f" ± {r['w1_ci95']:.4f}" if several else "")
    row = [
        method,
        _steps(r),
        w1,
        f"{r['w1_noise_floor']:.4f}",
        f"{r['precision_mean']:.2f}",
        f"{r['recall_mean']:.2f}",
    ]
    if has_modes:
        modes = f"{r['modes_mean']:.1f}/{r['modes_total']}"
        quality = _pct(r["high_quality_mean"])
        if several:
            modes += f" ± {r['modes_ci95']:.1f} [{r['modes_min']}-{r['modes_max']}]"
            quality += f" ± {_pct(r['high_quality_ci95'])} ({_pct(r['high_quality_min'])})"
        kl = r["reverse_kl_mean"]
        row += [modes, quality, "" if kl is None else f"{kl:.2f}"]
    return [*row, _wall(r)]


def _length(header: dict[str, Any]) -> str:
    """How long the runs trained, in words."""
    if header["budget_s"] is not None:
        clock = "CPU" if header.get("budget_clock") == "cpu" else "wall-clock"
        return (
            f"each for the same {clock} budget of {header['budget_s']:g} s of training (its "
            "evaluations left out; the steps that fit were resolved from a timing of each run's "
            "steps in the process that trained it, and are given as a range over the seeds; a "
            f"run more than {BUDGET_TOLERANCE:.0%} away from the budget is counted as off budget)"
        )
    if header["steps"] is not None:
        return f"each for {header['steps']} generator steps"
    return "each for its preset's steps"


def markdown(summary: list[dict[str, Any]], header: dict[str, Any]) -> str:
    m, n = header["machine"], header["eval_n"]
    gpu = f", GPU {m['gpu']}" if m["gpu"] else ""
    protocol = None if header["protocol"] is None else PROTOCOLS[header["protocol"]]
    title = f"the {protocol.name} protocol" if protocol else "the toy data"
    lines = [
        f"# GAN methods on {title}",
        "",
        f"Command: `{header['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs{gpu}; Python {m['python']}, torch {m['torch']}; "
        f"load average {m['load_average']} at the start, {header['load_average_at_end']} at the "
        f"end. Date: {header['date']}. Wall time of this invocation "
        f"{header['total_seconds'] / 60:.1f} min; the runs' training times add up to "
        f"{header['train_seconds_sum'] / 60:.1f} min"
        + (
            f" ({header['reused']} of the runs were trained by an earlier invocation of the same "
            "command and reused; their times are that invocation's)."
            if header.get("reused")
            else "."
        ),
        "",
        f"Each method is the preset `<data set>-<method>` (see `wgan presets`), trained "
        f"{_times(header['seeds'])}, {_length(header)}, and evaluated "
        f"{header['evaluations'] + 1} times (the last at the end) on {n} generated and {n} held-out real "
        "samples. W1 is the exact optimal-transport distance between them; the noise floor is W1 "
        f"between two real sets of {n}, the score of a perfect generator; precision and recall "
        "are k-nearest-neighbour manifold estimates (k = 3). A mode is covered when at least one "
        "high-quality sample has it as nearest centre; a sample is high quality within 3 standard "
        "deviations of its nearest centre (VEEGAN's definitions); the reverse KL is that of the "
        "high-quality samples' mode histogram against uniform (PacGAN's). Means over seeds where a "
        "method has several runs, ± the half-width of the mean's 95% confidence interval "
        "(Student's t over the seeds), [min-max] for modes and (min) for the high-quality share; "
        "wall time is training without its evaluations, and the CPU time it had (on a shared "
        "machine less than the wall time times the threads). Ranked by mean W1.",
        "",
    ]
    if protocol is not None:
        lines += _protocol_notes(protocol, header)
    for dataset in dict.fromkeys(r["dataset"] for r in summary):
        has_modes = any(r["modes_total"] for r in summary if r["dataset"] == dataset)
        columns = ["method", "steps", "exact W1", "noise floor", "precision", "recall"]
        columns += [*(["modes", "high quality", "reverse KL"] if has_modes else []), "wall time"]
        rows = [_markdown_row(r, has_modes) for r in summary if r["dataset"] == dataset]
        lines += [f"## {dataset}", ""]
        lines += [*markdown_table(columns, rows, align="l" + "r" * (len(columns) - 1)), ""]
        if protocol is not None:
            lines += _published_table(protocol, dataset, summary)
    if protocol is None and "25gaussians" in header["datasets"]:
        lines += [
            "## Published toy numbers, 25 Gaussians, 2500 samples",
            "",
            *markdown_table(
                ["method", "modes (of 25)", "high quality", "source"],
                [list(row) for row in PUBLISHED_25],
                align="lrrl",
            ),
            "",
            "The papers use their own networks and training lengths; the data (a 5 x 5 grid of "
            "Gaussians with standard deviation 0.05 for a spacing of 2) and the definitions are "
            "the same up to scale (`wgan compare --protocol pacgan` runs their setting).",
            "",
        ]
    lines += ["![final samples](compare.png)", "", "![curves](curves.png)", ""]
    return "\n".join(lines)


def _protocol_notes(protocol: Protocol, header: dict[str, Any]) -> list[str]:
    shortened = header["steps"] is not None and header["steps"] != protocol.steps
    notes = [
        f"The {protocol.name} protocol (`wgan.demos.protocols`): PacGAN's data, networks (generator "
        "4 x 400 ReLU with BatchNorm, discriminator 3 x 200 maxout units of 5 pieces), batch 100 "
        f"and {protocol.steps} generator steps; {protocol.trials} trials; {protocol.eval_n} "
        "samples. Published rows: " + protocol.source + ", quoted from the paper, not rerun.",
        "",
    ]
    if shortened or header["budget_s"] is not None:
        notes += [
            f"**These runs are shorter than the protocol's {protocol.steps} steps**, so wgan's "
            "rows are not the protocol's result: they say where each method stands after the "
            "steps given here.",
            "",
        ]
    return notes


def _published_table(protocol: Protocol, dataset: str, summary: list[dict[str, Any]]) -> list[str]:
    """The paper's rows for `dataset` with wgan's measured ones beside them."""
    total = protocol.modes[dataset]
    rows = [_published_row(p, total, protocol) for p in protocol.published[dataset]]
    for r in summary:
        if r["dataset"] == dataset and r["w1_mean"] is not None:
            kl = r["reverse_kl_mean"]
            rows.append(
                [
                    f"wgan {r['method']} ({_steps(r)} steps)",
                    f"{r['modes_mean']:.1f}",
                    _pct(r["high_quality_mean"]),
                    "" if kl is None else f"{kl:.2f}",
                    "measured here",
                ]
            )
    return [
        f"{protocol.source.split(',')[0]}'s table for the {dataset} beside wgan's:",
        "",
        *markdown_table(
            ["method", f"modes (of {total})", "high quality", "reverse KL", "source"],
            rows,
            align="lrrrl",
        ),
        "",
    ]


def _published_row(p: Published, total: int, protocol: Protocol) -> list[str]:
    kl = "" if p.reverse_kl is None else f"{p.reverse_kl:.2f}"
    return [p.method, f"{p.modes:g}", _pct(p.high_quality), kl, protocol.source.split(":")[0]]
