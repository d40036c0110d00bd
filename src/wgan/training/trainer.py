"""The step of a GAN of one generator and one critic: n_critic critic steps, then one generator
step, for every loss of `wgan.losses` and every Lipschitz method, stabiliser and GAN kind.

`Trainer.critic_step` and `Trainer.generator_step` are WGAN-GP's Algorithm 1 (Gulrajani et al.
2017) when the config says so; benchmarks/reference_wgan_gp.py writes the same step the plain way,
and tests/test_reference_step.py checks that the two agree. What differs between the GAN kinds
(unconditional, cgan, acgan, infogan, sgan) comes from the run's kind (`wgan.training.kinds`), chosen
once; the loop that drives the steps is `wgan.training.loop`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from wgan import distributed, losses
from wgan.config import Config
from wgan.data.sources import DataSource
from wgan.errors import UserError
from wgan.evaluation.evaluator import build_evaluator
from wgan.models import critic_features, regularised_weights
from wgan.training.base import TrainerBase, frozen
from wgan.training.codes import Code
from wgan.training.kinds import CriticCall, Unconditional, make_kind
from wgan.training.sampling import Sampler

COMPILE_BACKEND = "inductor"  # torch.compile's backend for `compile: true` (tests use "eager")


class Trainer(TrainerBase):
    """A run of one generator and one critic, of any loss, Lipschitz method and GAN kind."""

    def __init__(self, config: Config, run_dir: Path, *, quiet: bool = False) -> None:
        def models(sources: list[DataSource]) -> tuple[nn.Module, nn.Module]:
            self.kind: Unconditional = make_kind(config, sources[0])
            return self.kind.models(sources[0].sample_shape)

        super().__init__(config, run_dir, quiet=quiet, build_models=models)
        # The first-order passes (compiled when asked, sharing the parameters); the penalty's
        # pass stays eager: torch.compile does not differentiate twice.
        generator: Any = self.generator
        self._critic_call: CriticCall = self.kind.critic_call(self.critic)
        if config.compile:
            generator = torch.compile(self.generator, backend=COMPILE_BACKEND)
            self._critic_call = torch.compile(self._critic_call, backend=COMPILE_BACKEND)
        self._generator = generator
        self.sampler = Sampler(
            self.kind,
            lambda: self.sampling_generator,
            seed=config.seed,
            latent_dim=config.model.latent_dim,
            device=self.device,
            to_data=None if self.source.scaler is None else self.source.scaler.to_data,
        )
        self.evaluator = build_evaluator(
            config,
            self.source,
            self.device,
            quiet=quiet,
            conditioning=self.kind.conditioning(self.device),
        )

    # ---- one step -------------------------------------------------------------------------

    def _fake(self, n: int, labels: Tensor | None = None) -> tuple[Tensor, Code]:
        """Generated samples (fp32) for this process's rows of a global batch of n, and their
        codes: `labels` when given (a cGAN's take those of the real batch), else drawn."""
        z = torch.randn(n, self.config.model.latent_dim, generator=self.rng, device=self.device)
        code = self.kind.draw_code(n, self.rng, labels=labels, rows=self.rows)
        return self._generator(self.kind.generator_input(z[self.rows], code)).float(), code

    def _scores(
        self, real: Tensor, fake: Tensor, labels: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """fp32 scores (m, 1) of a real and a generated batch that share `labels`, and the
        auxiliary outputs of each (None without an auxiliary head): one critic pass over both, or
        one each when minibatch discrimination compares the samples within a batch."""
        call = self._critic_call
        if self.config.stabilizers.minibatch.kernels:
            return call(real, labels)[0].float(), call(fake, labels)[0].float(), None, None
        both = None if labels is None else torch.cat([labels, labels])
        scores, auxiliary = call(torch.cat([real, fake]), both)  # (2m, 1)
        scores, m = scores.float(), len(real)
        if auxiliary is None:
            return scores[:m], scores[m:], None, None
        auxiliary = auxiliary.float()
        return scores[:m], scores[m:], auxiliary[:m], auxiliary[m:]

    def critic_step(self) -> dict[str, Tensor]:
        """One critic update on a real batch and a generated one (Algorithm 1, lines 2-9)."""
        cfg, timer, n = self.config, self.timer, self.config.batch_size
        with timer("data"):
            if self.kind.trains_on_labels:
                real, labels = self.source.labelled_batch(n, self.rng, rows=self.rows)
            else:
                real, labels = self.source.batch(n, self.rng, rows=self.rows), None
            real = self.memory_format(real)
            labelled = self.kind.labelled_batch(n, self.rng, rows=self.rows)  # sgan's
        with timer("generator forward"), torch.no_grad(), self.autocast():
            fake, code = self._fake(n, labels)
        noise_std = self.instance_noise_std()
        real, fake = self.noisy(real, noise_std), self.noisy(fake, noise_std)
        with self.autocast():
            with timer("critic forward"):
                real_scores, fake_scores, real_out, fake_out = self._scores(real, fake, labels)
                extra, extra_stats = self.kind.critic_terms(real_out, fake_out, code)
                if labelled is not None:
                    examples = self.noisy(self.memory_format(labelled[0]), noise_std)
                    logits = self._critic_call(examples, None)[1]
                    assert logits is not None  # a kind with labelled examples has class logits
                    term, stats = self.kind.supervised_terms(logits.float(), labelled[1])
                    extra = term if extra is None else extra + term
                    extra_stats |= stats
            with timer("penalty"):
                objective = losses.critic_objective(
                    real_scores,
                    fake_scores,
                    loss=self.critic_loss,
                    lipschitz=cfg.lipschitz,
                    critic=self.kind.penalty_critic(self.critic, labels),
                    real=real,
                    fake=fake,
                    eps=self.interpolation_weights(),
                    extra=extra,
                )
        self.critic_update(objective)
        return objective.stats | extra_stats

    def generator_step(self) -> dict[str, Tensor]:
        """One generator update on new z, the critic frozen (Algorithm 1, lines 11-12)."""
        n = self.config.batch_size
        noise_std = self.instance_noise_std()
        with self.timer("generator step"), frozen(self.critic):
            with self.autocast():
                fake, code = self._fake(n)
                fake = self.noisy(fake, noise_std)
                loss, stats = self._generator_loss(fake, code, noise_std)
            beta = self.config.stabilizers.orthogonal_reg
            if beta > 0:  # in fp32, outside autocast
                weights = regularised_weights(self.generator)
                loss = loss + beta * losses.orthogonal_regularization(weights)
            self.generator_update(loss)
        self.update_ema()
        return {"generator_loss": loss.detach(), **stats}

    def _generator_loss(
        self, fake: Tensor, code: Code, noise_std: float
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The generator's loss on its samples: the loss's own (or feature matching), the kind's
        term, and EBGAN's pulling-away term; with the kind's statistics."""
        cfg, n = self.config, self.config.batch_size
        stats: dict[str, Tensor] = {}
        if cfg.stabilizers.feature_matching:
            real = self.noisy(self.source.batch(n, self.rng, rows=self.rows), noise_std)
            # Means over the global batch: the loss is a function of them, not a mean of
            # per-sample terms, so each process needs all ranks' means.
            real_mean = distributed.batch_mean(critic_features(self.critic, real).float())
            fake_mean = distributed.batch_mean(critic_features(self.critic, fake).float())
            loss = losses.feature_matching_loss(fake_mean, real_mean)
        else:
            scores, auxiliary = self._critic_call(fake, code.labels)
            loss = self.generator_loss(scores.float())
            extra, stats = self.kind.generator_terms(
                None if auxiliary is None else auxiliary.float(), code
            )
            if extra is not None:
                loss = loss + extra
        if cfg.ebgan.pullaway_weight > 0:
            features = critic_features(self.critic, fake).float()
            loss = loss + cfg.ebgan.pullaway_weight * losses.pullaway_term(features)
        return loss, stats

    # ---- state ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return super().state_dict() | {"kind": self.kind.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        try:
            self.kind.load_state_dict(state.get("kind") or {})
        except (KeyError, TypeError) as err:
            raise UserError(f"the checkpoint does not fit this run ({err})") from None

    # ---- samples and evaluation -----------------------------------------------------------

    def sample(self, n: int, *, seed: int | None = None, labels: Tensor | None = None) -> Tensor:
        return self.sampler.sample(n, seed=seed, labels=labels)

    def sample_critic(self) -> nn.Module | None:
        if self.kind.critic_takes_labels:
            return None
        scaler = self.source.scaler
        return self.critic if scaler is None else scaler.in_data_units(self.critic)

    @torch.no_grad()
    def evaluate(self, n: int | None = None, *, real: Tensor | None = None) -> dict[str, Any]:
        """The metrics of the run's evaluator (points or images) against held-out data or `real`.

        With `real` given, its first n samples are the reference, the next n the noise floor's.
        """
        result = self.evaluator(
            step=self.step,
            generate=self.sample,
            critic=self.critic,
            n=n or self.config.eval.n,
            real=real,
        )
        result["protocol"]["generator"] = "ema" if self.ema is not None else "raw"
        return result
