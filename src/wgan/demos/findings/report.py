"""``wgan demo findings``: run the five experiments, write the figures, findings.json and
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

from wgan.config import LipschitzConfig
from wgan.demos.compare import machine
from wgan.demos.findings import figures
from wgan.demos.findings.constraints import weight_constraints
from wgan.demos.findings.experiments import (
    DEFAULT_RUN,
    DEFAULT_SIZES,
    PENALTY,
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
FIGURES = (
    "estimate.png",
    "clipping.png",
    "optimal_critic.png",
    "saturation.png",
    "constraints.png",
)
FIXED_TARGET = {"clip": LipschitzConfig(method="clip", clip=0.01), "gp": PENALTY}


def markdown(results: dict[str, Any]) -> str:
    """findings.md: the command and machine, then a table per experiment, then the figures."""
    est, deep, opt, sat, constraints = (
        results[k]
        for k in ("estimate", "clipping_norms", "optimal_critic", "saturation", "constraints")
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
        "## 5. The other weight constraints",
        "",
        "The 12-layer critic of part 2 (swiss roll) and the 3-layer critic of part 3 (the two "
        "fixed sets) under each constraint; weight clipping with RMSProp, the others with Adam, "
        "as in parts 2 and 3.",
        "",
        *markdown_table(
            [
                "constraint",
                "12 layers: first / last gradient norm",
                "3 layers: estimate / exact W1",
                "correlation with the exact potential",
            ],
            [
                [
                    label,
                    "0 (underflow)"
                    if r["first_over_last"] is None
                    else f"{r['first_over_last']:.3g}",
                    f"{r['estimate_over_exact_w1']:.3g}",
                    f"{r['correlation_critic_potential']:.3f}",
                ]
                for label, r in constraints.items()
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
    """Run the five parts, write the figures, findings.json and findings.md; return the numbers."""
    out = Path(out or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    where = machine()
    print(f"findings into {out}", flush=True)
    print("1/5 critic estimate vs exact W1", flush=True)
    estimate, runs = estimate_vs_exact(sizes, out)
    figures.plot_estimate(out / "estimate.png", estimate)
    print("2/5 weight clipping", flush=True)
    norms = deep_gradient_norms(sizes)
    critics, fits = {}, {}
    for dataset in TOY:
        for method in ("clip", "gp"):
            critic, fit = fixed_target_critic(dataset, FIXED_TARGET[method], sizes)
            critics[(dataset, method)], fits[f"{dataset}, {method}"] = critic, fit
    figures.plot_clipping(out / "clipping.png", norms, critics, sizes)
    print("3/5 optimal critic", flush=True)
    optimal, arrays = optimal_critic(sizes)
    figures.plot_optimal(out / "optimal_critic.png", optimal, arrays)
    print("4/5 saturation", flush=True)
    torch.manual_seed(sizes.seed)
    fresh = copy.deepcopy(runs[DEFAULT_RUN].generator)
    for layer in fresh.modules():
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()
    trained = runs[DEFAULT_RUN].generator
    generators = {"untrained": fresh, f"WGAN-GP, {sizes.train_steps} steps": trained}
    saturated = saturation(sizes, generators)
    figures.plot_saturation(out / "saturation.png", saturated)
    print("5/5 other weight constraints", flush=True)
    constraints = weight_constraints(sizes)
    figures.plot_constraints(out / "constraints.png", constraints)
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
        "constraints": constraints,
    }
    write_json(out / "findings.json", results)
    write_markdown(out / "findings.md", markdown(results))
    print(f"wrote {out}/findings.md, findings.json and five figures ({results['seconds']:.0f} s)")
    return results


def run_demo(out: Path | None) -> int:
    command = "wgan demo findings" + (f" --out {out}" if out else "")
    run_findings(out, command=command)
    return 0
