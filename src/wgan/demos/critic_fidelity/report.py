"""``wgan demo critic-fidelity``: run the grid, summarise it, draw the figures and write
results.json and report.md."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan.demos.compare import machine
from wgan.demos.critic_fidelity.experiment import (
    DEFAULT_SIZES,
    DIGITS_DIM,
    FAMILIES,
    Sizes,
    fit_point,
    grid,
    lp_checks,
    make_pair,
    width_bound,
)
from wgan.reporting.files import jsonable, markdown_table, save_figure, write_json, write_markdown

DEFAULT_OUT = Path("runs/demo-critic-fidelity")
TOLERANCE = 0.1  # "off by more than 10%": |estimate / W1 - 1| > TOLERANCE
PRESET_CRITIC_STEPS = 12500  # the toy presets: 2500-5000 generator steps with n_critic 5
FIGURES = ("ratio_by_dimension.png", "ratio_by_steps.png")


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def _ratios(points: list[dict[str, Any]], steps: int) -> list[float]:
    return [c["ratio"] for p in points for c in p["checkpoints"] if c["steps"] == steps]


def summarise(points: list[dict[str, Any]], sizes: Sizes) -> dict[str, Any]:
    """Per critic, pair and dimension: estimate / W1 over the seeds at each step count; and per
    critic and pair, the dimensions whose every seed is within TOLERANCE at the point's own
    (largest) step count and at the presets' step count."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for p in points:
        groups.setdefault((p["critic"], p["family"], p["dim"]), []).append(p)
    table: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (critic, family, dim), group in sorted(groups.items(), key=lambda kv: kv[0][2]):
        by_steps = {}
        for steps in sizes.checkpoints:
            ratios = _ratios(group, steps)
            if ratios:
                by_steps[str(steps)] = {
                    "mean": statistics.fmean(ratios),
                    "min": min(ratios),
                    "max": max(ratios),
                    "within": all(abs(r - 1.0) <= TOLERANCE for r in ratios),
                }
        last = [p["checkpoints"][-1] for p in group]
        row = {
            "dim": dim,
            "steps": group[0]["steps"],
            "seeds": len(group),
            "ratio": by_steps,
            "grad_norm_median": statistics.fmean(c["grad_norm_median"] for c in last),
            "lipschitz_bound": statistics.fmean(c["lipschitz_bound"] for c in last),
            # The most a 1-Lipschitz critic of this width can reach (`width_bound`).
            "width_bound": width_bound(dim, sizes.width) if family == "scaling" else None,
        }
        table.setdefault(critic, {}).setdefault(family, []).append(row)
    thresholds: dict[str, dict[str, Any]] = {}
    for critic, families in table.items():
        for family, rows in families.items():
            thresholds.setdefault(critic, {})[family] = {
                "largest_steps": _threshold(rows, None),
                "preset_steps": _threshold(rows, PRESET_CRITIC_STEPS),
            }
    return {"table": table, "thresholds": thresholds}


def _threshold(rows: list[dict[str, Any]], steps: int | None) -> dict[str, Any]:
    """Dimensions within TOLERANCE (every seed) at `steps`, or at each row's own step count."""
    measured = [
        (row["dim"], row["ratio"][str(steps or row["steps"])]["within"])
        for row in rows
        if str(steps or row["steps"]) in row["ratio"]
    ]
    beyond = [d for d, within in measured if not within]
    return {
        "dims_measured": [d for d, _ in measured],
        "dims_within": [d for d, within in measured if within],
        "first_beyond": min(beyond) if beyond else None,
    }


# ---------------------------------------------------------------------------------------------
# Figures and report
# ---------------------------------------------------------------------------------------------


def _style_ratio_axis(ax: Any, critic: str) -> None:
    ax.axhspan(1 - TOLERANCE, 1 + TOLERANCE, color="0.85", zorder=0)
    ax.axhline(1.0, color="k", lw=0.8)
    if critic == "weight clipping":
        ax.set_yscale("log")  # far below 1 (its Lipschitz constant); a ratio <= 0 is left out
    ax.grid(alpha=0.3)


