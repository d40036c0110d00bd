"""Generator and critic networks, built from a config and the shape of one data sample."""

from __future__ import annotations

from torch import Tensor, nn

from wgan.config import Config
from wgan.lipschitz import spectral_normalize_, weight_normalize_
from wgan.models.autoencoder import AutoencoderCritic
from wgan.models.biggan import BigGANGenerator
from wgan.models.dcgan import DCGANCritic, DCGANGenerator
from wgan.models.mlp import MLPCritic, mlp
from wgan.models.resnet import ResNetCritic, ResNetGenerator
from wgan.models.translation import build_translator


def build_models(config: Config, sample_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """(generator, critic) of an unconditional GAN: the generator maps z (B, latent_dim) to
    samples (B, *sample_shape), the critic maps samples to scores (B, 1). A GAN kind that adds
    inputs or heads builds its pair from `build_generator` and `build_critic` itself
    (`wgan.training.kinds`)."""
    generator = build_generator(config, config.model.latent_dim, sample_shape)
    return generator, constrain(config, build_critic(config, sample_shape))


def build_translation_models(
    config: Config, shape_a: tuple[int, ...], shape_b: tuple[int, ...]
) -> tuple[nn.ModuleDict, nn.ModuleDict]:
    """CycleGAN's pair: a ModuleDict of the translators `ab` (A -> B) and `ba`, and a ModuleDict
    of the critics `a` and `b` of each domain."""
    m = config.model
    shapes = {"a": shape_a, "b": shape_b}
    translators = nn.ModuleDict(
        {
            f"{x}{y}": build_translator(
                shapes[x],
                shapes[y],
                width=m.generator_width,
                depth=m.generator_depth,
                activation=m.activation,
            )
            for x, y in ("ab", "ba")
        }
    )
    critics = nn.ModuleDict({x: build_critic(config, shapes[x]) for x in "ab"})
    constrain(config, critics)
    return translators, critics


def constrain(config: Config, critic: nn.Module) -> nn.Module:
    """The finished critic: spectrally normalised when lipschitz.method is 'sn', weight-normalised
    when it is 'weight-norm'."""
    if config.lipschitz.method == "sn":
        spectral_normalize_(critic, config.lipschitz.sn_norm)
    elif config.lipschitz.method == "weight-norm":
        weight_normalize_(critic)
    return critic


def build_generator(config: Config, in_dim: int, sample_shape: tuple[int, ...]) -> nn.Module:
    """The generator of the config's architecture from inputs (B, in_dim) to samples."""
    m = config.model
    if m.arch == "mlp":
        (dim,) = sample_shape
        return _initialised(
            config,
            mlp(
                in_dim,
                dim,
                width=m.generator_width,
                depth=m.generator_depth,
                activation=m.activation,
                batchnorm=m.generator_norm == "batchnorm",
            ),
        )
    channels, resolution, _ = sample_shape
    if m.arch == "biggan":  # the input's part past z is the condition (label, codes)
        return BigGANGenerator(
            latent_dim=m.latent_dim,
            condition_dim=in_dim - m.latent_dim,
            channels=channels,
            resolution=resolution,
            width=m.generator_width,
        )
    kind = DCGANGenerator if m.arch == "dcgan" else ResNetGenerator
    return kind(
        latent_dim=in_dim, channels=channels, resolution=resolution, width=m.generator_width
    )


def build_critic(config: Config, sample_shape: tuple[int, ...]) -> nn.Module:
    """The critic of the config's architecture (before spectral normalisation): samples to
    scores (B, 1). Points get an MLP (with minibatch discrimination when
    stabilizers.minibatch.kernels > 0), or EBGAN's autoencoder for loss 'ebgan'; both have
    `features(x)` (B, k). Images (C, R, R) get the DCGAN or ResNet critic sized from R and C
    (arch biggan: the ResNet critic, whose blocks are BigGAN's, `wgan.models.biggan`)."""
    m = config.model
    if m.arch == "mlp":
        (dim,) = sample_shape
        if config.loss == "ebgan":
            return AutoencoderCritic(
                dim,
                width=m.critic_width,
                depth=m.critic_depth,
                code_dim=config.ebgan.code_dim,
                activation=m.activation,
            )
        minibatch = config.stabilizers.minibatch
        critic = MLPCritic(
            dim,
            width=m.critic_width,
            depth=m.critic_depth,
            activation=m.activation,
            maxout=m.critic_maxout,
            minibatch_kernels=minibatch.kernels,
            minibatch_kernel_dim=minibatch.kernel_dim,
        )
        return _initialised(config, critic)
    channels, resolution, _ = sample_shape
    sn_norm = config.lipschitz.sn_norm
    if m.arch == "dcgan":
        return DCGANCritic(
            channels=channels,
            resolution=resolution,
            width=m.critic_width,
            norm=m.critic_norm,
            sn_norm=sn_norm,
        )
    return ResNetCritic(
        channels=channels, width=m.critic_width, norm=m.critic_norm, sn_norm=sn_norm
    )


def _initialised(config: Config, net: nn.Module) -> nn.Module:
    """`net` with N(0, model.init_std^2) weights and zero biases in its Linear layers, where the
    config sets init_std (PacGAN's toy networks: 0.02); else unchanged."""
    std = config.model.init_std
    if std is not None:
        for layer in net.modules():
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight, std=std)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
    return net


def regularised_weights(generator: nn.Module) -> list[nn.Parameter]:
    """The generator's weights that orthogonal regularisation acts on: its matrices and kernels
    (two or more dimensions), less BigGAN's shared embedding."""
    if isinstance(generator, BigGANGenerator):
        return generator.regularised_weights()
    return [p for p in generator.parameters() if p.dim() >= 2]


def critic_features(critic: nn.Module, x: Tensor) -> Tensor:
    """The critic's features of x (B, k): what feature matching and the pulling-away term use."""
    features = critic.features
    assert callable(features), f"{type(critic).__name__} has no features(x)"
    return features(x)
