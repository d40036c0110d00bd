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

Everything is seeded; the settings are the module constants below and are written to
``results.json``.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan.distances import uniform_shift
from wgan.theory import bilinear_game, continuity, saturation
from wgan.theory.critics import GAMES
from wgan.theory.densities import Density, normal, uniform
from wgan.theory.js_identity import LOG4, IdentityCheck, check_identity, shifted, value_from_js
from wgan.theory.optimal_discriminator import (
    MAX_ERROR_TOL,
    MEAN_ERROR_TOL,
    DStarCheck,
    check_optimal_discriminator,
    default_pair,
)

__all__ = ["DEFAULT_OUT", "Check", "TheoryResults", "compute", "run_demo"]

DEFAULT_OUT = Path("runs/demo-theory")
SEED = 0

# Claim 1: samples per density, seeds, and the too-short training that must fail.
DSTAR_NS = (500, 2000, 8000)
DSTAR_SEEDS = (0, 1, 2)
DSTAR_SHORT_STEPS = 25

# Claim 2: the pairs, samples per set for the trained discriminator, and the bin width for JS.
JS_N = 4000
JS_MAX_STEPS = 1500  # the uniform pairs keep improving slowly: D* jumps, the MLP is smooth
JS_BIN = 0.01
JS_BIN_TOL = 1e-4  # binning lowers JS by O(h^2): measured <= 1e-5 at h = 0.01 (h vs h/2)
JS_SHIFTS = np.round(np.linspace(-3.0, 3.0, 121), 10)  # multiples of JS_BIN: edges stay on bins

# Claim 3: the generator's shift theta (real data N(0, 1), generated N(theta, 1)).
SAT_THETAS = np.linspace(0.05, 8.0, 160)
SAT_TRAINED = (1.0, 2.0, 4.0, 8.0)
SAT_N = 2000
SAT_SAMPLES = 100_000  # samples for the autograd gradients through the exact D*
SAT_SLOPE_TOL = 0.05  # the trained GP critic is close to, not exactly, linear

# Claim 4: step size and steps for min_x max_y xy.
GAME_ETA = 0.1
GAME_STEPS = 500

# Claim 5: parallel lines, and the critic-step checkpoints for the gradient sweep.
LINES_STEPS = 300
LINES_LR = 0.01
LINES_CHECKPOINTS = (1, 3, 10, 30, 100, 300, 1000)
LINES_NEAR = 0.05  # "theta has reached 0": |theta| below this


def js_pairs() -> list[tuple[Density, Density]]:
    """The (p_r, p_g) pairs of claim 2: smooth, overlapping, nearly and exactly disjoint."""
    return [
        default_pair(),
        (normal(0.0, 1.0), normal(1.0, 1.0)),
        (normal(0.0, 1.0), normal(4.0, 1.0)),
        (uniform(0.0, 1.0), uniform(0.5, 1.5)),
        (uniform(0.0, 1.0), uniform(2.0, 3.0)),
    ]


@dataclass(frozen=True)
class Check:
    """One line of the summary: a claim's quantity, what theory says, what was computed."""

    claim: str
    quantity: str
    expected: str
    computed: str
    tolerance: str
    passed: bool


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


def _first_below(values: Any, bound: float) -> int | None:
    hits = np.flatnonzero(np.abs(values) < bound)
    return int(hits[0]) if hits.size else None


def _claim_optimal_discriminator() -> dict[str, Any]:
    p_real, p_fake = default_pair()
    return {
        "dstar": [
            check_optimal_discriminator(p_real, p_fake, n=n, seed=s)
            for n in DSTAR_NS
            for s in DSTAR_SEEDS
        ],
        "dstar_short": check_optimal_discriminator(
            p_real, p_fake, n=2000, seed=SEED, max_steps=DSTAR_SHORT_STEPS
        ),
    }


