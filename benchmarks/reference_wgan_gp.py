"""WGAN-GP written the plain way most public code does: the side-by-side baseline of speed.py.

The same algorithm as `wgan.training.trainer.Trainer` (Gulrajani et al. 2017, Algorithm 1), the
same models and hyperparameters, written as PyTorch ports of the paper's code and most tutorials
write it:

- the real batch is drawn on the host (NumPy for the toy mixtures, a shuffled DataLoader for
  images) and copied to the device at every critic step;
- the generator runs with its autograd graph during the critic steps, and its output is detached;
- three critic passes per critic step: real, fake, and the interpolates of the penalty;
- fp32 throughout, no fusion, no compilation, torch's own ReLU and Adam;
- in the generator step the critic's parameters collect gradients too (the next critic step's
  `zero_grad` throws them away);
- the losses are read with `.item()` at every step, for the log.

Each of those is one of the optimisations of the fast step. `Switches` turns them on one at a
time, so that speed.py can measure each change against the one before, in one process. With
every switch off this is the plain baseline; `ReferenceWGANGP.critic_step` and
`generator_step` take their random inputs as arguments, so a test can feed both implementations
the same batch, z and eps and compare losses and gradients.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from wgan.config import Config
from wgan.models.layers import MaskedLeakyReLU, MaskedReLU


@dataclass(frozen=True)
class Switches:
    """The fast step's optimisations, each on or off (all off: the plain reference)."""

    no_generator_graph: bool = False  # generator under no_grad during critic steps
    frozen_critic: bool = False  # critic.requires_grad_(False) in the generator step
    fused_real_fake: bool = False  # one critic pass over real and fake together
    no_item_per_step: bool = False  # losses kept as tensors, no .item() (a sync on GPUs)
    masked_activations: bool = False  # wgan's ReLUs (a cheaper double backward)
    fused_adam: bool = False  # torch's fused Adam kernel


class ReferenceWGANGP:
    """WGAN-GP, one critic and one generator step at a time, written the plain way."""

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        *,
        config: Config,
        device: torch.device,
        switches: Switches = Switches(),
    ) -> None:
        if not switches.masked_activations:
            generator, critic = torch_activations(generator), torch_activations(critic)
        self.generator = generator.to(device)
        self.critic = critic.to(device)
        self.device = device
        self.latent_dim = config.model.latent_dim
        self.gp_lambda = config.lipschitz.gp_lambda
        self.n_critic = config.n_critic
        self.switches = switches
        opt = config.optimizer
        fused = switches.fused_adam or None
        self.g_opt = torch.optim.Adam(
            generator.parameters(), lr=opt.lr_generator, betas=opt.betas, fused=fused
        )
        self.d_opt = torch.optim.Adam(
            critic.parameters(), lr=opt.lr_critic, betas=opt.betas, fused=fused
        )
        self.log: list[dict[str, float | Tensor]] = []

    def gradient_penalty(self, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
        """mean_i (||grad f(x_hat_i)|| - 1)^2, x_hat_i = eps_i real_i + (1 - eps_i) fake_i."""
        eps = eps.view(-1, *([1] * (real.dim() - 1)))
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        scores = self.critic(x_hat)
        (grad,) = torch.autograd.grad(
            outputs=scores,
            inputs=x_hat,
            grad_outputs=torch.ones_like(scores),
            create_graph=True,
        )
        return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()

    def critic_step(self, real: Tensor, z: Tensor, eps: Tensor) -> dict[str, float | Tensor]:
        """One critic update on the real batch, latent vectors z and interpolation weights eps."""
        s = self.switches
        if s.no_generator_graph:
            with torch.no_grad():
                fake = self.generator(z)
        else:
            fake = self.generator(z).detach()
        if s.fused_real_fake:
            scores = self.critic(torch.cat([real, fake]))
            real_scores, fake_scores = scores[: len(real)], scores[len(real) :]
        else:
            real_scores = self.critic(real)
            fake_scores = self.critic(fake)
        penalty = self.gradient_penalty(real, fake, eps)
        w_estimate = real_scores.mean() - fake_scores.mean()
        loss = -w_estimate + self.gp_lambda * penalty
        self.d_opt.zero_grad()
        loss.backward()
        self.d_opt.step()
        return self._record(critic_loss=loss, penalty=penalty, critic_w_estimate=w_estimate)

    def generator_step(self, z: Tensor) -> dict[str, float | Tensor]:
        """One generator update on latent vectors z."""
        if self.switches.frozen_critic:
            self.critic.requires_grad_(False)
        loss = -self.critic(self.generator(z)).mean()
        self.g_opt.zero_grad()
        loss.backward()
        self.g_opt.step()
        if self.switches.frozen_critic:
            self.critic.requires_grad_(True)
        return self._record(generator_loss=loss)

    def _record(self, **values: Tensor) -> dict[str, float | Tensor]:
        if self.switches.no_item_per_step:
            record: dict[str, float | Tensor] = {k: v.detach() for k, v in values.items()}
        else:
            record = {k: v.item() for k, v in values.items()}
        self.log.append(record)
        del self.log[:-100]  # a log of the last steps, as a plain loop would print or plot
        return record

    def train_step(self, batches: Iterator[Tensor], batch_size: int) -> None:
        """n_critic critic steps on the next batches, then one generator step."""
        for _ in range(self.n_critic):
            real = next(batches).to(self.device)
            z = torch.randn(batch_size, self.latent_dim, device=self.device)
            eps = torch.rand(batch_size, device=self.device)
            self.critic_step(real, z, eps)
        self.generator_step(torch.randn(batch_size, self.latent_dim, device=self.device))


def torch_activations(model: nn.Module) -> nn.Module:
    """`model` with wgan's masked ReLUs replaced by torch's own modules, in place."""
    for name, child in model.named_children():
        if isinstance(child, MaskedLeakyReLU):
            setattr(model, name, nn.LeakyReLU(child.negative_slope))
        elif isinstance(child, MaskedReLU):
            setattr(model, name, nn.ReLU())
        else:
            torch_activations(child)
    return model


# ---- data, drawn on the host as plain code does --------------------------------------------


def numpy_toy_batches(centres: np.ndarray, std: float, n: int, seed: int) -> Iterator[Tensor]:
    """Endless batches of a Gaussian mixture drawn with NumPy, as the paper's `inf_train_gen`
    (vectorised): float32 tensors (n, d) on the CPU."""
    rng = np.random.default_rng(seed)
    while True:
        which = rng.integers(len(centres), size=n)
        points = centres[which] + std * rng.standard_normal((n, centres.shape[1]))
        yield torch.from_numpy(points.astype(np.float32))


def loader_batches(images: Tensor, n: int, seed: int) -> Iterator[Tensor]:
    """Endless shuffled batches of an in-memory image set (CPU) through a torch DataLoader."""
    dataset = torch.utils.data.TensorDataset(images)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=n,
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(seed),
    )
    while True:
        for (batch,) in loader:
            yield batch