def plot(out: Path, summary: dict[str, Any], sizes: Sizes) -> None:
    """ratio_by_dimension.png: estimate / W1 against the dimension, a line per step count;
    ratio_by_steps.png: against the critic steps, a line per dimension. A row per critic; error
    bars span the seeds."""
    from wgan.reporting.figures import plt

    table = summary["table"]
    critics = [c for c in sizes.critics if c in table]
    families = [f for f in FAMILIES if any(f in table[c] for c in critics)]
    for name, x_is_dim in (("ratio_by_dimension.png", True), ("ratio_by_steps.png", False)):
        columns = [f for f in families if not (x_is_dim and f == "digits")]
        fig, axes = plt.subplots(
            len(critics), len(columns), figsize=(4.6 * len(columns), 3.2 * len(critics)),
            squeeze=False,
        )  # fmt: skip
        for row, critic in enumerate(critics):
            for col, family in enumerate(columns):
                ax = axes[row][col]
                rows = table[critic].get(family, [])
                if x_is_dim:
                    for k, steps in enumerate(sizes.checkpoints):
                        xs = [r["dim"] for r in rows if str(steps) in r["ratio"]]
                        got = [r["ratio"][str(steps)] for r in rows if str(steps) in r["ratio"]]
                        _errorbar(ax, xs, got, f"{steps} steps", color=f"C{k}")
                        if family == "translation" and "digits" in table[critic]:
                            digits = table[critic]["digits"][0]["ratio"].get(str(steps))
                            if digits is not None:
                                _errorbar(
                                    ax, [DIGITS_DIM], [digits], None, marker="*", color=f"C{k}"
                                )
                    if family == "scaling":
                        xs = [r["dim"] for r in rows]
                        bound = [r["width_bound"] for r in rows]
                        ax.plot(xs, bound, "k--", lw=1, label="width bound (1-Lipschitz)")
                    ax.set_xscale("log", base=2)
                    ax.set_xlabel("dimension" + (" (star: digits, 64-D)" if row == 0 else ""))
                else:
                    for r in rows:
                        counts = [int(s) for s in r["ratio"]]
                        _errorbar(ax, counts, list(r["ratio"].values()), f"d = {r['dim']}")
                    ax.set_xscale("log")
                    ax.set_xlabel("critic steps")
                _style_ratio_axis(ax, critic)
                ax.set_title(f"{critic}: {family}", fontsize=9)
                ax.set_ylabel("estimate / W1")
                ax.legend(fontsize=6)
        fig.tight_layout()
        save_figure(fig, out / name, dpi=100)


def _errorbar(
    ax: Any, xs: list[int], got: list[dict[str, Any]], label: str | None, **kw: Any
) -> None:
    if not xs:
        return
    mean = np.array([g["mean"] for g in got])
    low, high = mean - np.array([g["min"] for g in got]), np.array([g["max"] for g in got]) - mean
    ax.errorbar(xs, mean, yerr=[low, high], label=label, capsize=2, ms=4, **({"marker": "o"} | kw))


def _dims(dims: list[int]) -> str:
    return ", ".join(map(str, dims)) or "none"


