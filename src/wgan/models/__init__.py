"""Generator and critic networks, built from a config and the shape of one data sample."""

from __future__ import annotations

from torch import nn

from wgan.config import Config
from wgan.models.dcgan import DCGANCritic, DCGANGenerator
from wgan.models.mlp import mlp
from wgan.models.resnet import ResNetCritic, ResNetGenerator


def build_models(config: Config, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """(generator, critic): the generator maps z (B, latent_dim) to samples (B, *sample_shape).

    Points (d,) get MLPs; images (C, R, R) get the DCGAN or ResNet pair sized from R and C.
    """
    m = config.model
    if m.arch == "mlp":
        (dim,) = sample_shape
        generator = mlp(
            m.latent_dim,
            dim,
            width=m.generator_width,
            depth=m.generator_depth,
            activation=m.activation,
        )
        critic = mlp(dim, 1, width=m.critic_width, depth=m.critic_depth, activation=m.activation)
        return generator, critic
    channels, resolution, _ = sample_shape
    if m.arch == "dcgan":
        return (
            DCGANGenerator(
                latent_dim=m.latent_dim,
                channels=channels,
                resolution=resolution,
                width=m.generator_width,
            ),
            DCGANCritic(
                channels=channels, resolution=resolution, width=m.critic_width, norm=m.critic_norm
            ),
        )
    return (
        ResNetGenerator(
            latent_dim=m.latent_dim,
            channels=channels,
            resolution=resolution,
            width=m.generator_width,
        ),
        ResNetCritic(channels=channels, width=m.critic_width, norm=m.critic_norm),
    )
