"""PacGAN's toy networks: maxout critic units, BatchNorm in the generator, N(0, 0.02^2) weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan.config import load_config
from wgan.lipschitz import critic_lipschitz_bound
from wgan.models import build_critic, build_generator
from wgan.models.mlp import Maxout


def test_maxout_takes_the_largest_of_each_group() -> None:
    x = torch.tensor([[1.0, 5.0, 2.0, -1.0, -3.0, -2.0]])
    assert Maxout(3)(x).tolist() == [[5.0, -1.0]]


def _protocol_config(**model: object):  # type: ignore[no-untyped-def]
    fields = {"critic_maxout": 5, "generator_norm": "batchnorm", "init_std": 0.02}
    return load_config("grid-wgan-gp", model=fields | model)


def test_protocol_networks_have_pacgans_layers() -> None:
    config = _protocol_config()
    critic = build_critic(config, (2,))
    linears = [m for m in critic.modules() if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [1000, 1000, 1000, 1]  # 200 units x 5 pieces
    assert sum(isinstance(m, Maxout) for m in critic.modules()) == 3
    generator = build_generator(config, 2, (2,))
    assert sum(isinstance(m, nn.BatchNorm1d) for m in generator.modules()) == 4
    weights = torch.cat(
        [m.weight.flatten() for m in generator.modules() if isinstance(m, nn.Linear)]
    )
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    assert all(
        m.bias is None or not m.bias.any() for m in generator.modules() if isinstance(m, nn.Linear)
    )


def test_a_maxout_critics_bound_holds_its_gradients() -> None:
    critic = build_critic(_protocol_config(init_std=0.2), (2,))
    bound = critic_lipschitz_bound(critic, (2,))
    assert bound is not None
    x = torch.randn(256, 2, requires_grad=True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    assert grad.norm(dim=1).max().item() <= bound


def test_toy_network_options_are_refused_for_images() -> None:
    with pytest.raises(Exception, match="apply to the mlp networks only"):
        load_config("digits-wgan-gp", model={"critic_maxout": 5})
