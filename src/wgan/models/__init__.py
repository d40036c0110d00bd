"""Generator and critic networks, built from a config and the shape of one data sample."""

from __future__ import annotations

from torch import Tensor, nn

from wgan.config import Config
from wgan.lipschitz import spectral_normalize_
from wgan.models.autoencoder import AutoencoderCritic
from wgan.models.dcgan import DCGANCritic, DCGANGenerator
from wgan.models.mlp import MLPCritic, mlp
from wgan.models.resnet import ResNetCritic, ResNetGenerator


def build_models(config: Config, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """(generator, critic): the generator maps z (B, latent_dim) to samples (B, *sample_shape),
    the critic maps samples to scores (B, 1).

    Points (d,) get MLPs: the critic is EBGAN's autoencoder for loss 'ebgan', else an MLP (with
    minibatch discrimination when stabilizers.minibatch.kernels > 0); both have `features(x)`
    (B, k). Images (C, R, R) get the DCGAN or ResNet pair sized from R and C.
    lipschitz.method 'sn' spectrally normalises every critic weight.
    """
    build = _point_models if config.model.arch == "mlp" else _image_models
    generator, critic = build(config, sample_shape)
    if config.lipschitz.method == "sn":
        spectral_normalize_(critic)
    return generator, critic


def _point_models(config: Config, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    m = config.model
    (dim,) = sample_shape
    generator = mlp(
        m.latent_dim, dim, width=m.generator_width, depth=m.generator_depth, activation=m.activation
    )
    critic: nn.Module
    if config.loss == "ebgan":
        critic = AutoencoderCritic(
            dim,
            width=m.critic_width,
            depth=m.critic_depth,
            code_dim=config.ebgan.code_dim,
            activation=m.activation,
        )
    else:
        minibatch = config.stabilizers.minibatch
        critic = MLPCritic(
            dim,
            width=m.critic_width,
            depth=m.critic_depth,
            activation=m.activation,
            minibatch_kernels=minibatch.kernels,
            minibatch_kernel_dim=minibatch.kernel_dim,
        )
    return generator, critic


def _image_models(config: Config, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    m = config.model
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


def critic_features(critic: nn.Module, x: Tensor) -> Tensor:
    """The critic's features of x (B, k): what feature matching and the pulling-away term use."""
    features = critic.features
    assert callable(features), f"{type(critic).__name__} has no features(x)"
    return features(x)
