"""WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1) written the plain way.

The same algorithm as `wgan.training.trainer.Trainer` with `lipschitz.method: clip` and
`optimizer.name: rmsprop`, written as PyTorch ports of the paper's code write it:

- the generator runs with its autograd graph during the critic steps, and its output is detached;
- two critic passes per critic step, real and fake;
- fp32 throughout, torch's own ReLU and its for-loop RMSProp (alpha 0.99, eps 1e-8);
- after every critic update each critic parameter is clamped to [-c, c] (Algorithm 1, line 8);
- in the generator step the critic's parameters collect gradients too (the next critic step's
  `zero_grad` throws them away).

Algorithm 1 against the authors' code (github.com/martinarjovsky/WassersteinGAN): the code clamps
at the start of each critic iteration, before its forward pass, so the generator step after the
last critic iteration sees weights up to one RMSProp step outside [-c, c]; and it trains the
critic 100 times per generator step for the first 25 generator steps and every 500th. This file
and wgan follow Algorithm 1: the clamp right after each update, n_critic critic steps always.

`ReferenceWGAN.critic_step` and `generator_step` take their random inputs as arguments, so a test
can feed both implementations the same batch and z and compare losses, gradients and weights
(tests/test_headline_claims.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor, nn

from wgan.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_wgan_gp import torch_activations


class ReferenceWGAN:
    """WGAN (weight clipping), one critic and one generator step at a time, written the plain way."""

    def __init__(
        self, generator: nn.Module, critic: nn.Module, *, config: Config, device: torch.device
    ) -> None:
        self.generator = torch_activations(generator).to(device)
        self.critic = torch_activations(critic).to(device)
        self.device = device
        self.latent_dim = config.model.latent_dim
        self.clip = config.lipschitz.clip
        self.n_critic = config.n_critic
        opt = config.optimizer
        self.g_opt = torch.optim.RMSprop(
            self.generator.parameters(), lr=opt.lr_generator, foreach=False
        )
        self.d_opt = torch.optim.RMSprop(self.critic.parameters(), lr=opt.lr_critic, foreach=False)

    def critic_step(self, real: Tensor, z: Tensor) -> dict[str, float]:
        """One critic update on the real batch and latent vectors z, then the clamp
        (Algorithm 1, lines 2-8): ascent on mean f(x) - mean f(g(z)), as descent on its negative."""
        fake = self.generator(z).detach()
        w_estimate = self.critic(real).mean() - self.critic(fake).mean()
        loss = -w_estimate
        self.d_opt.zero_grad()
        loss.backward()
        self.d_opt.step()
        for p in self.critic.parameters():
            p.data.clamp_(-self.clip, self.clip)
        return {"critic_loss": loss.item(), "critic_w_estimate": w_estimate.item()}

    def generator_step(self, z: Tensor) -> dict[str, float]:
        """One generator update on latent vectors z (Algorithm 1, lines 10-11)."""
        loss = -self.critic(self.generator(z)).mean()
        self.g_opt.zero_grad()
        loss.backward()
        self.g_opt.step()
        return {"generator_loss": loss.item()}

    def train_step(self, batches: Iterator[Tensor], batch_size: int) -> None:
        """n_critic critic steps on the next batches, then one generator step."""
        for _ in range(self.n_critic):
            real = next(batches).to(self.device)
            self.critic_step(real, torch.randn(batch_size, self.latent_dim, device=self.device))
        self.generator_step(torch.randn(batch_size, self.latent_dim, device=self.device))
