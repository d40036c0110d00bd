"""Every structured GAN kind with every adversarial loss but EBGAN, every Lipschitz method and
instance noise takes a finite training step, wherever the unconditional GAN accepts the
combination (docs/conditional.md's opening claim; the one refusal of the unconditional GAN here is
the Wasserstein loss without a Lipschitz method)."""

from __future__ import annotations

import itertools
import math
import typing
from pathlib import Path
from typing import Any

import pytest

from conftest import tiny_config
from wgan.config.sections import LipschitzConfig
from wgan.errors import UserError
from wgan.training.rundir import make_trainer

KINDS: dict[str, dict[str, Any]] = {
    "cgan": {"gan": "cgan"},
    "acgan": {"gan": "acgan"},
    "infogan": {"gan": "infogan", "infogan": {"categories": 3, "continuous": 1}},
    "cyclegan": {"gan": "cyclegan", "data_b": {"name": "8gaussians", "transform": "rotate90"}},
}
LOSSES = ("wasserstein", "minimax", "nonsaturating", "hinge", "lsgan")
METHODS = typing.get_args(LipschitzConfig.model_fields["method"].annotation)


def test_the_methods_are_all_of_the_config() -> None:
    assert len(METHODS) == 9 and {"gp", "clip", "sn", "weight-norm", "l2-decay"} <= set(METHODS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_loss_method_and_instance_noise_takes_a_finite_step(
    tmp_path: Path, kind: str
) -> None:
    trained = 0
    for loss, method, noise in itertools.product(LOSSES, METHODS, (0.0, 0.1)):
        fields: dict[str, Any] = {
            "loss": loss,
            "lipschitz": {"method": method},
            "stabilizers": {"instance_noise": {"std": noise}},
            "batch_size": 8,
            "n_critic": 1,
            "model": {"generator_width": 8, "critic_width": 8},
        }
        try:
            tiny_config(**fields)
        except UserError:
            assert (loss, method) == ("wasserstein", "none")
            with pytest.raises(UserError, match="needs a Lipschitz critic"):
                tiny_config(**KINDS[kind], **fields)
            continue
        config = tiny_config(**KINDS[kind], **fields)
        trainer = make_trainer(config, tmp_path, quiet=True)
        trainer.train_step()
        values = {key: float(value) for key, value in trainer.sums.items()}
        assert values and all(math.isfinite(v) for v in values.values()), (loss, method, noise)
        trained += 1
    assert trained == len(LOSSES) * len(METHODS) * 2 - 2


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ebgan_is_refused_with_a_reason(kind: str) -> None:
    with pytest.raises(UserError, match="linear head"):
        tiny_config(**KINDS[kind], loss="ebgan", lipschitz={"method": "none"})