def _claim_js_identity() -> dict[str, Any]:
    identity = [
        check_identity(a, b, n=JS_N, seed=SEED, bin_width=JS_BIN, max_steps=JS_MAX_STEPS)
        for a, b in js_pairs()
    ]
    js_shift = {
        "theta": JS_SHIFTS,
        "normal": np.array([value_from_js(normal(0, 1), normal(t, 1), JS_BIN) for t in JS_SHIFTS]),
        "uniform": np.array(
            [value_from_js(uniform(0, 1), shifted(uniform(0, 1), t), JS_BIN) for t in JS_SHIFTS]
        ),
        "uniform_closed_form": np.array([2 * uniform_shift(t).js - LOG4 for t in JS_SHIFTS]),
    }
    return {"identity": identity, "js_shift": js_shift}


def _claim_saturation() -> dict[str, Any]:
    logits = torch.linspace(-10.0, 10.0, 401, dtype=torch.float64)
    slopes = saturation.logit_slopes(logits)
    return {
        "slopes": {"a": logits.numpy(), **{k: v.numpy() for k, v in slopes.items()}},
        "sat_sweep": saturation.sweep(SAT_THETAS),
        "sat_samples": [
            saturation.sample_gradients(t, n=SAT_SAMPLES, seed=SEED) for t in SAT_TRAINED
        ],
        "sat_trained": [saturation.trained_gradients(t, n=SAT_N, seed=SEED) for t in SAT_TRAINED],
    }


def _claim_bilinear_game() -> dict[str, Any]:
    return {
        "game": {
            m: bilinear_game.play(m, steps=GAME_STEPS, eta=GAME_ETA) for m in bilinear_game.METHODS
        }
    }


