"""The training loop: n_critic critic steps, then one generator step, for every loss of
`wgan.losses` (`config.loss`) and every Lipschitz method and stabiliser of the config.

One torch.Generator (`Trainer.rng`) draws every random number of training: data batches, z, the
interpolation weights and the instance noise. It is saved in each checkpoint with everything else
that changes, so a resumed run computes the same numbers as one that was never stopped.

Under `torchrun` every process draws the random numbers of the whole (global) batch from the same
seed and keeps its own rows (`Trainer.rows`); gradients are averaged over the processes before
each optimizer step (`wgan.distributed`). A step of K processes is then the single-process step,
and a run can resume with any K. Rank 0 alone evaluates and writes files.
"""

from __future__ import annotations

import copy
import functools
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
from torch import Tensor, nn

from wgan import distributed, losses
from wgan.atomic import write_atomically
from wgan.checkpoint import (
    checkpoint_path,
    list_checkpoints,
    load_latest,
    prune_checkpoints,
    save_checkpoint,
)
from wgan.codes import LABELLED_GANS, NO_CODE, Code, latent_codes
from wgan.config import Config, build_config, read_yaml, save_config
from wgan.data.sources import DataSource, build_source
from wgan.errors import UserError
from wgan.evaluation import build_evaluator
from wgan.lipschitz import clip_weights_, gradient_penalty
from wgan.loggers import TENSORBOARD_DIR, check_logger, open_logger
from wgan.models import build_models, critic_features
from wgan.models.conditional import AuxiliaryCritic
from wgan.precision import autocast, resolve_device, resolve_precision
from wgan.timing import NO_TIMER, PhaseTimer

_EVAL_STREAM = 3_000_017  # seeds the fixed z of evaluations, apart from the training stream
_CODE_STREAM = 101  # the codes of evaluation samples: apart from their z

RUN_FILES = (
    "config.yaml",
    "metrics.jsonl",
    "checkpoints",
    "samples",
    "report.png",
    "report.md",
    TENSORBOARD_DIR,
)
GRID_SIZE = 64  # images in the fixed-z grid saved at each evaluation of an image run
_REPEAT_SIGNAL_S = 1.0  # a second Ctrl-C sooner than this is the same request (torchrun forwards)
FUSED_ADAM = ("cpu", "cuda")  # devices with torch's fused Adam
COMPILE_BACKEND = "inductor"  # torch.compile's backend for `compile: true` (tests use "eager")


def _make_optimizer(
    config: Config, params: Iterator[nn.Parameter], lr: float, device: torch.device
) -> torch.optim.Optimizer:
    opt = config.optimizer
    if opt.name == "adam":
        # The fused kernel: one pass over all parameters (CPU: half the time of the default).
        return torch.optim.Adam(params, lr=lr, betas=opt.betas, fused=device.type in FUSED_ADAM)
    return torch.optim.RMSprop(params, lr=lr)


class NonFiniteLossError(UserError):
    """A loss or a parameter became NaN or inf; the run keeps its last good checkpoint."""


