"""Samples of a trained generator: the fixed evaluation z, a conditional run's codes, and the
sampling generator (the EMA copy when there is one) in eval mode, in the data's units."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from wgan.training.codes import NO_CODE, Code
from wgan.training.kinds import Unconditional

_EVAL_STREAM = 3_000_017  # seeds the fixed z of evaluations, apart from the training stream
_CODE_STREAM = 101  # the codes of evaluation samples: apart from their z


class Sampler:
    """Draws evaluation inputs from streams of their own (never the training stream) and runs the
    sampling generator on them."""

    def __init__(
        self,
        kind: Unconditional,
        generator: Callable[[], nn.Module],
        *,
        seed: int,
        latent_dim: int,
        device: torch.device,
        to_data: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.kind = kind
        self.to_data = to_data  # from the units the generator was trained in (None: the same)
        self.generator = generator  # the sampling generator now (the EMA copy may be swapped)
        self.seed = seed
        self.latent_dim = latent_dim
        self.device = device

    def _rng(self, seed: int | None, stream: int = 0) -> torch.Generator:
        first = self.seed + _EVAL_STREAM if seed is None else seed
        return torch.Generator(device=self.device).manual_seed(first + stream)

    def noise(self, n: int, *, seed: int | None = None, truncation: float | None = None) -> Tensor:
        """n latent vectors from the evaluation stream (fixed by the run's seed), or from `seed`;
        from the normal truncated at +-`truncation` when it is given (`truncated_normal`)."""
        return truncated_normal(
            (n, self.latent_dim), truncation, generator=self._rng(seed), device=self.device
        )

    def code(self, n: int, *, seed: int | None = None, labels: Tensor | None = None) -> Code:
        """Codes for n samples of a conditional run: `labels` (n,) when given, else drawn, from
        a stream of their own, so that z stays the same whatever the labels."""
        if self.kind.codes is None:
            return NO_CODE
        rng = self._rng(seed, _CODE_STREAM)
        return self.kind.draw_code(
            n, rng, labels=None if labels is None else labels.to(self.device)
        )

    def generate(self, z: Tensor, code: Code = NO_CODE) -> Tensor:
        """Samples for the latent vectors z (n, latent_dim) and, in a conditional run, their
        codes: the sampling generator in eval mode, fp32, in the data's units."""
        return self.decode(self.kind.generator_input(z.to(self.device), code))

    @torch.no_grad()
    def decode(self, inputs: Tensor) -> Tensor:
        """Samples for the generator's whole inputs (n, latent_dim + code dim): z with the
        encoded codes appended (`generator_input`), or any vector of that space."""
        model = self.generator()
        was_training = model.training
        model.eval()
        try:
            samples = model(inputs.to(self.device)).float()
        finally:
            model.train(was_training)
        return samples if self.to_data is None else self.to_data(samples)

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        labels: Tensor | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """n generated samples in fp32, from the sampling generator in eval mode.

        Without `seed` the latent vectors are the run's fixed evaluation z: the same at every step.
        In a conditional run `labels` (n,) are the classes (InfoGAN: the categorical code) to
        generate; without them they are drawn with the classes' shares. `truncation`: z from
        the normal truncated at +-truncation (BigGAN's truncation trick).
        """
        code = self.code(n, seed=seed, labels=labels)
        return self.generate(self.noise(n, seed=seed, truncation=truncation), code)


def truncated_normal(
    shape: tuple[int, ...],
    threshold: float | None,
    *,
    generator: torch.Generator,
    device: torch.device,
) -> Tensor:
    """N(0, I) samples of `shape` with every entry of magnitude above `threshold` drawn again
    until none is (the truncation trick of Brock et al. 2019, section 3.1); plain N(0, I) for
    threshold None. Smaller thresholds trade the samples' variety for their fidelity."""
    z = torch.randn(shape, generator=generator, device=device)
    if threshold is None:
        return z
    if threshold <= 0:
        raise ValueError(f"the truncation threshold must be positive, got {threshold}")
    outside = z.abs() > threshold
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=generator, device=device)
        outside = z.abs() > threshold
    return z
