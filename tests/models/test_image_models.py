from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan.config import load_config
from wgan.errors import UserError
from wgan.models import build_models
from wgan.models.layers import upsampling_stages


def _models(arch: str, channels: int, resolution: int, norm: str = "none"):
    lipschitz = {"method": "clip"} if norm == "batchnorm" else {"method": "gp"}
    config = load_config(
        "digits-wgan-gp",
        data={"resolution": resolution, "channels": channels},
        model={"arch": arch, "latent_dim": 8, "generator_width": 4, "critic_width": 4,
               "critic_norm": norm},
        lipschitz=lipschitz,
    )  # fmt: skip
    return build_models(config, (channels, resolution, resolution))


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("resolution", [4, 8, 16, 28, 32])
def test_output_shapes(arch: str, channels: int, resolution: int) -> None:
    torch.manual_seed(0)
    generator, critic = _models(arch, channels, resolution)
    images = generator(torch.randn(5, 8))
    assert images.shape == (5, channels, resolution, resolution)
    assert images.abs().max() <= 1.0  # tanh
    assert critic(images).shape == (5, 1)


def test_upsampling_stages_reach_the_resolution() -> None:
    for resolution in range(4, 130):
        k, s0 = upsampling_stages(resolution)
        assert k >= 2 and (4 <= s0 <= 8 or resolution < 16)
        assert s0 * 2**k >= resolution > s0 * 2 ** (k - 1)
    assert upsampling_stages(32) == (3, 4) and upsampling_stages(28) == (2, 7)
    assert upsampling_stages(8) == (2, 2)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
@pytest.mark.parametrize("norm", ["none", "layernorm", "sn"])
def test_critic_scores_each_sample_on_its_own(arch: str, norm: str) -> None:
    """What the per-sample gradient penalty needs: f(x_i) does not depend on the rest of the batch."""
    torch.manual_seed(0)
    _, critic = _models(arch, 3, 16, norm)
    critic.eval()  # spectral norm: no power iteration between the two calls
    x = torch.randn(6, 3, 16, 16)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules())
    torch.testing.assert_close(critic(x)[:2], critic(x[:2]))


def test_batchnorm_critic_mixes_the_batch_so_the_penalty_refuses_it() -> None:
    torch.manual_seed(0)
    _, critic = _models("dcgan", 1, 16, "batchnorm")
    x = torch.randn(6, 1, 16, 16)
    assert not torch.allclose(critic(x)[:2], critic(x[:2]))
    with pytest.raises(UserError, match="BatchNorm makes every score depend"):
        load_config("digits-wgan-gp", model={"critic_norm": "batchnorm"})


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_spectral_norm_bounds_every_weight(arch: str) -> None:
    torch.manual_seed(0)
    _, critic = _models(arch, 1, 16, "sn")
    x = torch.randn(4, 1, 16, 16)
    for _ in range(30):  # power iterations converge in training mode
        critic(x)
    layers = [m for m in critic.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert float(sigma) == pytest.approx(1.0, abs=0.02)


def test_generator_uses_batchnorm_and_critic_leaky_relu() -> None:
    generator, critic = _models("dcgan", 1, 16)
    assert any(isinstance(m, nn.BatchNorm2d) for m in generator.modules())
    assert any(isinstance(m, nn.LeakyReLU) for m in critic.modules())
    assert not any(isinstance(m, nn.MaxPool2d | nn.AvgPool2d) for m in critic.modules())


def test_config_keeps_archs_with_their_data() -> None:
    with pytest.raises(UserError, match="image data needs 'dcgan', 'resnet' or"):
        load_config("digits-wgan-gp", model={"arch": "mlp"})
    with pytest.raises(UserError, match="is for images"):
        load_config(None, model={"arch": "dcgan"})
    with pytest.raises(UserError, match=r"needs data\.path"):
        load_config("mnist-wgan-gp")
    with pytest.raises(UserError, match="critic_norm applies"):
        load_config(None, model={"critic_norm": "sn"})