class Trainer:
    """Holds a run's models, optimizers and random state, and advances it step by step."""

    def __init__(self, config: Config, run_dir: Path, *, quiet: bool = False) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.quiet = quiet or not distributed.is_main()
        # This process's rows of every global batch (all of them in a single process).
        self.rows = distributed.batch_rows(
            config.batch_size, distributed.rank(), distributed.world_size()
        )
        _refuse_batch_coupling(config, distributed.world_size())
        self.device = resolve_device(config.device)
        self.precision = resolve_precision(config.precision, self.device)
        torch.manual_seed(config.seed)
        self.source: DataSource = build_source(config, self.device)
        # CycleGAN's second domain (data_b); None for the other kinds.
        self.source_b: DataSource | None = None
        if config.data_b is not None:
            self.source_b = build_source(config, self.device, data=config.data_b)
        for source in (self.source, self.source_b):
            if source and source.n_train is not None and config.batch_size > source.n_train:
                raise UserError(
                    f"batch_size {config.batch_size} is larger than the {source.n_train} "
                    "training samples; lower batch_size (--set batch_size=N)"
                )
        self.codes = latent_codes(config, self.source)  # what the generator gets besides z
        generator, critic = build_models(
            config,
            self.source.sample_shape,
            codes=self.codes,
            sample_shape_b=None if self.source_b is None else self.source_b.sample_shape,
        )
        self.generator = distributed.sync_batchnorm(generator, self.device).to(self.device)
        self.critic = distributed.sync_batchnorm(critic, self.device).to(self.device)
        if config.channels_last:  # NHWC convolutions (torch's stubs lack this overload of `to`)
            for model in (self.generator, self.critic):
                model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.ema = copy.deepcopy(self.generator).requires_grad_(False) if config.ema_decay else None
        # The modules of the first-order passes: compiled when asked (sharing the parameters).
        self._generator: Callable[[Tensor], Tensor] = self.generator
        self._critic: Callable[..., Tensor] = self.critic  # a cGAN's takes (x, labels)
        if config.compile:
            self._generator = torch.compile(self.generator, backend=COMPILE_BACKEND)
            self._critic = torch.compile(self.critic, backend=COMPILE_BACKEND)
        self.g_opt = _make_optimizer(
            config, self.generator.parameters(), config.optimizer.lr_generator, self.device
        )
        self.d_opt = _make_optimizer(
            config, self.critic.parameters(), config.optimizer.lr_critic, self.device
        )
        if distributed.world_size() > 1:
            for optimizer in (self.g_opt, self.d_opt):
                distributed.average_gradients_before_step(optimizer)
        self.critic_loss, self.generator_loss = losses.loss_pair(
            config.loss, margin=config.ebgan.margin
        )
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.evaluator = build_evaluator(
            config, self.source, self.device, quiet=quiet, codes=self.codes
        )
        self.step = 0
        self.lr_scale = 1.0  # lowered by each rollback after a NaN or inf
        self.rollbacks = 0
        self._sums: dict[str, Tensor] = {}
        self._count = 0
        self._signal_received = 0  # set by the signal handler of this process
        self.stop_signal = 0  # the signal all processes agreed to stop on (0: none)
        self.timer: PhaseTimer = NO_TIMER  # `wgan bench` swaps in a measuring one

    # ---- one step -------------------------------------------------------------------------

    def _z(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        rng = self.rng if generator is None else generator
        return torch.randn(n, self.config.model.latent_dim, generator=rng, device=self.device)

    def _instance_noise_std(self) -> float:
        """The instance noise's std at this step, annealed linearly to 0 (0 when it is off)."""
        noise = self.config.stabilizers.instance_noise
        if noise.std == 0:
            return 0.0
        return noise.std * max(0.0, 1.0 - self.step / (noise.anneal_steps or self.config.steps))

    def _noisy(self, x: Tensor, std: float) -> Tensor:
        """x (this process's rows of a global batch) plus N(0, std^2) instance noise: the noise of
        the whole global batch is drawn, like every random number, and this process keeps its rows."""
        if std == 0:
            return x
        shape = (self.config.batch_size, *x.shape[1:])
        return x + std * torch.randn(shape, generator=self.rng, device=self.device)[self.rows]

    def _generator_input(self, n: int, labels: Tensor | None = None) -> tuple[Tensor, Code]:
        """The generator's input for this process's rows of a global batch of n: z, with the
        codes appended in a conditional run (the given labels, else drawn), and the codes."""
        z = self._z(n)[self.rows]
        if self.codes is None:
            return z, NO_CODE
        code = self.codes.draw(n, self.rng, labels=labels, rows=self.rows)
        return torch.cat([z, self.codes.encode(code)], dim=1), code

    def _critic_outputs(self, x: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """fp32 scores (B, 1) of x (with their labels in a cGAN) and the auxiliary head's
        outputs (B, k) of an AC-GAN or InfoGAN critic (None for the others)."""
        if isinstance(self.critic, AuxiliaryCritic):
            scores, auxiliary = self.critic.with_auxiliary(x)
            return scores.float(), auxiliary.float()
        if self.config.gan == "cgan":
            return self._critic(x, labels).float(), None
        return self._critic(x).float(), None

    def _score_real_and_fake(
        self, real: Tensor, fake: Tensor, labels: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """fp32 scores (m, 1) of a real and a generated batch that share `labels` (cGAN, AC-GAN),
        and the auxiliary outputs of both (2m, k) or None: one critic pass over both, or one
        each when minibatch discrimination compares the samples within a batch."""
        if self.config.stabilizers.minibatch.kernels:
            return self._critic(real).float(), self._critic(fake).float(), None
        both = None if labels is None else torch.cat([labels, labels])
        scores, auxiliary = self._critic_outputs(torch.cat([real, fake]), both)  # (2m, 1)
        return scores[: len(real)], scores[len(real) :], auxiliary

    def _auxiliary_loss(
        self, outputs: Tensor | None, code: Code, *, real_outputs: Tensor | None = None
    ) -> tuple[Tensor | None, dict[str, Tensor]]:
        """The weighted auxiliary loss of AC-GAN (class loss) or InfoGAN (-lambda L_I) on the
        head's outputs for generated samples with `code` and, in AC-GAN's critic step, for the
        real samples of the same labels (`real_outputs`); None for the other kinds. With its
        statistics."""
        cfg = self.config
        if cfg.gan == "acgan" and outputs is not None and code.labels is not None:
            fake_loss = losses.auxiliary_classifier_loss(outputs, code.labels)
            if real_outputs is None:
                return cfg.acgan.class_weight * fake_loss, {"class_loss": fake_loss}
            real_loss = losses.auxiliary_classifier_loss(real_outputs, code.labels)
            stats = {"class_loss_real": real_loss, "class_loss_fake": fake_loss}
            return cfg.acgan.class_weight * (real_loss + fake_loss), stats
        if cfg.gan == "infogan" and outputs is not None:
            k = cfg.infogan.categories
            bound = losses.mutual_information_lower_bound(
                outputs[:, :k] if k else None, code.labels, outputs[:, k:], code.continuous
            )
            return -cfg.infogan.weight * bound, {"mi_lower_bound": bound}
        return None, {}

    def critic_step(self) -> dict[str, Tensor]:
        cfg = self.config
        n = cfg.batch_size  # the global batch; this process keeps `self.rows` of it (m rows)
        timer = self.timer
        with timer("data"):
            if cfg.gan in LABELLED_GANS:
                real, labels = self.source.labelled_batch(n, self.rng, rows=self.rows)
            else:
                real, labels = self.source.batch(n, self.rng, rows=self.rows), None
            if cfg.channels_last:
                real = real.contiguous(memory_format=torch.channels_last)
        with timer("generator forward"), torch.no_grad(), autocast(self.device, self.precision):
            # A cGAN's generated samples take the labels of the real ones: the interpolates of
            # the penalty then pair samples of one label.
            generator_input, code = self._generator_input(n, labels)
            fake = self._generator(generator_input).float()
        noise_std = self._instance_noise_std()
        real, fake = self._noisy(real, noise_std), self._noisy(fake, noise_std)
        method = cfg.lipschitz.method
        penalty_term = None
        with autocast(self.device, self.precision):
            with timer("critic forward"):
                real_scores, fake_scores, auxiliary = self._score_real_and_fake(real, fake, labels)
                loss = self.critic_loss(real_scores, fake_scores)
                stats = {"critic_loss": loss.detach()}
                m = len(real)
                extra, extra_stats = self._auxiliary_loss(
                    None if auxiliary is None else auxiliary[m:],
                    code,
                    real_outputs=None if auxiliary is None else auxiliary[:m],
                )
                if extra is not None:
                    loss = loss + extra
                    stats |= {key: value.detach() for key, value in extra_stats.items()}
            if method in ("gp", "gp-one-sided"):
                with timer("penalty"):
                    # Its own pass, in eager mode: the penalty's double backward over x_hat only
                    # (DESIGN.md), and torch.compile does not differentiate twice.
                    eps = torch.rand(n, generator=self.rng, device=self.device)[self.rows]
                    critic: Callable[[Tensor], Tensor] = self.critic
                    if cfg.gan == "cgan":  # the penalty of f(., y) on interpolates of label y
                        critic = functools.partial(self.critic, labels=labels)
                    penalty, norms = gradient_penalty(
                        critic, real, fake, eps=eps, one_sided=method == "gp-one-sided"
                    )
                    penalty_term = cfg.lipschitz.gp_lambda * penalty
                stats |= {"penalty": penalty.detach(), "grad_norm": norms.mean().detach()}
        self._critic_update(loss, penalty_term)
        stats["critic_w_estimate"] = (real_scores.mean() - fake_scores.mean()).detach()
        return stats

    def _critic_update(self, loss: Tensor, penalty_term: Tensor | None = None) -> None:
        """One optimizer step of the critic on loss + penalty_term, then weight clipping if the
        config says."""
        timer = self.timer
        self.d_opt.zero_grad(set_to_none=True)
        if penalty_term is not None and timer.enabled:
            # Timing only: the penalty's double backward apart (the same sum, in two passes).
            with timer("penalty"):
                penalty_term.backward()
            penalty_term = None
        with timer("critic backward"):
            (loss if penalty_term is None else loss + penalty_term).backward()
        with timer("optimizer"):
            self.d_opt.step()
            if self.config.lipschitz.method == "clip":
                clip_weights_(self.critic, self.config.lipschitz.clip)

    def _generator_update(self, loss: Tensor) -> None:
        """One optimizer step of the generator on `loss`, computed with the critic frozen
        (`critic.requires_grad_(False)`); the critic collects gradients again after it."""
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        self.critic.requires_grad_(True)

    def _ema_step(self) -> None:
        if self.ema is not None:
            with self.timer("ema"):
                self._update_ema()

    def generator_step(self) -> dict[str, Tensor]:
        cfg = self.config
        n = cfg.batch_size
        noise_std = self._instance_noise_std()
        stats: dict[str, Tensor] = {}
        with self.timer("generator step"):
            self.critic.requires_grad_(False)  # no weight gradients for the critic
            with autocast(self.device, self.precision):
                generator_input, code = self._generator_input(n)
                fake = self._noisy(self._generator(generator_input).float(), noise_std)
                if self.codes is not None:
                    scores, auxiliary = self._critic_outputs(fake, code.labels)
                    loss = self.generator_loss(scores)
                    extra, extra_stats = self._auxiliary_loss(auxiliary, code)
                    if extra is not None:
                        loss = loss + extra
                        stats = {f"generator_{key}": v.detach() for key, v in extra_stats.items()}
                elif cfg.stabilizers.feature_matching:
                    real = self._noisy(self.source.batch(n, self.rng, rows=self.rows), noise_std)
                    # Means over the global batch: the loss is a function of them, not a mean
                    # of per-sample terms, so each process needs all ranks' means.
                    loss = losses.feature_matching_loss(
                        distributed.batch_mean(critic_features(self.critic, real).float()),
                        distributed.batch_mean(critic_features(self.critic, fake).float()),
                    )
                else:
                    loss = self.generator_loss(self._critic(fake).float())
                if cfg.ebgan.pullaway_weight > 0:
                    codes = critic_features(self.critic, fake).float()
                    loss = loss + cfg.ebgan.pullaway_weight * losses.pullaway_term(codes)
            self._generator_update(loss)
        self._ema_step()
        return {"generator_loss": loss.detach(), **stats}

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
        scale = self.lr_scale
        if opt.lr_decay == "linear":
            scale *= max(0.0, 1.0 - self.step / self.config.steps)
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
    def generate(self, z: Tensor, code: Code = NO_CODE) -> Tensor:
        """Samples for the latent vectors z (n, latent_dim) and, in a conditional run, their
        codes: the sampling generator in eval mode, fp32."""
        model = self.sampling_generator
        was_training = model.training
        model.eval()
        try:
            if self.codes is not None:
                z = torch.cat([z.to(self.device), self.codes.encode(code).to(self.device)], dim=1)
            return model(z.to(self.device)).float()
        finally:
            model.train(was_training)

    def _eval_rng(self, seed: int | None, stream: int = 0) -> torch.Generator:
        first = self.config.seed + _EVAL_STREAM if seed is None else seed
        return torch.Generator(device=self.device).manual_seed(first + stream)

    def eval_noise(self, n: int, *, seed: int | None = None) -> Tensor:
        """n latent vectors from the evaluation stream (fixed by the run's seed), or from `seed`."""
        return self._z(n, self._eval_rng(seed))

    def eval_code(self, n: int, *, seed: int | None = None, labels: Tensor | None = None) -> Code:
        """Codes for n samples of a conditional run: `labels` (n,) when given, else drawn, from
        a stream of their own, so that z stays the same whatever the labels."""
        if self.codes is None:
            return NO_CODE
        rng = self._eval_rng(seed, _CODE_STREAM)
        return self.codes.draw(n, rng, labels=None if labels is None else labels.to(self.device))

    def sample(self, n: int, *, seed: int | None = None, labels: Tensor | None = None) -> Tensor:
        """n generated samples in fp32, from the sampling generator in eval mode.

        Without `seed` the latent vectors are the run's fixed evaluation z: the same at every step.
        In a conditional run `labels` (n,) are the classes (InfoGAN: the categorical code) to
        generate; without them they are drawn with the classes' shares.
        """
        code = self.eval_code(n, seed=seed, labels=labels)
        return self.generate(self.eval_noise(n, seed=seed), code)

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
            "data_b": None if self.source_b is None else self.source_b.state_dict(),
            "sums": dict(self._sums),
            "count": self._count,
            "lr_scale": self.lr_scale,
            "rollbacks": self.rollbacks,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("fingerprint") != self.config.fingerprint():
            raise UserError(
                "the checkpoint was made with a different model or data config"
                f"{_shape_differences(state.get('config'), self.config)}; "
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
        if self.source_b is not None:
            self.source_b.load_state_dict(state["data_b"])
        self._sums = {k: v.to(self.device) for k, v in state["sums"].items()}
        self._count = int(state["count"])
        self.lr_scale = float(state.get("lr_scale", 1.0))
        self.rollbacks = int(state.get("rollbacks", 0))

    def save(self) -> Path:
        """Write this step's checkpoint (atomically) and delete all but the newest `keep`."""
        path = checkpoint_path(self.run_dir, self.step)
        try:
            save_checkpoint(path, self.state_dict())
        except OSError as err:  # a full disk, a quota, a read-only file system
            raise UserError(
                f"could not write checkpoint {path} ({err.strerror or err}); the earlier "
                f"checkpoints are kept. Free some space, then `wgan resume {self.run_dir}`"
            ) from None
        prune_checkpoints(self.run_dir, self.config.checkpoint.keep)
        return path

    # ---- the loop -------------------------------------------------------------------------

    def _averages(self) -> dict[str, float]:
        """The statistics summed since the last log line, averaged over the steps and the
        processes; NaN or inf stops the run (on every process, as all see the same averages)."""
        if self._sums:
            keys = list(self._sums)
            totals = distributed.mean_over_ranks_(torch.stack([self._sums[k] for k in keys]))
            self._sums = dict(zip(keys, totals, strict=True))  # kept reduced: checkpoints agree
        values = {key: float(total) / self._count for key, total in self._sums.items()}
        bad = [key for key, value in values.items() if not math.isfinite(value)]
        if bad:
            raise NonFiniteLossError(
                f"{', '.join(bad)} became NaN or inf before step {self.step}; the run stopped and "
                "kept its last good checkpoint. Lower the learning rates or raise the penalty, "
                "then `wgan resume` (or set on_nonfinite.action=rollback)"
            )
        return values

    def _check_parameters(self) -> None:
        """A NaN gradient (e.g. of a norm at zero) can spoil the weights while the losses look fine."""
        for name, model in (("generator", self.generator), ("critic", self.critic)):
            if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
                raise NonFiniteLossError(
                    f"the {name}'s parameters became NaN or inf before step {self.step}; the run "
                    "stopped and kept its last good checkpoint. Lower the learning rates, then "
                    "`wgan resume` (or set on_nonfinite.action=rollback)"
                )

    def _log_line(self, elapsed: float, steps: int) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": "train", "step": self.step, **self._averages()}
        record["steps_per_s"] = steps / elapsed if elapsed > 0 else None
        self._sums, self._count = {}, 0
        return record

    def _save_checked(self) -> None:
        """Save a checkpoint (rank 0), never one whose recent losses or weights are NaN or inf."""
        if self._count:
            self._averages()
        self._check_parameters()
        if distributed.is_main():
            self.save()

    def _roll_back(self, error: NonFiniteLossError) -> dict[str, Any]:
        """Reload the newest checkpoint and lower the learning rates; the record to log.

        Every process does the same (they all saw the same NaN), reading the checkpoint rank 0
        wrote. Without a checkpoint, or past `max_rollbacks`, the error stands.
        """
        policy = self.config.on_nonfinite
        if self.rollbacks >= policy.max_rollbacks or not list_checkpoints(self.run_dir):
            raise NonFiniteLossError(f"{error} ({self.rollbacks} rollbacks done)") from None
        failed_at, lr_scale, rollbacks = self.step, self.lr_scale * policy.lr_factor, self.rollbacks
        state, _, _ = load_latest(self.run_dir)
        self.load_state_dict(state)
        self.lr_scale, self.rollbacks = lr_scale, rollbacks + 1
        if distributed.is_main():
            _truncate_metrics(self.run_dir, self.step)
            print(
                f"wgan: warning: NaN or inf before step {failed_at}; rolled back to step "
                f"{self.step} with the learning rates scaled by {lr_scale:g}",
                file=sys.stderr,
            )
        return {"kind": "rollback", "step": self.step, "failed_at": failed_at, "lr_scale": lr_scale}

    @contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """Ctrl-C (SIGINT) or SIGTERM, as schedulers send, asks the loop to save and stop after
        the current step; another one, a second or more later, aborts. (torchrun forwards a
        terminal's Ctrl-C that its workers already got: that repeat is the same request.)"""
        first = 0.0

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal first
            if not self._signal_received:
                self._signal_received, first = signum, time.monotonic()
            elif time.monotonic() - first > _REPEAT_SIGNAL_S:
                raise KeyboardInterrupt

        previous: dict[signal.Signals, Any] = {}
        try:
            for kind in (signal.SIGINT, signal.SIGTERM):
                previous[kind] = signal.signal(kind, request_stop)
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            for kind, handler in previous.items():
                signal.signal(kind, handler)

    def _stop_agreed(self) -> bool:
        """Whether any process was asked to stop; every process learns it at the same step."""
        self.stop_signal = distributed.max_over_ranks(self._signal_received)
        return self.stop_signal != 0

    def train(self, until: int, on_record: Callable[[dict[str, Any]], None] | None = None) -> bool:
        """Train up to generator step `until`. Returns False when stopped early by a signal."""
        from wgan.progress import TrainingProgress

        cfg = self.config
        main = distributed.is_main()
        last_time, last_step = time.perf_counter(), self.step
        with (
            self._stop_on_signals(),
            TrainingProgress(self.step, until, quiet=self.quiet) as progress,
            open_logger(self) as log,
        ):

            def write(record: dict[str, Any]) -> None:
                if not main:
                    return
                _append_metrics(self.run_dir, record)
                progress.update(record)
                log(record)
                if on_record is not None:
                    on_record(record)

            def evaluate() -> None:
                self._check_parameters()  # NaN samples would fail the distances
                if main:  # the others wait in their next collective
                    write({"kind": "eval", **self.evaluate()})
                    if cfg.is_image_run:
                        self.save_sample_grid()

            if self.step == 0:  # where the curves start
                evaluate()
            while self.step < until and not self._stop_agreed():
                try:
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
                except NonFiniteLossError as error:
                    if cfg.on_nonfinite.action != "rollback":
                        raise
                    write(self._roll_back(error))
                    progress.advance(self.step)
                    last_time, last_step = time.perf_counter(), self.step
            if self.stop_signal:
                self._save_checked()
        return not self.stop_signal


def _refuse_batch_coupling(config: Config, world_size: int) -> None:
    """Refuse, on several processes, what makes one sample's loss depend on the others of its
    batch: a process sees only its rows, and averaging the gradients of such per-shard losses is
    not the gradient of the global batch's loss. (Feature matching's batch means are exchanged
    between the processes instead, and BatchNorm becomes SyncBatchNorm.)"""
    if world_size == 1:
        return
    coupled = []
    if config.stabilizers.minibatch.kernels:
        coupled.append("stabilizers.minibatch (each score depends on the whole batch)")
    if config.ebgan.pullaway_weight > 0:
        coupled.append("ebgan.pullaway_weight (a term over all pairs of the batch)")
    if coupled:
        raise UserError(
            f"{' and '.join(coupled)} couples the samples of a batch, and each of the "
            f"{world_size} processes sees only its share of it, so the run would not be the "
            "single-process run; train this config in one process (without torchrun)"
        )


def _append_metrics(run_dir: Path, record: dict[str, Any]) -> None:
    """One line of metrics.jsonl; opened per line, so that a rewrite of the file (a rollback)
    never leaves a handle on the old one."""
    with open(run_dir / "metrics.jsonl", "a") as metrics:
        metrics.write(json.dumps(record) + "\n")


def _shape_differences(saved: str | None, config: Config) -> str:
    """' (model.critic_width: 32 in the checkpoint, 16 now)', naming the model and data keys that
    differ between a checkpoint's config and this one ('' when they cannot be told)."""
    try:
        old = json.loads(saved or "")
    except json.JSONDecodeError:
        return ""
    new = config.to_dict()
    differences = [
        f"{section}.{key}: {old.get(section, {}).get(key)!r} in the checkpoint, {value!r} now"
        for section in ("model", "data")
        for key, value in new[section].items()
        if key != "path" and old.get(section, {}).get(key) != value
    ]
    return f" ({'; '.join(differences)})" if differences else ""


def _truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop log lines written after the checkpoint a run resumes from, and a line a kill cut short."""
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record["step"] <= step:
            kept.append(line + "\n")
    write_atomically(path, "".join(kept).encode())


def make_trainer(config: Config, run_dir: Path, *, quiet: bool = False) -> Trainer:
    """The trainer of a config: a Trainer, or a CycleTrainer for gan 'cyclegan'."""
    if config.gan == "cyclegan":
        from wgan.cycle import CycleTrainer

        return CycleTrainer(config, run_dir, quiet=quiet)
    return Trainer(config, run_dir, quiet=quiet)


def start_run(
    config: Config, run_dir: Path, *, overwrite: bool = False, quiet: bool = False
) -> Trainer:
    """A fresh Trainer for `run_dir`; refuses a directory that holds a run unless `overwrite`.

    Everything is checked (on every process) before rank 0 touches the disk.
    """
    run_dir = Path(run_dir)
    with distributed.all_or_none():
        existing = [name for name in RUN_FILES if (run_dir / name).exists()]
        if existing and not overwrite:
            raise UserError(
                f"{run_dir} already holds a run; continue it with `wgan resume {run_dir}`, "
                "choose another --out, or pass --overwrite"
            )
        check_logger(config.log.logger)
        trainer = make_trainer(config, run_dir, quiet=quiet)  # checks the data before writing
    if distributed.is_main():
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

    A run stopped before its first checkpoint starts again from step 0 (the seed fixes the same
    numbers). Nothing is written unless the run opens on every process. `inception_weights` sets
    eval.inception_weights for this session only (not saved).
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    warnings: list[str] = []
    with distributed.all_or_none():
        if not config_path.is_file():
            raise UserError(
                f"{run_dir} is not a wgan run (no config.yaml); start one with `wgan train`"
            )
        raw = read_yaml(config_path)
        saved_steps = raw.get("steps")
        if steps is not None:
            raw["steps"] = steps
        config = build_config(raw)
        session = config
        if inception_weights is not None:
            eval_config = config.eval.model_copy(update={"inception_weights": inception_weights})
            session = config.model_copy(update={"eval": eval_config})
        trainer = make_trainer(session, run_dir, quiet=quiet)
        if list_checkpoints(run_dir):
            state, _, warnings = load_latest(run_dir)
            trainer.load_state_dict(state)
        else:
            warnings = [f"{run_dir} has no checkpoint yet; training starts again from step 0"]
    seen = distributed.gather_ints(trainer.step)
    if len(set(seen)) > 1:
        raise UserError(
            f"the processes found different checkpoints (steps {seen}); put the run "
            "directory on a file system that every node shares"
        )
    if distributed.is_main():
        for warning in warnings:
            print(f"wgan: warning: {warning}", file=sys.stderr)
        if steps is not None and steps != saved_steps and steps > trainer.step:
            save_config(config, config_path)  # the new total, for a later plain `wgan resume`
        _truncate_metrics(run_dir, trainer.step if trainer.step else -1)
    return trainer
