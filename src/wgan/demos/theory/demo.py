"""``wgan demo theory``: the GAN theory of the notes, computed and compared with the closed forms.

Writes into the output directory (default ``runs/demo-theory``):

- ``optimal_discriminator.png``: trained discriminators against D* = p_r / (p_r + p_g), and how
  their error falls with the number of samples and of training steps;
- ``js_identity.png``: V(D*, G) three ways for several pairs, and 2 JS - log 4 against a shift;
- ``saturation.png``: the slopes of the generator losses in the logit, and the generator's
  gradient against the distance for the minimax, non-saturating and Wasserstein losses;
- ``bilinear_game.png``: trajectories of min_x max_y xy and their distance to (0, 0);
- ``continuity.png``: theta against steps on the parallel lines, and the generator's gradient
  against the critic's training steps;
- ``table.md`` and ``results.json``: every check with its expected value, computed value and
  tolerance, and the detailed numbers behind each figure.

Everything is seeded; the settings are those of :mod:`~wgan.demos.theory.settings` and are
written to ``results.json``. The checks and the tables are :mod:`~wgan.demos.theory.report`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan.demos.theory import bilinear_game, continuity, saturation, settings
from wgan.demos.theory.critics import GAMES
from wgan.demos.theory.densities import normal, uniform
from wgan.demos.theory.js_identity import (
    LOG4,
    IdentityCheck,
    check_identity,
    shifted,
    value_from_js,
)
from wgan.demos.theory.optimal_discriminator import (
    DStarCheck,
    check_optimal_discriminator,
    default_pair,
)
from wgan.demos.theory.report import Check, checks, markdown, results_json
from wgan.distances import uniform_shift
from wgan.reporting.files import write_json, write_markdown

__all__ = ["DEFAULT_OUT", "TheoryResults", "compute", "run_demo"]

DEFAULT_OUT = Path("runs/demo-theory")


@dataclass
class TheoryResults:
    """Everything the demo computes; the figures and tables are drawn from it."""

    dstar: list[DStarCheck]
    dstar_short: DStarCheck
    identity: list[IdentityCheck]
    js_shift: dict[str, Any]
    slopes: dict[str, Any]
    sat_sweep: dict[str, Any]
    sat_samples: list[dict[str, float]]
    sat_trained: list[saturation.ShiftGradients]
    game: dict[str, Any]
    lines: list[continuity.ThetaRun]
    lines_sweep: dict[str, Any]
    seconds: dict[str, float]  # wall time of each claim
    checks: list[Check]


@contextmanager
def _single_thread() -> Iterator[None]:
    # The networks here are tiny: on a shared 2-core machine one intra-op thread is 3 to 5
    # times faster than two (measured under load), and it keeps runs reproducible.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _claim_optimal_discriminator() -> dict[str, Any]:
    p_real, p_fake = default_pair()
    return {
        "dstar": [
            check_optimal_discriminator(p_real, p_fake, n=n, seed=s)
            for n in settings.DSTAR_NS
            for s in settings.DSTAR_SEEDS
        ],
        "dstar_short": check_optimal_discriminator(
            p_real, p_fake, n=2000, seed=settings.SEED, max_steps=settings.DSTAR_SHORT_STEPS
        ),
    }


def _claim_js_identity() -> dict[str, Any]:
    identity = [
        check_identity(
            a,
            b,
            n=settings.JS_N,
            seed=settings.SEED,
            bin_width=settings.JS_BIN,
            max_steps=settings.JS_MAX_STEPS,
        )
        for a, b in settings.js_pairs()
    ]
    js_shift = {
        "theta": settings.JS_SHIFTS,
        "normal": np.array(
            [value_from_js(normal(0, 1), normal(t, 1), settings.JS_BIN) for t in settings.JS_SHIFTS]
        ),
        "uniform": np.array(
            [
                value_from_js(uniform(0, 1), shifted(uniform(0, 1), t), settings.JS_BIN)
                for t in settings.JS_SHIFTS
            ]
        ),
        "uniform_closed_form": np.array(
            [2 * uniform_shift(t).js - LOG4 for t in settings.JS_SHIFTS]
        ),
    }
    return {"identity": identity, "js_shift": js_shift}


def _claim_saturation() -> dict[str, Any]:
    logits = torch.linspace(-10.0, 10.0, 401, dtype=torch.float64)
    slopes = saturation.logit_slopes(logits)
    return {
        "slopes": {"a": logits.numpy(), **{k: v.numpy() for k, v in slopes.items()}},
        "sat_sweep": saturation.sweep(settings.SAT_THETAS),
        "sat_samples": [
            saturation.sample_gradients(t, n=settings.SAT_SAMPLES, seed=settings.SEED)
            for t in settings.SAT_TRAINED
        ],
        "sat_trained": [
            saturation.trained_gradients(t, n=settings.SAT_N, seed=settings.SEED)
            for t in settings.SAT_TRAINED
        ],
    }


def _claim_bilinear_game() -> dict[str, Any]:
    return {
        "game": {
            m: bilinear_game.play(m, steps=settings.GAME_STEPS, eta=settings.GAME_ETA)
            for m in bilinear_game.METHODS
        }
    }


def _claim_continuity() -> dict[str, Any]:
    names = ("wgan-gp", "minimax", "nonsaturating")
    return {
        "lines": [
            continuity.train_theta(
                GAMES[g], steps=settings.LINES_STEPS, lr_theta=settings.LINES_LR, seed=settings.SEED
            )
            for g in names
        ],
        "lines_sweep": {
            "critic_steps": np.array(settings.LINES_CHECKPOINTS),
            **{
                g: continuity.critic_steps_sweep(
                    GAMES[g], settings.LINES_CHECKPOINTS, seed=settings.SEED
                )
                for g in names
            },
        },
    }


CLAIMS = {
    "1 optimal discriminator": _claim_optimal_discriminator,
    "2 JS identity": _claim_js_identity,
    "3 saturation": _claim_saturation,
    "4 xy game": _claim_bilinear_game,
    "5 continuity": _claim_continuity,
}


def compute() -> TheoryResults:
    """Run all five claims with the current settings, timing each, and check them."""
    parts: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, claim in CLAIMS.items():
        start = time.perf_counter()
        parts |= claim()
        seconds[name] = time.perf_counter() - start
    results = TheoryResults(**parts, seconds=seconds, checks=[])
    results.checks = checks(results)
    return results


def run_demo(out: Path | None = None) -> int:
    """Compute the five claims, write the figures and tables into ``out``, print a summary."""
    from rich.console import Console
    from rich.table import Table

    from wgan.demos.theory import figures

    out_dir = DEFAULT_OUT if out is None else Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _single_thread():
        results = compute()
    paths = {name: out_dir / file for name, file in figures.FIGURES.items()}
    figures.plot_optimal_discriminator(results, paths["optimal_discriminator"])
    figures.plot_js_identity(results, paths["js_identity"])
    figures.plot_saturation(results, paths["saturation"])
    figures.plot_bilinear_game(results, paths["bilinear_game"], settings.GAME_ETA)
    figures.plot_continuity(results, paths["continuity"], settings.LINES_LR)
    paths["table"] = out_dir / "table.md"
    paths["results"] = out_dir / "results.json"
    write_markdown(paths["table"], markdown(results))
    write_json(paths["results"], results_json(results))

    table = Table(title="GAN theory: closed form vs computed")
    for col in ("claim", "quantity", "expected", "computed", "ok"):
        table.add_column(col)
    for c in results.checks:
        table.add_row(c.claim, c.quantity, c.expected, c.computed, "yes" if c.passed else "NO")
    Console().print(table)
    for name, path in paths.items():
        print(f"  {name}: {path}")  # plain print: rich would wrap or restyle long paths
    return 0
