"""Generator and critic networks, built from a config and the shape of one data sample."""

from __future__ import annotations

from torch import nn

from wgan.config import Config
from wgan.models.mlp import mlp


def build_models(config: Config, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """(generator, critic): the generator maps z (B, latent_dim) to samples (B, *sample_shape)."""
    m = config.model
    (dim,) = sample_shape
    generator = mlp(
        m.latent_dim, dim, width=m.generator_width, depth=m.generator_depth, activation=m.activation
    )
    critic = mlp(dim, 1, width=m.critic_width, depth=m.critic_depth, activation=m.activation)
    return generator, critic
