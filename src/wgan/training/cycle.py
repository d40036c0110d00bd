"""CycleGAN (Zhu et al. 2017): unpaired translation between two data sets, trained by the loop of
every trainer (`wgan.training.loop`).

The trainer's generator is a ModuleDict of the translators `ab` (G: A -> B) and `ba` (F: B -> A),
its critic a ModuleDict of the critics `a` and `b`, one for each domain. One optimizer serves each
pair: Adam and RMSprop keep their state per parameter, and each loss below is a sum over the
domains, so this is the paper's two optimizers in one. Checkpoints, exact resume, the EMA, the
learning-rate schedule, logging, signals, the NaN guard and torchrun are shared with `Trainer`
(`wgan.training.base`, `wgan.training.loop`).

Critic step: real batches a and b, then G(a) and F(b); for each domain the adversarial critic
loss of `config.loss` and, with a gradient penalty, the penalty on interpolates between its real
samples and the translations into it. Generator step: new real batches; the adversarial generator
loss for each domain, plus lambda_cyc (|F(G(a)) - a|_1 + |G(F(b)) - b|_1) and lambda_id
(|G(b) - b|_1 + |F(a) - a|_1). The paper's pool of 50 earlier translations for the critics is
left out.

Evaluation, on the held-out sets of both domains: exact W1 between the translations and the
target domain's held-out samples (pixels for images) with its noise floor, the cycle
reconstruction errors, and, when data_b is data through a known map T (`data_b.transform`), the
translation errors |G(a) - T(a)| and |F(b) - T^-1(b)| against the error of a translator that
returns real target samples at random (`wgan.metrics.translation`). Each critic's Lipschitz bound
(`critic_lipschitz_bound_a`, `_b`; `critic_lipschitz_bound` is the larger). The keys every run of
its kind of data has (docs/training.md for points, docs/images.md for images) are there too, for
G: A -> B.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor, nn

from wgan import losses
from wgan.config import Config
from wgan.data.sources import DataSource
from wgan.data.transforms import transform_samples
from wgan.errors import UserError
from wgan.evaluation.common import critic_estimate, noise_floor, protocol
from wgan.lipschitz import critic_lipschitz_bound
from wgan.metrics.modes import mode_keys
from wgan.metrics.translation import mean_absolute_error, unpaired_baseline
from wgan.models import build_translation_models
from wgan.training.base import TrainerBase, frozen

DOMAINS = ("a", "b")
_OTHER = {"a": "b", "b": "a"}


def known_transform(config: Config) -> str | None:
    """T when data_b is data through the map T (same data otherwise), else None."""
    a, b = config.data, config.data_b
    if b is None or a.transform != "none" or b.transform == "none":
        return None
    same = a.model_dump(exclude={"transform"}) == b.model_dump(exclude={"transform"})
    return b.transform if same else None


class CycleTrainer(TrainerBase):
    """The trainer of a CycleGAN run (see the module docstring)."""

    def __init__(self, config: Config, run_dir: Path, *, quiet: bool = False) -> None:
        def models(sources: list[DataSource]) -> tuple[nn.Module, nn.Module]:
            shapes = [source.sample_shape for source in sources]
            return build_translation_models(config, shapes[0], shapes[1])

        super().__init__(config, run_dir, quiet=quiet, build_models=models)
        shape_a, shape_b = (source.sample_shape for source in self.sources)
        if config.cyclegan.identity_weight > 0 and shape_a != shape_b:
            raise UserError(
                f"cyclegan.identity_weight needs domains of one shape, got {shape_a} and "
                f"{shape_b}; set it to 0"
            )
        self.domains: dict[str, DataSource] = dict(zip(DOMAINS, self.sources, strict=True))
        self.transform = known_transform(config)
        # W1 noise floors (mean, std) of each target domain's fixed sets, by direction and size.
        self._floors: dict[tuple[str, int], tuple[float, float]] = {}
        # The same modules as generator and critic, typed as the ModuleDicts they are.
        self.translators = cast(nn.ModuleDict, self.generator)
        self.critics = cast(nn.ModuleDict, self.critic)

    # ---- one step -------------------------------------------------------------------------

    def _real_batches(self) -> dict[str, Tensor]:
        n = self.config.batch_size
        return {
            x: self.memory_format(self.domains[x].batch(n, self.rng, rows=self.rows))
            for x in DOMAINS
        }

    def critic_step(self) -> dict[str, Tensor]:
        cfg = self.config
        real = self._real_batches()
        with torch.no_grad(), self.autocast():
            # translations into each domain: fake["b"] = G(a), fake["a"] = F(b)
            fake = {x: self.translators[_OTHER[x] + x](real[_OTHER[x]]).float() for x in DOMAINS}
        noise_std = self.instance_noise_std()
        stats: dict[str, Tensor] = {}
        total = torch.zeros((), device=self.device)
        with self.autocast():
            for x in DOMAINS:
                critic = self.critics[x]
                r, f = self.noisy(real[x], noise_std), self.noisy(fake[x], noise_std)
                scores = critic(torch.cat([r, f])).float()  # (2m, 1)
                objective = losses.critic_objective(
                    scores[: len(r)],
                    scores[len(r) :],
                    loss=self.critic_loss,
                    lipschitz=cfg.lipschitz,
                    critic=critic,
                    real=r,
                    fake=f,
                    eps=self.interpolation_weights(),
                )
                stats |= {f"{key}_{x}": value for key, value in objective.stats.items()}
                total = total + objective.total
        self.critic_update(losses.CriticObjective(total, None, {}))
        stats["critic_w_estimate"] = (
            stats["critic_w_estimate_a"] + stats["critic_w_estimate_b"]
        ) / 2
        return stats

    def generator_step(self) -> dict[str, Tensor]:
        cfg = self.config
        real = self._real_batches()
        noise_std = self.instance_noise_std()
        g = self.translators
        with frozen(self.critic):
            with self.autocast():
                fake_b, fake_a = g["ab"](real["a"]).float(), g["ba"](real["b"]).float()
                adversarial = self.generator_loss(
                    self.critics["b"](self.noisy(fake_b, noise_std)).float()
                ) + self.generator_loss(self.critics["a"](self.noisy(fake_a, noise_std)).float())
                cycle = losses.cycle_consistency_loss(
                    g["ba"](fake_b).float(), real["a"], g["ab"](fake_a).float(), real["b"]
                )
                loss = adversarial + cfg.cyclegan.cycle_weight * cycle
                stats = {
                    "generator_adversarial_loss": adversarial.detach(),
                    "cycle_loss": cycle.detach(),
                }
                if cfg.cyclegan.identity_weight > 0:
                    identity = losses.identity_loss(
                        g["ba"](real["a"]).float(), real["a"], g["ab"](real["b"]).float(), real["b"]
                    )
                    loss = loss + cfg.cyclegan.identity_weight * identity
                    stats["identity_loss"] = identity.detach()
            self.generator_update(loss)
        self.update_ema()
        return {"generator_loss": loss.detach(), **stats}

    # ---- samples and evaluation -----------------------------------------------------------

    @torch.no_grad()
    def translate(self, x: Tensor, direction: str = "ab") -> Tensor:
        """x translated by the sampling translator `ab` (A -> B) or `ba`, in eval mode, fp32."""
        model = cast(nn.ModuleDict, self.sampling_generator)[direction]
        was_training = model.training
        model.eval()
        try:
            parts = [model(x[i : i + 500].to(self.device)).float() for i in range(0, len(x), 500)]
            return torch.cat(parts)
        finally:
            model.train(was_training)

    def sample(self, n: int) -> Tensor:
        """G(a) for the first n held-out samples of domain A (fewer when it holds fewer)."""
        return self.translate(self.domains["a"].holdout(n))

    @torch.no_grad()
    def evaluate(self, n: int | None = None, *, real: Tensor | None = None) -> dict[str, Any]:
        """The CycleGAN keys (module docstring) on n held-out samples of each domain."""
        from wgan.distances import wasserstein

        if real is not None:
            raise UserError(
                "a CycleGAN run is evaluated on the held-out sets of its two domains; run "
                "`wgan evaluate` without --data"
            )
        n = n or self.config.eval.n
        held = {x: self.domains[x].holdout(n) for x in DOMAINS}
        m = min(len(held["a"]), len(held["b"]))
        held = {x: held[x][:m] for x in DOMAINS}
        reference = {x: self.domains[x].reference(m) for x in DOMAINS}
        into = {"b": self.translate(held["a"], "ab"), "a": self.translate(held["b"], "ba")}
        back = {"a": self.translate(into["b"], "ba"), "b": self.translate(into["a"], "ab")}
        result: dict[str, Any] = {"step": self.step, "n": m}
        estimates, bounds = [], []
        for x, y in (("a", "b"), ("b", "a")):
            target, translated = held[y].flatten(1).cpu().double(), into[y].flatten(1).cpu()
            if (y, m) not in self._floors:
                floor_set = reference[y][: len(target)].flatten(1).cpu().double()
                self._floors[y, m] = noise_floor(floor_set, target, wasserstein)
            floor, floor_std = self._floors[y, m]
            estimate = critic_estimate(self.critics[y], held[y], into[y])
            estimates.append(estimate)
            bound = critic_lipschitz_bound(self.critics[y], self.domains[y].sample_shape)
            bounds.append(bound)
            result |= {
                f"w1_{x}{y}": wasserstein(translated.double(), target),
                f"w1_{x}{y}_noise_floor": floor,
                f"w1_{x}{y}_noise_floor_std": floor_std,
                f"cycle_error_{x}": mean_absolute_error(back[x], held[x]),
                f"critic_w_estimate_{y}": estimate,
                f"critic_lipschitz_bound_{y}": bound,
                f"translation_error_{x}{y}": None,
                f"translation_baseline_{x}{y}": None,
            }
            if self.transform is not None:
                truth = transform_samples(self.transform, held[x], inverse=x == "b")
                result[f"translation_error_{x}{y}"] = mean_absolute_error(into[y], truth)
                result[f"translation_baseline_{x}{y}"] = unpaired_baseline(truth, held[y])
        result["critic_w_estimate"] = sum(estimates) / 2
        result["protocol"] = protocol(
            n_real=m, n_fake=m, given=False, exact_sampler=self.domains["b"].n_train is None
        ) | {"generator": "ema" if self.ema is not None else "raw"}
        known = [bound for bound in bounds if bound is not None]
        result["critic_lipschitz_bound"] = max(known) if len(known) == 2 else None
        return result | self._design_keys(result, into["b"])

    def _design_keys(self, result: dict[str, Any], into_b: Tensor) -> dict[str, Any]:
        """The keys every run of the kind of data has (docs/training.md, docs/images.md), for
        G: A -> B: points get w1 (= w1_ab), its floor and the mode keys of G(A) on B's modes;
        images get the feature keys, null (no feature extractor is trained for a translated
        domain)."""
        if into_b.dim() > 2:
            return dict.fromkeys(("fid", "kid_mean", "kid_std", "feature_extractor"))
        return {
            "w1": result["w1_ab"],
            "w1_noise_floor": result["w1_ab_noise_floor"],
            "w1_noise_floor_std": result["w1_ab_noise_floor_std"],
            **mode_keys(into_b, self.domains["b"].modes),
        }
