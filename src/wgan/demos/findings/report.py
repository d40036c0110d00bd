"""``wgan demo findings``: run the four experiments, write the figures, findings.json and
findings.md."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from wgan.demos.compare import machine
from wgan.demos.findings import figures
from wgan.demos.findings.experiments import (
    DEFAULT_SIZES,
    ESTIMATE_RUNS,
    TOY,
    Sizes,
    deep_gradient_norms,
    estimate_vs_exact,
    fixed_target_critic,
    optimal_critic,
    saturation,
)
from wgan.reporting.files import markdown_table, write_json, write_markdown

DEFAULT_OUT = Path("runs/demo-findings")
FIGURES = ("estimate.png", "clipping.png", "optimal_critic.png", "saturation.png")


def markdown(results: dict[str, Any]) -> str:
    """findings.md: the command and machine, then a table per experiment, then the figures."""
    est, deep, opt, sat = (
        results[k] for k in ("estimate", "clipping_norms", "optimal_critic", "saturation")
    )
    m = results["machine"]
    gpu = f", GPU {m['gpu']}" if m["gpu"] else ""
    lines = [
        "# Findings of the WGAN papers, reproduced",
        "",
        f"Command: `{results['command']}`; sizes: `{json.dumps(results['sizes'])}`; "
        f"{results['seconds']:.0f} s in all.",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs{gpu}; Python {m['python']}, torch {m['torch']}; "
        f"load average {m['load_average']} at the start.",
        "",
        "## 1. The critic's W estimate against the exact W1 (8 Gaussians)",
        "",
        *markdown_table(
            [
                "critic",
                "estimate / W1: median over the second half [range]",
                "at the end",
                "final median ||grad f|| at interpolates",
            ],
            [
                [
                    label,
                    f"{c['ratio_median_second_half']:.3g} "
                    f"[{c['ratio_min_second_half']:.3g}-{c['ratio_max_second_half']:.3g}]",
                    f"{c['ratio_last']:.3g}",
                    f"{c['final_grad_norm_median']:.3g}",
                ]
                for label, c in est.items()
            ],
            align="lrrr",
        ),
        "",
        "## 2. Weight clipping on the swiss roll: gradient norms through the critic's layers",
        "",
        *markdown_table(
            ["critic", "first layer", "last layer", "first / last"],
            [
                [
                    label,
                    f"{values[0]:.3g}",
                    f"{values[-1]:.3g}",
                    "0 (underflow)" if values[0] == 0 else f"{values[0] / values[-1]:.3g}",
                ]
                for label, values in deep.items()
            ],
            align="lrrr",
        ),
        "",
        "## 3. The optimal critic",
        "",
        f"Exact W1 between the two sets of {opt['n']}: {opt['exact_w1']:.4f} (the potential gives "
        f"{opt['potential_w1']:.4f}); the penalised critic's estimate {opt['critic_estimate']:.4f}. "
        f"Correlation of the critic with the exact potential {opt['correlation_critic_potential']:.4f} "
        f"(rms difference {opt['rms_critic_minus_potential']:.4f} for a spread of "
        f"{opt['potential_spread_rms']:.4f}); median cosine between the critic's gradient and the "
        f"optimal plan's direction on its segments {opt['plan_direction_cosine_median']:.4f}.",
        "",
        *markdown_table(
            ["points", "median ||grad f||", "share within 10% of 1"],
            [
                [name, f"{v['median']:.3f}", f"{100 * v['within_10_percent_of_1']:.1f}%"]
                for name, v in opt["norms"].items()
            ],
            align="lrr",
        ),
        "",
        "## 4. Saturation of the minimax generator loss",
        "",
        *markdown_table(
            [
                "generator",
                "final discriminator accuracy",
                "minimax gradient, last / first",
                "non-saturating, last / first",
            ],
            [
                [
                    name,
                    f"{r['final_accuracy']:.3f}",
                    f"{r['minimax_ratio_last_to_first']:.3g}",
                    f"{r['nonsaturating_ratio_last_to_first']:.3g}",
                ]
                for name, r in sat.items()
            ],
            align="lrrr",
        ),
        "",
        *(f"![{p}]({p})" for p in FIGURES),
        "",
    ]
    return "\n".join(lines)


def run_findings(
    out: Path | None = None, sizes: Sizes = DEFAULT_SIZES, *, command: str = "wgan demo findings"
) -> dict[str, Any]:
    """Run the four parts, write the figures, findings.json and findings.md; return the numbers."""
    out = Path(out or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    where = machine()
    print(f"findings into {out}", flush=True)
    print("1/4 critic estimate vs exact W1", flush=True)
    estimate, runs = estimate_vs_exact(sizes, out)
    figures.plot_estimate(out / "estimate.png", estimate)
    print("2/4 weight clipping", flush=True)
    norms = deep_gradient_norms(sizes)
    critics, fits = {}, {}
    for dataset in TOY:
        for method in ("clip", "gp"):
            critic, fit = fixed_target_critic(dataset, method, sizes)
            critics[(dataset, method)], fits[f"{dataset}, {method}"] = critic, fit
    figures.plot_clipping(out / "clipping.png", norms, critics, sizes)
    print("3/4 optimal critic", flush=True)
    optimal, arrays = optimal_critic(sizes)
    figures.plot_optimal(out / "optimal_critic.png", optimal, arrays)
    print("4/4 saturation", flush=True)
    torch.manual_seed(sizes.seed)
    fresh = copy.deepcopy(runs[ESTIMATE_RUNS[-1][0]].generator)
    for layer in fresh.modules():
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()
    trained = runs[ESTIMATE_RUNS[-1][0]].generator
    generators = {"untrained": fresh, f"WGAN-GP, {sizes.train_steps} steps": trained}
    saturated = saturation(sizes, generators)
    figures.plot_saturation(out / "saturation.png", saturated)
    results: dict[str, Any] = {
        "command": command,
        "machine": where,
        "sizes": asdict(sizes),
        "seconds": time.perf_counter() - start,
        "estimate": estimate,
        "clipping_norms": norms,
        "fixed_target_critics": fits,
        "optimal_critic": optimal,
        "saturation": saturated,
    }
    write_json(out / "findings.json", results)
    write_markdown(out / "findings.md", markdown(results))
    print(f"wrote {out}/findings.md, findings.json and four figures ({results['seconds']:.0f} s)")
    return results


def run_demo(out: Path | None) -> int:
    command = "wgan demo findings" + (f" --out {out}" if out else "")
    run_findings(out, command=command)
    return 0
