"""The figures of ``wgan demo theory``, one function per claim, drawn from its results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wgan.demos.theory import bilinear_game
from wgan.demos.theory.critics import GAMES
from wgan.demos.theory.optimal_discriminator import MAX_ERROR_TOL, MEAN_ERROR_TOL, default_pair
from wgan.reporting.figures import ESTIMATE_COLOUR, FAKE_COLOUR, REAL_COLOUR, plt
from wgan.reporting.files import save_figure

if TYPE_CHECKING:
    from wgan.demos.theory.demo import TheoryResults

__all__ = ["FIGURES"]

GAME_COLOURS = {"wgan-gp": "C2", "minimax": "C3", "nonsaturating": "C0"}
GAME_LABELS = {
    "wgan-gp": "W1: WGAN-GP critic",
    "minimax": "JS: minimax GAN",
    "nonsaturating": "JS: non-saturating GAN",
}


def plot_optimal_discriminator(r: TheoryResults, path: Path) -> None:
    p_real, p_fake = default_pair()
    best = max((c for c in r.dstar if c.seed == 0), key=lambda c: c.n)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2), constrained_layout=True)
    ax = axes[0]
    x = np.linspace(-4, 4, 801)
    ax.fill_between(x, p_real.pdf(x), color=REAL_COLOUR, alpha=0.2, label=f"p_r: {p_real.name}")
    ax.fill_between(x, p_fake.pdf(x), color=FAKE_COLOUR, alpha=0.2, label=f"p_g: {p_fake.name}")
    ax.plot(best.grid, best.d_star, "k", lw=2, label="D* = p_r / (p_r + p_g)")
    ax.plot(
        best.grid, best.d_trained, "--", color=ESTIMATE_COLOUR, lw=2, label=f"trained, n={best.n}"
    )
    ax.plot(
        r.dstar_short.grid,
        r.dstar_short.d_trained,
        ":",
        color="C3",
        label=f"trained {r.dstar_short.fit.steps} steps only",
    )
    ax.set_xlabel("x")
    ax.set_title("optimal discriminator against trained ones")
    ax.legend(fontsize=7, loc="upper center")
    ax = axes[1]
    ns = sorted({c.n for c in r.dstar})
    for key, tol, marker in (
        ("mean_error", MEAN_ERROR_TOL, "o"),
        ("max_error", MAX_ERROR_TOL, "s"),
    ):
        vals = {n: [getattr(c, key) for c in r.dstar if c.n == n] for n in ns}
        for n in ns:
            ax.plot([n] * len(vals[n]), vals[n], marker, color="grey", ms=4, alpha=0.6)
        ax.plot(ns, [np.mean(vals[n]) for n in ns], marker + "-", label=key.replace("_", " "))
        ax.axhline(tol, ls=":", color="grey", lw=0.8)
    ref = np.mean([c.mean_error for c in r.dstar if c.n == ns[0]])
    ax.plot(ns, ref * np.sqrt(ns[0] / np.array(ns)), "k--", lw=0.8, label="n^-1/2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("samples per density n")
    ax.set_title("|D - D*| on [-2.5, 2.5] (dots: seeds; dotted: tolerances)")
    ax.legend(fontsize=8)
    ax = axes[2]
    for c in r.dstar:
        if c.seed == 0:
            steps, _, err = zip(*c.history, strict=True)
            ax.plot(steps, err, label=f"n={c.n} (best at step {c.fit.best_step})")
    ax.axhline(MEAN_ERROR_TOL, ls=":", color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("training step (full batch)")
    ax.set_title("mean |D - D*| during training (seed 0)")
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=120)


def plot_js_identity(r: TheoryResults, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(15, 4.6), constrained_layout=True)
    ax = axes[0]
    pos = np.arange(len(r.identity))
    ax.bar(pos - 0.25, [c.quadrature for c in r.identity], 0.25, label="V(D*, G) by quadrature")
    ax.bar(pos, [c.from_js for c in r.identity], 0.25, label="2 JS - log 4 (wgan.distances.js)")
    ax.bar(
        pos + 0.25,
        [c.trained for c in r.identity],
        0.25,
        yerr=[3 * c.trained_se for c in r.identity],
        capsize=3,
        label="trained D on fresh samples (+- 3 se)",
    )
    ax.axhline(-np.log(4), color="grey", ls=":", lw=0.8)
    ax.text(pos[0] - 0.4, -np.log(4), "-log 4 (p_r = p_g)", va="bottom", fontsize=7)
    for i, c in enumerate(r.identity):
        if abs(c.quadrature) < 1e-12:
            ax.text(i, -0.03, "0: disjoint", ha="center", va="top", fontsize=7)
    ax.set_xticks(pos, [c.name.replace(" vs ", "\nvs ") for c in r.identity], fontsize=7)
    ax.set_ylabel("nats")
    ax.set_title("V(D*, G) = 2 JS(p_r, p_g) - log 4, three ways (0 = disjoint supports)")
    ax.legend(fontsize=8, loc="lower center")
    ax = axes[1]
    s = r.js_shift
    ax.plot(s["theta"], s["normal"], label="N(0,1) vs N(theta,1)")
    ax.plot(s["theta"], s["uniform"], label="U[0,1] vs U[theta,theta+1]")
    ax.plot(s["theta"], s["uniform_closed_form"], "k:", label="closed form (uniform)")
    ax.axvspan(1, s["theta"].max(), color="grey", alpha=0.12)
    ax.axvspan(s["theta"].min(), -1, color="grey", alpha=0.12)
    ax.text(2.0, -0.7, "uniforms disjoint:\nflat, gradient 0", ha="center", fontsize=8)
    ax.set_xlabel("shift theta of the generator")
    ax.set_ylabel("V(D*, G_theta) = 2 JS - log 4")
    ax.set_title("what the generator minimises: flat once the supports are disjoint")
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=120)


def plot_saturation(r: TheoryResults, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.4), constrained_layout=True)
    ax = axes[0]
    s = r.slopes
    ax.plot(s["a"], s["minimax"], color=GAME_COLOURS["minimax"], label="d/da log(1 - sigmoid(a))")
    ax.plot(
        s["a"],
        s["nonsaturating"],
        color=GAME_COLOURS["nonsaturating"],
        label="d/da -log sigmoid(a)",
    )
    ax.axvspan(s["a"].min(), -4, color="grey", alpha=0.12)
    ax.text(-7, -0.5, "D confidently\nrejects the sample", ha="center", fontsize=8)
    ax.set_xlabel("discriminator logit a at a generated sample")
    ax.set_title("slope of the generator loss (autograd on wgan.losses)")
    ax.legend(fontsize=8)
    ax = axes[1]
    w = r.sat_sweep
    for key in ("minimax", "nonsaturating", "wasserstein"):
        game = "wgan-gp" if key == "wasserstein" else key
        ax.plot(
            w["theta"], np.abs(w[key]), color=GAME_COLOURS[game], label=f"{key}, optimal critic"
        )
        trained = [abs(getattr(t, key)) for t in r.sat_trained]
        ax.plot([t.theta for t in r.sat_trained], trained, "o", color=GAME_COLOURS[game])
    lam = GAMES["wgan-gp"].gp_lambda
    ax.plot(w["theta"], 1 + w["theta"] / (2 * lam), ":", color=GAME_COLOURS["wgan-gp"], lw=1)
    ax.plot([], [], "o", color="grey", label="dots: through trained critics")
    ax.set_yscale("log")
    ax.set_ylim(1e-8, 20)
    ax.set_xlabel("theta (real N(0,1), generated N(theta,1))")
    ax.set_ylabel("|d loss / d theta|")
    ax.set_title(
        "generator gradient: lines exact, dots through trained critics\n"
        "(dotted: GP critic slope 1 + theta/(2 lambda))"
    )
    ax.legend(fontsize=8, loc="lower left")
    save_figure(fig, path, dpi=120)


def plot_bilinear_game(r: TheoryResults, path: Path, eta: float) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
    for i, (method, traj) in enumerate(r.game.items()):
        axes[0].plot(traj[:, 0], traj[:, 1], lw=0.8, color=f"C{i}", label=method)
        d = bilinear_game.distance_to_equilibrium(traj)
        axes[1].plot(d, color=f"C{i}", label=method)
    axes[0].plot([0], [0], "k*", ms=10, label="equilibrium (0, 0)")
    axes[0].plot([1], [0], "ko", ms=4)
    axes[0].set_xlim(-4, 4)
    axes[0].set_ylim(-4, 4)
    axes[0].set_aspect("equal")
    axes[0].set_xlabel("x (minimises xy)")
    axes[0].set_ylabel("y (maximises xy)")
    axes[0].set_title(f"trajectories from (1, 0), step size eta = {eta:g}")
    axes[0].legend(fontsize=8, loc="upper right")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("distance to (0, 0)")
    axes[1].set_title("simultaneous spirals out, alternating cycles, EG and OGDA converge")
    axes[1].legend(fontsize=8)
    save_figure(fig, path, dpi=120)


def plot_continuity(r: TheoryResults, path: Path, lr: float) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.4), constrained_layout=True)
    for run in r.lines:
        axes[0].plot(run.theta, color=GAME_COLOURS[run.game], label=GAME_LABELS[run.game])
    axes[0].axhline(0, color="grey", lw=0.6)
    axes[0].set_xlabel("generator step")
    axes[0].set_ylabel("theta")
    axes[0].set_title(f"parallel lines: theta by gradient descent (lr {lr:g}), theta_0 = 1")
    axes[0].legend(fontsize=8)
    s = r.lines_sweep
    for game in ("wgan-gp", "minimax", "nonsaturating"):
        axes[1].plot(
            s["critic_steps"],
            np.abs(s[game]),
            "o-",
            color=GAME_COLOURS[game],
            label=GAME_LABELS[game],
        )
    axes[1].axhline(1.0, color="grey", ls=":", lw=0.8)
    axes[1].text(1.2, 1.15, "|d W1 / d theta| = 1", fontsize=8)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("critic training steps at theta = 1")
    axes[1].set_ylabel("|generator gradient|")
    axes[1].set_title("the W gradient settles; the JS ones follow the training time")
    axes[1].legend(fontsize=8)
    save_figure(fig, path, dpi=120)


FIGURES = {
    "optimal_discriminator": "optimal_discriminator.png",
    "js_identity": "js_identity.png",
    "saturation": "saturation.png",
    "bilinear_game": "bilinear_game.png",
    "continuity": "continuity.png",
}