def _claim_continuity() -> dict[str, Any]:
    names = ("wgan-gp", "minimax", "nonsaturating")
    return {
        "lines": [
            continuity.train_theta(GAMES[g], steps=LINES_STEPS, lr_theta=LINES_LR, seed=SEED)
            for g in names
        ],
        "lines_sweep": {
            "critic_steps": np.array(LINES_CHECKPOINTS),
            **{
                g: continuity.critic_steps_sweep(GAMES[g], LINES_CHECKPOINTS, seed=SEED)
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


def _steps_text(step: int | None) -> str:
    return "never" if step is None else str(step)


def compute() -> TheoryResults:
    """Run all five claims with the module settings, timing each."""
    parts: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, claim in CLAIMS.items():
        start = time.perf_counter()
        parts |= claim()
        seconds[name] = time.perf_counter() - start
    results = TheoryResults(**parts, seconds=seconds, checks=[])
    results.checks = checks(results)
    return results


# ---------------------------------------------------------------------------------------------
# The summary of checks
# ---------------------------------------------------------------------------------------------


def _g(v: float) -> str:
    return f"{v:.4g}"


def _dstar_checks(r: TheoryResults) -> list[Check]:
    out = []
    tol = f"mean <= {MEAN_ERROR_TOL:g}, max <= {MAX_ERROR_TOL:g}"
    for n in DSTAR_NS:
        runs = [c for c in r.dstar if c.n == n]
        if n < 2000:
            continue  # the tolerance is set at n = 2000; smaller n is shown, not checked
        for c in runs:
            out.append(
                Check(
                    "1 optimal D",
                    f"|D - D*| on [-2.5, 2.5], n={n}, seed {c.seed}",
                    "0",
                    f"mean {c.mean_error:.4f}, max {c.max_error:.4f}",
                    tol,
                    c.within_tolerance,
                )
            )
    means = {n: float(np.mean([c.mean_error for c in r.dstar if c.n == n])) for n in DSTAR_NS}
    out.append(
        Check(
            "1 optimal D",
            "mean error falls with n (mean over seeds)",
            "decreasing",
            ", ".join(f"{means[n]:.4f}" for n in DSTAR_NS),
            "strictly decreasing",
            all(means[a] > means[b] for a, b in itertools.pairwise(DSTAR_NS)),
        )
    )
    s = r.dstar_short
    out.append(
        Check(
            "1 optimal D",
            f"stopped after {DSTAR_SHORT_STEPS} steps (n=2000): must fail",
            "outside tolerance",
            f"mean {s.mean_error:.4f}, max {s.max_error:.4f}",
            tol,
            not s.within_tolerance,
        )
    )
    return out


def _identity_checks(r: TheoryResults) -> list[Check]:
    out = []
    for c in r.identity:
        out.append(
            Check(
                "2 JS identity",
                f"{c.name}: 2 JS - log 4 (bins {c.bin_width:g}) vs V(D*) by quadrature",
                _g(c.quadrature),
                _g(c.from_js),
                f"|diff| <= {JS_BIN_TOL:g}",
                abs(c.from_js - c.quadrature) <= JS_BIN_TOL,
            )
        )
        out.append(
            Check(
                "2 JS identity",
                f"{c.name}: trained D on {c.n} fresh samples vs V(D) by quadrature",
                _g(c.trained_quadrature),
                f"{c.trained:.4g} +- {c.trained_se:.2g}",
                "3 standard errors",
                abs(c.trained - c.trained_quadrature) <= 3 * c.trained_se,
            )
        )
        out.append(
            Check(
                "2 JS identity",
                f"{c.name}: gap V(D*) - V(D) of the trained D",
                ">= 0, small",
                f"{c.gap:.2e}",
                "0 <= gap <= 0.01",
                -1e-6 <= c.gap <= 0.01,
            )
        )
    disjoint = r.identity[-1]
    out.append(
        Check(
            "2 JS identity",
            f"{disjoint.name}: dV/dtheta (quadrature, JS, trained D)",
            "0",
            f"{disjoint.grad_quadrature:.1e}, {disjoint.grad_js:.1e}, {disjoint.grad_trained:.1e}",
            "|grad| <= 1e-4",
            max(abs(disjoint.grad_quadrature), abs(disjoint.grad_js), abs(disjoint.grad_trained))
            <= 1e-4,
        )
    )
    return out


def _saturation_checks(r: TheoryResults) -> list[Check]:
    a = r.slopes["a"]
    sigmoid = 1.0 / (1.0 + np.exp(-a))
    err_mm = float(np.max(np.abs(r.slopes["minimax"] + sigmoid)))
    err_ns = float(np.max(np.abs(r.slopes["nonsaturating"] - (sigmoid - 1.0))))
    out = [
        Check(
            "3 saturation",
            "d/da log(1 - sigmoid(a)) by autograd, a in [-10, 10]",
            "-sigmoid(a)",
            f"max |diff| {err_mm:.1e}",
            "<= 1e-12",
            err_mm <= 1e-12,
        ),
        Check(
            "3 saturation",
            "d/da -log sigmoid(a) by autograd",
            "sigmoid(a) - 1",
            f"max |diff| {err_ns:.1e}",
            "<= 1e-12",
            err_ns <= 1e-12,
        ),
    ]
    for theta, s in zip(SAT_TRAINED, r.sat_samples, strict=True):
        exact = saturation.expected_gradients(theta)
        tol = 1.5 * theta / math.sqrt(SAT_SAMPLES)  # 3 se, since 0 <= D* <= 1 has sd <= 1/2
        ok = all(abs(s[k] - exact[k]) <= tol for k in ("minimax", "nonsaturating"))
        out.append(
            Check(
                "3 saturation",
                f"theta={theta:g}: generator gradients through D* on samples vs quadrature",
                f"{_g(exact['minimax'])}, {_g(exact['nonsaturating'])}",
                f"{_g(s['minimax'])}, {_g(s['nonsaturating'])}",
                f"<= {tol:.1e} (3 se)",
                ok,
            )
        )
    far = saturation.expected_gradients(SAT_TRAINED[-1])
    out.append(
        Check(
            "3 saturation",
            f"theta={SAT_TRAINED[-1]:g} (E D*(fake) = {far['d_fake']:.1e}): minimax / NS gradient",
            "-> 0",
            f"{far['minimax'] / far['nonsaturating']:.1e}",
            "<= 1e-3",
            far["minimax"] / far["nonsaturating"] <= 1e-3,
        )
    )
    lam = GAMES["wgan-gp"].gp_lambda
    for t in r.sat_trained:
        predicted = 1.0 + t.theta / (2.0 * lam)
        out.append(
            Check(
                "3 saturation",
                f"theta={t.theta:g}: GP critic's slope at generated points",
                f"1 + theta/(2 lambda) = {predicted:.3f}",
                f"{t.critic_slope:.3f}",
                f"+- {SAT_SLOPE_TOL:g}",
                abs(t.critic_slope - predicted) <= SAT_SLOPE_TOL,
            )
        )
    return out


def _game_checks(r: TheoryResults) -> list[Check]:
    d = {m: bilinear_game.distance_to_equilibrium(tr) for m, tr in r.game.items()}
    t = GAME_STEPS
    sim = (1 + GAME_ETA**2) ** (t / 2)
    eg = (1 - GAME_ETA**2 + GAME_ETA**4) ** (t / 2)
    x, y = r.game["alternating"][:, 0], r.game["alternating"][:, 1]
    energy = x**2 + y**2 - GAME_ETA * x * y
    return [
        Check(
            "4 xy game",
            f"simultaneous GDA, |z_{t}| (eta={GAME_ETA:g})",
            f"(1 + eta^2)^(t/2) = {sim:.6g}",
            f"{d['simultaneous'][-1]:.6g}",
            "rel 1e-10",
            abs(d["simultaneous"][-1] / sim - 1) <= 1e-10,
        ),
        Check(
            "4 xy game",
            "alternating GDA: x^2 + y^2 - eta x y over all steps",
            f"constant {energy[0]:g}",
            f"spread {np.ptp(energy):.1e}; |z| in [{d['alternating'].min():.3f}, "
            f"{d['alternating'].max():.3f}]",
            "spread <= 1e-10",
            float(np.ptp(energy)) <= 1e-10,
        ),
        Check(
            "4 xy game",
            f"extragradient, |z_{t}|",
            f"(1 - eta^2 + eta^4)^(t/2) = {eg:.6g}",
            f"{d['extragradient'][-1]:.6g}",
            "rel 1e-10",
            abs(d["extragradient"][-1] / eg - 1) <= 1e-10,
        ),
        Check(
            "4 xy game",
            f"optimistic GDA, |z_{t}|",
            "-> 0",
            f"{d['optimistic'][-1]:.4g}",
            "< 0.1",
            d["optimistic"][-1] < 0.1,
        ),
    ]


def _lines_checks(r: TheoryResults) -> list[Check]:
    w, mm, _ = r.lines
    reach = _first_below(w.theta, LINES_NEAR)
    # The GP critic's slope is about 1 + theta / (2 lambda) (claim 3), so theta follows
    # d theta / dt = -lr (1 + theta / (2 lambda)) down to LINES_NEAR.
    two_lam = 2.0 * GAMES["wgan-gp"].gp_lambda
    predicted = (
        two_lam / LINES_LR * math.log((1 + w.theta[0] / two_lam) / (1 + LINES_NEAR / two_lam))
    )
    tail = float(np.mean(np.abs(w.theta[-100:])))
    steps, ns_grad = r.lines_sweep["critic_steps"], r.lines_sweep["nonsaturating"]
    early = max(0, len(steps) - 3)  # 100 against 1000 steps with the default checkpoints
    return [
        Check(
            "5 continuity",
            f"W1 (GP critic): first step with |theta| < {LINES_NEAR:g}",
            f"{predicted:.0f} (slope 1 + theta/(2 lambda))",
            _steps_text(reach),
            "within 10%",
            reach is not None and abs(reach - predicted) <= 0.1 * predicted,
        ),
        Check(
            "5 continuity",
            "W1 (GP critic): mean |theta| over the last 100 steps",
            "near 0",
            f"{tail:.3f}",
            "< 0.15",
            tail < 0.15,
        ),
        Check(
            "5 continuity",
            "JS (minimax GAN): |theta_end - theta_0|",
            "0 (no gradient)",
            f"{abs(mm.theta[-1] - mm.theta[0]):.1e}",
            "<= 1e-3",
            abs(mm.theta[-1] - mm.theta[0]) <= 1e-3,
        ),
        Check(
            "5 continuity",
            "JS (non-saturating GAN): generator gradient at theta=1 after "
            f"{steps[early]} and {steps[-1]} critic steps",
            "depends on training time",
            f"{ns_grad[early]:.3g}, {ns_grad[-1]:.3g}",
            "grows by > 2x",
            abs(ns_grad[-1]) > 2 * abs(ns_grad[early]),
        ),
    ]


def checks(r: TheoryResults) -> list[Check]:
    """Every claim's checks, in order."""
    return (
        _dstar_checks(r)
        + _identity_checks(r)
        + _saturation_checks(r)
        + _game_checks(r)
        + _lines_checks(r)
    )


# ---------------------------------------------------------------------------------------------
# Tables and files
# ---------------------------------------------------------------------------------------------


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [line(header), "|" + " --- |" * len(header), *(line(row) for row in rows)]
    return [*lines, ""]


def markdown(r: TheoryResults) -> str:
    """The summary of checks, then the numbers behind each figure."""
    out = ["# GAN theory, checked numerically", "", "## Checks", ""]
    out += _md_table(
        ["claim", "quantity", "expected", "computed", "tolerance", "ok"],
        [
            [c.claim, c.quantity, c.expected, c.computed, c.tolerance, "yes" if c.passed else "NO"]
            for c in r.checks
        ],
    )
    out += ["## 1. Optimal discriminator (default pair, grid [-2.5, 2.5], 501 points)", ""]
    out += _md_table(
        ["n", "seed", "steps run", "best step", "max abs error", "mean abs error"],
        [
            [
                str(c.n),
                str(c.seed),
                str(c.fit.steps),
                str(c.fit.best_step),
                f"{c.max_error:.4f}",
                f"{c.mean_error:.4f}",
            ]
            for c in [*r.dstar, r.dstar_short]
        ],
    )
    out += ["## 2. V(D*, G) = 2 JS - log 4 (nats)", ""]
    out += _md_table(
        [
            "pair",
            "V(D*) quadrature",
            f"2 JS - log 4, bins {JS_BIN:g}",
            "bins / 2",
            "trained D (+- se)",
            "V(D) quadrature",
            "gap",
            "dV/dθ quad",
            "dV/dθ JS",
            "grad via D",
        ],
        [
            [
                c.name,
                f"{c.quadrature:.6f}",
                f"{c.from_js:.6f}",
                f"{c.from_js_half:.6f}",
                f"{c.trained:.4g} +- {c.trained_se:.2g}",
                f"{c.trained_quadrature:.4f}",
                f"{c.gap:.1e}",
                f"{c.grad_quadrature:.4f}",
                f"{c.grad_js:.4f}",
                f"{c.grad_trained:.2e}",
            ]
            for c in r.identity
        ],
    )
    out += ["## 3. Saturation (real N(0,1), generated N(θ,1))", ""]
    rows = []
    for t, s in zip(r.sat_trained, r.sat_samples, strict=True):
        e = saturation.expected_gradients(t.theta)
        rows.append(
            [
                f"{t.theta:g}",
                f"{e['d_fake']:.2e}",
                f"{t.d_fake:.2e}",
                f"{e['minimax']:.3e}",
                f"{s['minimax']:.3e}",
                f"{t.minimax:.3e}",
                f"{e['nonsaturating']:.3f}",
                f"{s['nonsaturating']:.3f}",
                f"{t.nonsaturating:.3f}",
                f"{t.wasserstein:.3f}",
            ]
        )
    out += _md_table(
        [
            "θ",
            "E D*(fake)",
            "E D(fake) trained",
            "minimax: exact",
            "D* samples",
            "trained D",
            "NS: exact",
            "D* samples",
            "trained D",
            "W: trained GP critic (= its slope)",
        ],
        rows,
    )
    out += [f"## 4. min_x max_y xy (η = {GAME_ETA:g}, from (1, 0))", ""]
    steps = sorted({k for k in (0, 10, 100, 250) if k < GAME_STEPS} | {GAME_STEPS})
    out += _md_table(
        ["method", *[f"|z_{k}|" for k in steps]],
        [
            [m, *[f"{bilinear_game.distance_to_equilibrium(tr)[k]:.4g}" for k in steps]]
            for m, tr in r.game.items()
        ],
    )
    out += [f"## 5. Parallel lines (θ_0 = 1, lr {LINES_LR:g}, {LINES_STEPS} steps)", ""]
    marks = [k for k in (50, 100, 200) if k < LINES_STEPS]
    out += _md_table(
        [
            "generator loss",
            *[f"θ after {k}" for k in marks],
            f"θ after {LINES_STEPS}",
            "mean |θ| last 100",
            f"first |θ| < {LINES_NEAR:g}",
        ],
        [
            [
                GAME_LABEL[run.game],
                *[f"{run.theta[k]:.4f}" for k in marks],
                f"{run.theta[-1]:.4f}",
                f"{np.mean(np.abs(run.theta[-100:])):.4f}",
                _steps_text(_first_below(run.theta, LINES_NEAR)),
            ]
            for run in r.lines
        ],
    )
    out += ["Generator gradient at θ = 1 against the critic's training steps:", ""]
    sweep = r.lines_sweep
    out += _md_table(
        ["critic steps", *[str(k) for k in sweep["critic_steps"]]],
        [[GAME_LABEL[g], *[f"{v:.3g}" for v in sweep[g]]] for g in GAME_LABEL],
    )
    out += [
        "Wall time of each claim (seconds): "
        + ", ".join(f"{k} {v:.0f}" for k, v in r.seconds.items()),
        "",
    ]
    return "\n".join(out)


GAME_LABEL = {
    "wgan-gp": "W1 (WGAN-GP critic)",
    "minimax": "JS (minimax GAN)",
    "nonsaturating": "JS (non-saturating GAN)",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def results_json(r: TheoryResults) -> dict[str, Any]:
    """The checks and every number behind the figures, JSON-ready."""
    return _jsonable(
        {
            "checks": [asdict(c) for c in r.checks],
            "optimal_discriminator": [
                {
                    "n": c.n,
                    "seed": c.seed,
                    "steps": c.fit.steps,
                    "best_step": c.fit.best_step,
                    "max_error": c.max_error,
                    "mean_error": c.mean_error,
                    "history": c.history,
                }
                for c in [*r.dstar, r.dstar_short]
            ],
            "js_identity": [asdict(c) | {"gap": c.gap} for c in r.identity],
            "js_shift": r.js_shift,
            "saturation": {
                "sweep": r.sat_sweep,
                "samples": r.sat_samples,
                "trained": [asdict(t) for t in r.sat_trained],
            },
            "bilinear_game": {m: tr for m, tr in r.game.items()},
            "continuity": {
                "theta": {run.game: run.theta for run in r.lines},
                "grad": {run.game: run.grad for run in r.lines},
                "gradient_vs_critic_steps": r.lines_sweep,
            },
            "seconds": r.seconds,
            "settings": {
                "seed": SEED,
                "dstar_ns": DSTAR_NS,
                "dstar_seeds": DSTAR_SEEDS,
                "dstar_short_steps": DSTAR_SHORT_STEPS,
                "js_n": JS_N,
                "js_bin": JS_BIN,
                "sat_n": SAT_N,
                "sat_samples": SAT_SAMPLES,
                "game_eta": GAME_ETA,
                "game_steps": GAME_STEPS,
                "lines_steps": LINES_STEPS,
                "lines_lr": LINES_LR,
            },
        }
    )


def run_demo(out: Path | None = None) -> int:
    """Compute the five claims, write the figures and tables into ``out``, print a summary."""
    from rich.console import Console
    from rich.table import Table

    from wgan.theory import figures

    out_dir = DEFAULT_OUT if out is None else Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _single_thread():
        results = compute()
    paths = {name: out_dir / file for name, file in figures.FIGURES.items()}
    figures.plot_optimal_discriminator(results, paths["optimal_discriminator"])
    figures.plot_js_identity(results, paths["js_identity"])
    figures.plot_saturation(results, paths["saturation"])
    figures.plot_bilinear_game(results, paths["bilinear_game"], GAME_ETA)
    figures.plot_continuity(results, paths["continuity"], LINES_LR)
    paths["table"] = out_dir / "table.md"
    paths["results"] = out_dir / "results.json"
    paths["table"].write_text(markdown(results))
    paths["results"].write_text(json.dumps(results_json(results), indent=1) + "\n")

    table = Table(title="GAN theory: closed form vs computed")
    for col in ("claim", "quantity", "expected", "computed", "ok"):
        table.add_column(col)
    for c in results.checks:
        table.add_row(c.claim, c.quantity, c.expected, c.computed, "yes" if c.passed else "NO")
    Console().print(table)
    for name, path in paths.items():
        print(f"  {name}: {path}")  # plain print: rich would wrap or restyle long paths
    return 0
