"""Short training runs, one per method of the GAN family, that fail when the method is broken.

Each trains small networks on 8 Gaussians from a fixed seed and requires the exact W1 to held-out
data to fall to at most half its starting value (the untrained generator's), as the issue asks.
The settings are each method's usual ones at a small scale. They were chosen so that every seed
passes, not just the tests' seed: with seeds 0-4 the end-to-start ratios measured on the project's
2-core machine were

    wgan-clip 0.36-0.40, wgan-gp-one-sided 0.23-0.29, wgan-sn 0.29-0.37, hinge-sn 0.29-0.38,
    nsgan-gp 0.25-0.35, gan 0.12-0.19, nsgan 0.16-0.26, lsgan 0.11-0.29, nsgan-fm 0.16-0.19,
    nsgan-noise 0.12-0.20, nsgan-mbd 0.14-0.24, ebgan 0.26-0.43.

EBGAN is the nearest to the bar, but its runs have settled there (an EMA of the generator's
weights ends at the same ratios); longer runs did not do better (4500 steps: 0.31-0.64).

The methods with one critic step per generator step need 3000 steps: at 1000 (this file's first
version) nsgan ended at 0.26-1.14 over seeds 0-4, a pass or a fail by the seed's luck.

A broken method fails: with the generator loss's sign flipped (for feature matching, the
feature-matching loss's) the tests' seed ended at 1.12 (nsgan), 1.11 (nsgan-fm), 33 (hinge-sn),
137 (wgan-clip) and 8300 (ebgan) times its start. The last test keeps that check for nsgan.
"""

from __future__ import annotations

import itertools
import math
import typing
from pathlib import Path
from typing import Any

import pytest

from conftest import tiny_config
from wgan.config import LipschitzConfig
from wgan.errors import UserError
from wgan.training.trainer import Trainer

GAN_ADAM = {"name": "adam", "lr_generator": 1e-3, "lr_critic": 1e-3, "betas": [0.5, 0.999]}
# One critic step per generator step (the GANs of Goodfellow et al. and their relatives): 3000
# generator steps, batch 64. Five critic steps: 300 generator steps, batch 128.
GAN = {
    "lipschitz": {"method": "none"},
    "n_critic": 1,
    "optimizer": GAN_ADAM,
    "steps": 3000,
    "batch_size": 64,
}
NSGAN = GAN | {"loss": "nonsaturating"}
METHODS: dict[str, dict[str, Any]] = {
    "wgan-clip": {  # a clipped critic learns slowly: twice the steps
        "lipschitz": {"method": "clip", "clip": 0.01},
        "optimizer": {"name": "rmsprop", "lr_generator": 5e-4, "lr_critic": 5e-4},
        "steps": 600,
    },
    "wgan-gp-one-sided": {"lipschitz": {"method": "gp-one-sided", "gp_lambda": 1.0}},
    "wgan-sn": {"lipschitz": {"method": "sn"}},
    "hinge-sn": {"loss": "hinge", "lipschitz": {"method": "sn"}},
    "nsgan-gp": {"loss": "nonsaturating", "lipschitz": {"method": "gp", "gp_lambda": 1.0}},
    "gan": GAN | {"loss": "minimax"},
    "nsgan": NSGAN,
    "lsgan": GAN | {"loss": "lsgan"},
    "ebgan": GAN
    | {
        "loss": "ebgan",
        "ebgan": {"margin": 0.5, "pullaway_weight": 0.1},
        "optimizer": GAN_ADAM | {"lr_generator": 5e-4, "lr_critic": 5e-4},
        "batch_size": 128,
    },
    "nsgan-mbd": NSGAN | {"stabilizers": {"minibatch": {"kernels": 8, "kernel_dim": 4}}},
    "nsgan-fm": NSGAN | {"stabilizers": {"feature_matching": True}},
    # Instance noise annealed away over the first half of the run.
    "nsgan-noise": NSGAN | {"stabilizers": {"instance_noise": {"std": 0.1, "anneal_steps": 1500}}},
}


def small_run(tmp_path: Path, overrides: dict[str, Any]) -> Trainer:
    base: dict[str, Any] = {
        "steps": 300,
        "batch_size": 128,
        "model": {
            "generator_width": 64,
            "critic_width": 64,
            "generator_depth": 2,
            "critic_depth": 2,
        },
        "optimizer": {"lr_generator": 1e-3, "lr_critic": 1e-3, "betas": [0.5, 0.9]},
        "eval": {"every": 10_000, "n": 500},
    }
    return Trainer(tiny_config(**(base | overrides)), tmp_path, quiet=True)


def w1_ratio(trainer: Trainer) -> tuple[float, float]:
    start = trainer.evaluate()["w1"]
    for _ in range(trainer.config.steps):
        trainer.train_step()
    return trainer.evaluate()["w1"] / start, start


@pytest.mark.parametrize("method", sorted(METHODS))
def test_training_halves_exact_w1(tmp_path: Path, method: str) -> None:
    ratio, start = w1_ratio(small_run(tmp_path, METHODS[method]))
    assert start > 1.0  # the untrained generator sits near the origin, the modes at radius 1.41
    assert ratio <= 0.5, f"{method}: W1 fell to {ratio:.2f} of its start"


def test_a_flipped_generator_loss_fails_the_bar(tmp_path: Path) -> None:
    trainer = small_run(tmp_path, METHODS["nsgan"])
    loss = trainer.generator_loss
    trainer.generator_loss = lambda scores: -loss(scores)
    ratio, _ = w1_ratio(trainer)
    assert ratio > 0.5


def test_every_combination_trains_or_is_refused(tmp_path: Path) -> None:
    """Each loss x Lipschitz method x stabiliser either takes a finite training step (bf16
    included) or is refused by the config with a reason."""
    trained = refused = 0
    for loss, method, feature_matching, kernels, noise in itertools.product(
        ("wasserstein", "minimax", "nonsaturating", "hinge", "lsgan", "ebgan"),
        typing.get_args(LipschitzConfig.model_fields["method"].annotation),
        (False, True),
        (0, 3),
        (0.0, 0.1),
    ):
        fields: dict[str, Any] = {
            "loss": loss,
            "lipschitz": {"method": method},
            "stabilizers": {
                "feature_matching": feature_matching,
                "minibatch": {"kernels": kernels},
                "instance_noise": {"std": noise},
            },
            "batch_size": 8,
            "n_critic": 1,
            "precision": "bf16" if noise else "fp32",
            "model": {
                "generator_width": 8,
                "critic_width": 8,
                "generator_depth": 1,
                "critic_depth": 1,
            },
        }
        try:
            config = tiny_config(**fields)
        except UserError as err:
            assert "config: " in str(err) and len(str(err)) > 60  # names the keys and a reason
            refused += 1
            continue
        trainer = Trainer(config, tmp_path, quiet=True)
        trainer.train_step()
        values = {key: float(value) for key, value in trainer.sums.items()}
        assert all(math.isfinite(v) for v in values.values()), (loss, method, values)
        trained += 1
    # Of the 432: wasserstein trains with the 8 methods but none, without minibatch (8 x 4 = 32);
    # ebgan with none only, without minibatch (4); each of the 4 other losses with gp and
    # gp-one-sided without minibatch (2 x 4) and the 7 others with or without it (7 x 8): 4 x 64.
    assert (trained, refused) == (32 + 4 + 256, 432 - 292)
