"""The training loop: n_critic critic steps, then one generator step (WGAN and WGAN-GP).

One torch.Generator (`Trainer.rng`) draws every random number of training: data batches, z and
the interpolation weights. It is saved in each checkpoint with everything else that changes, so a
resumed run computes the same numbers as one that was never stopped.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import Tensor, nn

from wgan import losses
from wgan.checkpoint import checkpoint_path, load_latest, prune_checkpoints, save_checkpoint
from wgan.config import Config, build_config, save_config
from wgan.data.sources import DataSource, build_source
from wgan.errors import UserError
from wgan.evaluation import build_evaluator
from wgan.lipschitz import clip_weights_, gradient_penalty
from wgan.models import build_models
from wgan.precision import autocast, resolve_device, resolve_precision

_EVAL_STREAM = 3_000_017  # seeds the fixed z of evaluations, apart from the training stream

RUN_FILES = ("config.yaml", "metrics.jsonl", "checkpoints", "samples", "report.png", "report.md")
GRID_SIZE = 64  # images in the fixed-z grid saved at each evaluation of an image run


def _make_optimizer(
    config: Config, params: Iterator[nn.Parameter], lr: float
) -> torch.optim.Optimizer:
    opt = config.optimizer
    if opt.name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=opt.betas)
    return torch.optim.RMSprop(params, lr=lr)


class NonFiniteLossError(UserError):
    """A loss became NaN or inf; the run stops and keeps its last good checkpoint."""


class Trainer:
    """Holds a run's models, optimizers and random state, and advances it step by step."""

    def __init__(self, config: Config, run_dir: Path, *, quiet: bool = False) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.quiet = quiet
        self.device = resolve_device(config.device)
        self.precision = resolve_precision(config.precision, self.device)
        torch.manual_seed(config.seed)
        self.source: DataSource = build_source(config, self.device)
        if self.source.n_train is not None and config.batch_size > self.source.n_train:
            raise UserError(
                f"batch_size {config.batch_size} is larger than the {self.source.n_train} "
                "training samples; lower batch_size (--set batch_size=N)"
            )
        generator, critic = build_models(config, self.source.sample_shape)
        self.generator = generator.to(self.device)
        self.critic = critic.to(self.device)
        self.ema = copy.deepcopy(self.generator).requires_grad_(False) if config.ema_decay else None
        self.g_opt = _make_optimizer(
            config, self.generator.parameters(), config.optimizer.lr_generator
        )
        self.d_opt = _make_optimizer(config, self.critic.parameters(), config.optimizer.lr_critic)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.evaluator = build_evaluator(config, self.source, self.device, quiet=quiet)
        self.step = 0
        self._sums: dict[str, Tensor] = {}
        self._count = 0
        self._stop_requested = False

    # ---- one step -------------------------------------------------------------------------

    def _z(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        rng = self.rng if generator is None else generator
        return torch.randn(n, self.config.model.latent_dim, generator=rng, device=self.device)

    def critic_step(self) -> dict[str, Tensor]:
        cfg = self.config
        n = cfg.batch_size
        real = self.source.batch(n, self.rng)
        with torch.no_grad(), autocast(self.device, self.precision):
            fake = self.generator(self._z(n)).float()
        method = cfg.lipschitz.method
        with autocast(self.device, self.precision):
            scores = self.critic(torch.cat([real, fake])).float()  # (2n, 1)
            real_scores, fake_scores = scores[:n], scores[n:]
            loss = losses.wasserstein_critic_loss(real_scores, fake_scores)
            stats = {"critic_loss": loss.detach()}
            if method in ("gp", "gp-one-sided"):
                eps = torch.rand(n, generator=self.rng, device=self.device)
                penalty, norms = gradient_penalty(
                    self.critic, real, fake, eps=eps, one_sided=method == "gp-one-sided"
                )
                loss = loss + cfg.lipschitz.gp_lambda * penalty
                stats |= {"penalty": penalty.detach(), "grad_norm": norms.mean().detach()}
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()
        if method == "clip":
            clip_weights_(self.critic, cfg.lipschitz.clip)
        stats["critic_w_estimate"] = (real_scores.mean() - fake_scores.mean()).detach()
        return stats

    def generator_step(self) -> dict[str, Tensor]:
        n = self.config.batch_size
        self.critic.requires_grad_(False)
        with autocast(self.device, self.precision):
            fake_scores = self.critic(self.generator(self._z(n)).float()).float()
            loss = losses.wasserstein_generator_loss(fake_scores)
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        self.critic.requires_grad_(True)
        if self.ema is not None:
            self._update_ema()
        return {"generator_loss": loss.detach()}

    @torch.no_grad()
    def _update_ema(self) -> None:
        assert self.ema is not None and self.config.ema_decay is not None
        # Warm-up as in tf.train.ExponentialMovingAverage: early on the average follows closely.
        decay = min(self.config.ema_decay, (1.0 + self.step) / (10.0 + self.step))
        for ema_p, p in zip(self.ema.parameters(), self.generator.parameters(), strict=True):
            ema_p.lerp_(p, 1.0 - decay)
        for ema_b, b in zip(self.ema.buffers(), self.generator.buffers(), strict=True):
            ema_b.copy_(b)

    def _set_learning_rates(self) -> None:
        opt = self.config.optimizer
        if opt.lr_decay == "linear":
            scale = max(0.0, 1.0 - self.step / self.config.steps)
            for optimizer, base in ((self.g_opt, opt.lr_generator), (self.d_opt, opt.lr_critic)):
                for group in optimizer.param_groups:
                    group["lr"] = base * scale

    def train_step(self) -> None:
        """n_critic critic steps and one generator step; sums the statistics for the next log line."""
        self._set_learning_rates()
        for _ in range(self.config.n_critic):
            stats = self.critic_step()
        stats |= self.generator_step()
        self.step += 1
        for key, value in stats.items():
            self._sums[key] = self._sums.get(key, torch.zeros((), device=self.device)) + value
        self._count += 1

    # ---- evaluation -----------------------------------------------------------------------

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator used for evaluation and samples: the EMA copy when there is one."""
        return self.ema if self.ema is not None else self.generator

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """Samples for the latent vectors z (n, latent_dim): the sampling generator in eval mode, fp32."""
        model = self.sampling_generator
        was_training = model.training
        model.eval()
        try:
            return model(z.to(self.device)).float()
        finally:
            model.train(was_training)

    def eval_noise(self, n: int, *, seed: int | None = None) -> Tensor:
        """n latent vectors from the evaluation stream (fixed by the run's seed), or from `seed`."""
        rng = torch.Generator(device=self.device).manual_seed(
            self.config.seed + _EVAL_STREAM if seed is None else seed
        )
        return self._z(n, rng)

    def sample(self, n: int, *, seed: int | None = None) -> Tensor:
        """n generated samples in fp32, from the sampling generator in eval mode.

        Without `seed` the latent vectors are the run's fixed evaluation z: the same at every step.
        """
        return self.generate(self.eval_noise(n, seed=seed))

    @torch.no_grad()
    def evaluate(self, n: int | None = None, *, real: Tensor | None = None) -> dict[str, Any]:
        """The metrics of the run's evaluator (points or images) against held-out data or `real`.

        With `real` given, its first n samples are the reference, the next n the noise floor's.
        """
        return self.evaluator(
            step=self.step,
            generate=self.sample,
            critic=self.critic,
            n=n or self.config.eval.n,
            real=real,
        )

    def save_sample_grid(self) -> Path:
        """samples/step-XXXXXXXX.png: a grid of the fixed-z samples at this step (image runs)."""
        from wgan.viz import save_image_grid

        path = self.run_dir / "samples" / f"step-{self.step:08d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image_grid(path, self.sample(GRID_SIZE).cpu().numpy())
        return path

    # ---- state ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "fingerprint": self.config.fingerprint(),
            "config": json.dumps(self.config.to_dict()),
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "ema": None if self.ema is None else self.ema.state_dict(),
            "g_opt": self.g_opt.state_dict(),
            "d_opt": self.d_opt.state_dict(),
            "rng": self.rng.get_state(),
            "torch_rng": torch.get_rng_state(),
            "data": self.source.state_dict(),
            "sums": dict(self._sums),
            "count": self._count,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("fingerprint") != self.config.fingerprint():
            raise UserError(
                "the checkpoint was made with a different model or data config; "
                "resume it with the config it was trained with"
            )
        try:
            self.generator.load_state_dict(state["generator"])
            self.critic.load_state_dict(state["critic"])
            if self.ema is not None:
                self.ema.load_state_dict(state["ema"] or state["generator"])
            self.g_opt.load_state_dict(state["g_opt"])
            self.d_opt.load_state_dict(state["d_opt"])
        except (RuntimeError, KeyError, ValueError) as err:
            raise UserError(f"the checkpoint does not fit this run's models ({err})") from None
        self.step = int(state["step"])
        self.rng.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.source.load_state_dict(state["data"])
        self._sums = {k: v.to(self.device) for k, v in state["sums"].items()}
        self._count = int(state["count"])

    def save(self) -> Path:
        path = checkpoint_path(self.run_dir, self.step)
        save_checkpoint(path, self.state_dict())
        prune_checkpoints(self.run_dir, self.config.checkpoint.keep)
        return path

    # ---- the loop -------------------------------------------------------------------------

    def _averages(self) -> dict[str, float]:
        """The statistics summed since the last log line, averaged; NaN or inf stops the run."""
        values = {key: float(total) / self._count for key, total in self._sums.items()}
        bad = [key for key, value in values.items() if not math.isfinite(value)]
        if bad:
            raise NonFiniteLossError(
                f"{', '.join(bad)} became NaN or inf before step {self.step}; the run stopped and "
                "kept its last good checkpoint. Lower the learning rates or raise the penalty, "
                "then `wgan resume`"
            )
        return values

    def _log_line(self, elapsed: float, steps: int) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": "train", "step": self.step, **self._averages()}
        record["steps_per_s"] = steps / elapsed if elapsed > 0 else None
        self._sums, self._count = {}, 0
        return record

    def _save_checked(self) -> None:
        """Save a checkpoint, never one whose recent losses were NaN or inf."""
        if self._count:
            self._averages()
        self.save()

    @contextmanager
    def _stop_on_interrupt(self) -> Iterator[None]:
        """The first Ctrl-C asks the loop to save and stop after the current step; a second aborts."""

        def request_stop(signum: int, frame: Any) -> None:
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True

        try:
            previous = signal.signal(signal.SIGINT, request_stop)
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def train(self, until: int, on_record: Callable[[dict[str, Any]], None] | None = None) -> bool:
        """Train up to generator step `until`. Returns False when stopped early by Ctrl-C."""
        from wgan.progress import TrainingProgress

        cfg = self.config
        metrics_path = self.run_dir / "metrics.jsonl"
        last_time, last_step = time.perf_counter(), self.step
        with (
            self._stop_on_interrupt(),
            TrainingProgress(self.step, until, quiet=self.quiet) as progress,
            open(metrics_path, "a") as metrics,
        ):

            def write(record: dict[str, Any]) -> None:
                metrics.write(json.dumps(record) + "\n")
                metrics.flush()
                progress.update(record)
                if on_record is not None:
                    on_record(record)

            def evaluate() -> None:
                write({"kind": "eval", **self.evaluate()})
                if cfg.is_image_run:
                    self.save_sample_grid()

            if self.step == 0:  # where the curves start
                evaluate()
            while self.step < until and not self._stop_requested:
                self.train_step()
                progress.advance(self.step)
                final = self.step == until
                if self.step % cfg.log.every == 0 or final:
                    now = time.perf_counter()
                    write(self._log_line(now - last_time, self.step - last_step))
                    last_time, last_step = now, self.step
                if self.step % cfg.eval.every == 0 or final:
                    evaluate()
                if self.step % cfg.checkpoint.every == 0 or final:
                    self._save_checked()
            if self._stop_requested:
                self._save_checked()
        return not self._stop_requested


def _truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop log lines written after the checkpoint a run resumes from."""
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return
    kept = [
        line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= step
    ]
    path.write_text("".join(line + "\n" for line in kept))


def start_run(
    config: Config, run_dir: Path, *, overwrite: bool = False, quiet: bool = False
) -> Trainer:
    """A fresh Trainer for `run_dir`; refuses a directory that holds a run unless `overwrite`."""
    run_dir = Path(run_dir)
    existing = [name for name in RUN_FILES if (run_dir / name).exists()]
    if existing and not overwrite:
        raise UserError(
            f"{run_dir} already holds a run; continue it with `wgan resume {run_dir}`, "
            "choose another --out, or pass --overwrite"
        )
    trainer = Trainer(config, run_dir, quiet=quiet)  # validates data before touching the disk
    if overwrite:
        for name in existing:
            target = run_dir / name
            shutil.rmtree(target) if target.is_dir() else target.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir / "config.yaml")
    return trainer


def open_run(
    run_dir: Path,
    *,
    steps: int | None = None,
    quiet: bool = False,
    inception_weights: str | None = None,
) -> Trainer:
    """The Trainer of an existing run, restored from its newest readable checkpoint.

    `inception_weights` sets eval.inception_weights for this session only (not saved).
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise UserError(
            f"{run_dir} is not a wgan run (no config.yaml); start one with `wgan train`"
        )
    raw = yaml.safe_load(config_path.read_text()) or {}
    if steps is not None:
        raw["steps"] = steps
    config = build_config(raw)
    state, _, warnings = load_latest(run_dir)
    session = config
    if inception_weights is not None:
        eval_config = config.eval.model_copy(update={"inception_weights": inception_weights})
        session = config.model_copy(update={"eval": eval_config})
    trainer = Trainer(session, run_dir, quiet=quiet)
    for warning in warnings:
        print(f"wgan: warning: {warning}", file=sys.stderr)
    trainer.load_state_dict(state)
    if steps is not None and steps != trainer.config.steps:
        save_config(config, config_path)
    _truncate_metrics(run_dir, trainer.step)
    return trainer