def markdown(results: dict[str, Any]) -> str:
    """report.md: what ran, where, how long; the thresholds; a table per critic and pair."""
    sizes, m, summary = results["sizes"], results["machine"], results["summary"]
    gpu = f", GPU {m['gpu']}" if m["gpu"] else ""
    runs = results["invocations"]
    lines = [
        "# How far the critic's W estimate can be believed",
        "",
        f"Command: `{results['command']}`; {len(results['points'])} points, seeds "
        f"{sizes['seeds']}; {results['seconds']:.0f} s in all.",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs{gpu}; Python {m['python']}, torch {m['torch']}; "
        f"torch threads {runs[0]['threads']}.",
        "",
        *markdown_table(
            ["invocation", "points trained", "seconds", "load average at the start", "at the end"],
            [
                [
                    f"`{r['command']}`",
                    str(r["points_trained"]),
                    f"{r['seconds']:.0f}",
                    str(r["machine"]["load_average"]),
                    str(r.get("load_average_end", "-")),
                ]
                for r in runs
            ],
            align="lrrll",
        ),
        "",
        f"Sizes: `{json.dumps(results['sizes'])}`.",
        "",
        "## The exact W1 against the linear program (2-D)",
        "",
        *markdown_table(
            ["pair", "formula", "linear program"],
            [[k, f"{v['formula']:.6f}", f"{v['lp']:.6f}"] for k, v in results["lp_checks"].items()],
            align="lrr",
        ),
        "",
        f"## Dimensions within {TOLERANCE:.0%} (every seed)",
        "",
        *markdown_table(
            ["critic", "pair", "at each point's largest step count", "beyond", "at 12500 steps"],
            [
                [
                    critic,
                    family,
                    _dims(t["largest_steps"]["dims_within"]),
                    str(t["largest_steps"]["first_beyond"] or "-"),
                    f"{_dims(t['preset_steps']['dims_within'])} of "
                    f"{_dims(t['preset_steps']['dims_measured'])}"
                    if t["preset_steps"]["dims_measured"]
                    else "not run",
                ]
                for critic, families in summary["thresholds"].items()
                for family, t in families.items()
            ],
        ),
        "",
    ]
    checkpoints = [str(s) for s in sizes["checkpoints"]]
    lines += [
        "In the tables below, the median ‖∇f‖ is taken at the held-out samples of P and the "
        "Lipschitz bound is the product of the layers' spectral norms, both after the last step. "
        "The width bound (scaling) is the most that estimate / W1 can reach for a 1-Lipschitz "
        f"critic whose first layer has {sizes['width']} units: its gradient lies in a "
        f"{sizes['width']}-dimensional subspace, and the transport is along the rays from the "
        "origin.",
        "",
    ]
    for critic, families in summary["table"].items():
        for family, rows in families.items():
            lines += [
                f"## {critic}: {family} (estimate / W1, mean over seeds [min, max])",
                "",
                *markdown_table(
                    [
                        "dimension",
                        *(f"{s} steps" for s in checkpoints),
                        "median ‖∇f‖ at P, last",
                        "Lipschitz bound, last",
                        *(["width bound"] if family == "scaling" else []),
                    ],
                    [
                        [
                            str(r["dim"]),
                            *(
                                f"{g['mean']:.3g} [{g['min']:.3g}, {g['max']:.3g}]"
                                if (g := r["ratio"].get(s))
                                else "-"
                                for s in checkpoints
                            ),
                            f"{r['grad_norm_median']:.3g}",
                            f"{r['lipschitz_bound']:.3g}",
                            *([f"{r['width_bound']:.3g}"] if family == "scaling" else []),
                        ]
                        for r in rows
                    ],
                    align="r" * (len(checkpoints) + 3 + (family == "scaling")),
                ),
                "",
            ]
    lines += [f"![{name}]({name})" for name in FIGURES]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def _earlier_run(path: Path, sizes: Sizes) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The finished points and the invocations of an earlier run with the same sizes at `path`."""
    if not path.exists():
        return [], []
    try:
        stored = json.loads(path.read_text())
    except ValueError:
        return [], []
    if stored.get("sizes") != jsonable(asdict(sizes)):
        return [], []
    return list(stored.get("points", [])), list(stored.get("invocations", []))


def run_critic_fidelity(
    out: Path | None = None,
    sizes: Sizes = DEFAULT_SIZES,
    *,
    command: str = "wgan demo critic-fidelity",
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train and measure every point of the grid, writing results.json after each; then the
    figures and report.md. Points already in out/results.json from a run with the same sizes
    are kept, not rerun. Returns the results."""
    say = log or (lambda line: print(line, file=sys.stdout, flush=True))
    out = Path(out or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    points, invocations = _earlier_run(out / "results.json", sizes)
    done = {(p["family"], p["dim"], p["critic"], p["seed"]) for p in points}
    this: dict[str, Any] = {
        "command": command,
        "machine": machine(),
        "threads": torch.get_num_threads(),
        "points_trained": 0,
        "seconds": 0.0,
    }
    invocations.append(this)
    results: dict[str, Any] = {
        "command": invocations[0]["command"],
        "machine": invocations[0]["machine"],
        "sizes": asdict(sizes),
        "lp_checks": lp_checks(s=sizes.scale),
        "points": points,
        "invocations": invocations,
    }

    def clock() -> float:
        this["seconds"] = time.perf_counter() - start
        results["seconds"] = sum(r["seconds"] for r in invocations)
        return float(this["seconds"])

    todo = grid(sizes)
    say(f"critic fidelity into {out}: {len(todo)} points, {len(done)} done before")
    for i, (family, dim, steps, critic, seed) in enumerate(todo, 1):
        if (family, dim, critic, seed) in done:
            continue
        point = fit_point(make_pair(family, dim, sizes, seed), critic, steps, sizes, seed)
        points.append(point)
        this["points_trained"] += 1
        elapsed = clock()
        write_json(out / "results.json", results)
        ratios = ", ".join(f"{c['steps']}: {c['ratio']:.3g}" for c in point["checkpoints"])
        say(
            f"[{i}/{len(todo)}] {family} d={dim} {critic} seed {seed}: estimate / W1 at "
            f"{ratios} ({point['seconds']:.0f} s; {elapsed:.0f} s in all)"
        )
    results["summary"] = summarise(points, sizes)
    this["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    clock()
    write_json(out / "results.json", results)
    plot(out, results["summary"], sizes)
    write_markdown(out / "report.md", markdown(jsonable(results)))
    return results


def run_demo(out: Path | None) -> int:
    command = "wgan demo critic-fidelity" + (f" --out {out}" if out else "")
    run_critic_fidelity(out, command=command)
    return 0
