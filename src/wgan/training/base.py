"""What every trainer holds: models, optimizers, the EMA, the learning-rate schedule, the random
stream, and the state a checkpoint saves. `Trainer` (one generator and one critic) and
`CycleTrainer` (two of each) are its two kinds; `wgan.training.loop` trains either.

One torch.Generator (`rng`) draws every random number of training: data batches, z, the
interpolation weights and the instance noise. It is saved in each checkpoint with everything else
that changes, so a resumed run computes the same numbers as one that was never stopped.

Under `torchrun` every process draws the random numbers of the whole (global) batch from the same
seed and keeps its own rows (`rows`); gradients are averaged over the processes before each
optimizer step (`wgan.distributed`). A step of K processes is then the single-process step, and a
run can resume with any K. Rank 0 alone evaluates and writes files.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from wgan import distributed, losses
from wgan.config import Config
from wgan.data.sources import DataSource, build_source
from wgan.errors import UserError
from wgan.lipschitz import DECAY_METHODS, add_weight_decay_, constrain_weights_
from wgan.precision import autocast, resolve_device, resolve_precision
from wgan.timing import NO_TIMER, PhaseTimer
from wgan.training.checkpoint import CheckpointMismatch
from wgan.training.lock import RunLock

FUSED_ADAM = ("cpu", "cuda")  # devices with torch's fused Adam


def make_optimizer(
    config: Config, params: Iterator[nn.Parameter], lr: float, device: torch.device
) -> torch.optim.Optimizer:
    opt = config.optimizer
    if opt.name == "adam":
        # The fused kernel: one pass over all parameters (CPU: half the time of the default).
        return torch.optim.Adam(params, lr=lr, betas=opt.betas, fused=device.type in FUSED_ADAM)
    return torch.optim.RMSprop(params, lr=lr)


@contextmanager
def frozen(model: nn.Module) -> Iterator[None]:
    """The model's parameters collect no gradients inside the block (and do again after it,
    also when the block raises)."""
    model.requires_grad_(False)
    try:
        yield
    finally:
        model.requires_grad_(True)


class TrainerBase:
    """A run's models, optimizers and random state; subclasses supply `critic_step`,
    `generator_step`, `sample` and `evaluate`."""

    def __init__(
        self,
        config: Config,
        run_dir: Path,
        *,
        quiet: bool = False,
        build_models: Callable[[list[DataSource]], tuple[nn.Module, nn.Module]],
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.lock = RunLock(self.run_dir)  # held by the process that writes the run
        self.quiet = quiet or not distributed.is_main()
        # This process's rows of every global batch (all of them in a single process).
        self.rows = distributed.batch_rows(
            config.batch_size, distributed.rank(), distributed.world_size()
        )
        _refuse_batch_coupling(config, distributed.world_size())
        self.device = resolve_device(config.device)
        self.precision = resolve_precision(config.precision, self.device)
        torch.manual_seed(config.seed)
        self.sources = [build_source(config, self.device)]  # CycleGAN: A and B
        if config.data_b is not None:
            self.sources.append(build_source(config, self.device, data=config.data_b))
        self.source = self.sources[0]
        for source in self.sources:
            if source.n_train is not None and config.batch_size > source.n_train:
                raise UserError(
                    f"batch_size {config.batch_size} is larger than the {source.n_train} "
                    "training samples; lower batch_size (--set batch_size=N)"
                )
        generator, critic = build_models(self.sources)
        self.generator = distributed.sync_batchnorm(generator, self.device).to(self.device)
        self.critic = distributed.sync_batchnorm(critic, self.device).to(self.device)
        if config.channels_last:  # NHWC convolutions (torch's stubs lack this overload of `to`)
            for model in (self.generator, self.critic):
                model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.ema = copy.deepcopy(self.generator).requires_grad_(False) if config.ema_decay else None
        self.g_opt = make_optimizer(
            config, self.generator.parameters(), config.optimizer.lr_generator, self.device
        )
        self.d_opt = make_optimizer(
            config, self.critic.parameters(), config.optimizer.lr_critic, self.device
        )
        if distributed.world_size() > 1:
            for optimizer in (self.g_opt, self.d_opt):
                distributed.average_gradients_before_step(optimizer)
        # A loss's hyperparameters are the keys of the config section named like it (ebgan).
        section = getattr(config, config.loss, None)
        hyperparameters = {} if section is None else section.model_dump()
        self.critic_loss, self.generator_loss = losses.loss_pair(config.loss, **hyperparameters)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.step = 0
        self.elapsed_s = 0.0  # wall-clock seconds of training so far, over every session
        self.lr_scale = 1.0  # lowered by each rollback after a NaN or inf
        self.rollbacks = 0
        self.sums: dict[str, Tensor] = {}  # statistics summed since the last log line
        self.count = 0
        self.stop_signal = 0  # the signal all processes agreed to stop on (0: none)
        self.timer: PhaseTimer = NO_TIMER  # `wgan bench` swaps in a measuring one

    # ---- what the kinds of trainer supply ---------------------------------------------------

    def critic_step(self) -> dict[str, Tensor]:
        raise NotImplementedError

    def generator_step(self) -> dict[str, Tensor]:
        raise NotImplementedError

    def sample(self, n: int) -> Tensor:
        """n samples in fp32 from the sampling generator, for evaluations and reports."""
        raise NotImplementedError

    def evaluate(self, n: int | None = None, *, real: Tensor | None = None) -> dict[str, Any]:
        """The metrics of the run at this step (one evaluation record, without `kind`)."""
        raise NotImplementedError

    # ---- pieces of a step -------------------------------------------------------------------

    def instance_noise_std(self) -> float:
        """The instance noise's std at this step, annealed linearly to 0 (0 when it is off)."""
        noise = self.config.stabilizers.instance_noise
        if noise.std == 0:
            return 0.0
        return noise.std * max(0.0, 1.0 - self.step / (noise.anneal_steps or self.config.steps))

    def noisy(self, x: Tensor, std: float) -> Tensor:
        """x (this process's rows of a global batch) plus N(0, std^2) instance noise: the noise of
        the whole global batch is drawn, like every random number, and this process keeps its rows."""
        if std == 0:
            return x
        shape = (self.config.batch_size, *x.shape[1:])
        return x + std * torch.randn(shape, generator=self.rng, device=self.device)[self.rows]

    def interpolation_weights(self) -> Tensor | None:
        """eps ~ U[0, 1] for this process's rows of the penalty's interpolates (None, and nothing
        drawn, without a penalty)."""
        if self.config.lipschitz.method not in losses.PENALTY_METHODS:
            return None
        n = self.config.batch_size
        return torch.rand(n, generator=self.rng, device=self.device)[self.rows]

    def memory_format(self, x: Tensor) -> Tensor:
        if self.config.channels_last:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def autocast(self) -> Any:
        return autocast(self.device, self.precision)

    def critic_update(self, objective: losses.CriticObjective) -> None:
        """One optimizer step of the critic on its objective, with the weight decay or followed
        by the weight constraint that `lipschitz.method` names."""
        timer = self.timer
        self.d_opt.zero_grad(set_to_none=True)
        loss, penalty = objective.loss, objective.penalty
        if penalty is not None and timer.enabled:
            # Timing only: the penalty's double backward apart (the same sum, in two passes).
            with timer("penalty"):
                penalty.backward()
            penalty = None
        with timer("critic backward"):
            (loss if penalty is None else loss + penalty).backward()
        with timer("optimizer"):
            lipschitz = self.config.lipschitz
            if lipschitz.method in DECAY_METHODS:
                add_weight_decay_(
                    self.critic, DECAY_METHODS[lipschitz.method], lipschitz.weight_decay
                )
            self.d_opt.step()
            constrain_weights_(self.critic, lipschitz)

    def generator_update(self, loss: Tensor) -> None:
        """One optimizer step of the generator on `loss`."""
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()

    def update_ema(self) -> None:
        if self.ema is None:
            return
        assert self.config.ema_decay is not None
        with self.timer("ema"), torch.no_grad():
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
            scale *= max(0.0, 1.0 - self.step / (opt.decay_steps or self.config.steps))
        for optimizer, base in ((self.g_opt, opt.lr_generator), (self.d_opt, opt.lr_critic)):
            for group in optimizer.param_groups:
                group["lr"] = base * scale

    def train_step(self) -> None:
        """n_critic critic steps and one generator step; sums the statistics for the next log
        line (the critic's averaged over its n_critic steps)."""
        self._set_learning_rates()
        critic_stats = [self.critic_step() for _ in range(self.config.n_critic)]
        stats = {key: torch.stack([s[key] for s in critic_stats]).mean() for key in critic_stats[0]}
        stats |= self.generator_step()
        self.step += 1
        for key, value in stats.items():
            self.sums[key] = self.sums.get(key, torch.zeros((), device=self.device)) + value
        self.count += 1

    # ---- sampling ---------------------------------------------------------------------------

    def holdout(self, n: int) -> Tensor:
        """The first n held-out real samples (of domain A in a CycleGAN)."""
        return self.source.holdout(n)

    def sample_critic(self) -> nn.Module | None:
        """The critic as a function of samples alone; None where it takes more (a cGAN's takes
        labels, a CycleGAN run has one per domain)."""
        return None

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator used for evaluation and samples: the EMA copy when there is one."""
        return self.ema if self.ema is not None else self.generator

    # ---- state ------------------------------------------------------------------------------

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
            "data": self.sources[0].state_dict(),
            "data_b": self.sources[1].state_dict() if len(self.sources) > 1 else None,
            "sums": dict(self.sums),
            "count": self.count,
            "lr_scale": self.lr_scale,
            "rollbacks": self.rollbacks,
            "elapsed_s": self.elapsed_s,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("fingerprint") != self.config.fingerprint():
            raise CheckpointMismatch(
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
            self.step = int(state["step"])
            self.rng.set_state(state["rng"])
            torch.set_rng_state(state["torch_rng"])
            self.sources[0].load_state_dict(state["data"])
            if len(self.sources) > 1:
                self.sources[1].load_state_dict(state["data_b"])
            self.sums = {k: v.to(self.device) for k, v in state["sums"].items()}
            self.count = int(state["count"])
            self.lr_scale = float(state.get("lr_scale", 1.0))
            self.rollbacks = int(state.get("rollbacks", 0))
            self.elapsed_s = float(state.get("elapsed_s", 0.0))
        except (RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError) as err:
            raise UserError(f"the checkpoint does not fit this run's models ({err})") from None


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


def config_differences(
    a: dict[str, Any], b: dict[str, Any], prefix: str = ""
) -> list[tuple[str, Any, Any]]:
    """(dotted key, value in a, value in b) for every key where two config mappings differ,
    sections compared key by key, in key order (a saved run's config against this one)."""
    found = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            found += config_differences(x, y, f"{prefix}{key}.")
        elif x != y:
            found.append((prefix + key, x, y))
    return found


def _shape_differences(saved: str | None, config: Config) -> str:
    """' (model.critic_width: 32 in the checkpoint, 16 now)', naming the model and data keys that
    differ between a checkpoint's config and this one ('' when they cannot be told)."""
    try:
        old = json.loads(saved or "")
    except json.JSONDecodeError:
        return ""
    if not isinstance(old, dict):
        return ""
    new = config.to_dict()
    sections = ("model", "data")
    differences = [
        f"{key}: {before!r} in the checkpoint, {now!r} now"
        for key, before, now in config_differences(
            {s: old.get(s) or {} for s in sections}, {s: new[s] for s in sections}
        )
        if key != "data.path"
    ]
    return f" ({'; '.join(differences)})" if differences else ""
