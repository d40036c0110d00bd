"""Short training runs, one per method of the GAN family, that fail when the method is broken.

Each trains small networks on 8 Gaussians from a fixed seed and requires the exact W1 to held-out
data to fall to at most half its starting value (the untrained generator's), as the issue asks.
The settings are each method's usual ones at a small scale, with a margin: when these tests were
written the end-to-start ratios were 0.20-0.36 with the tests' seed, and at most 0.37 with seeds 1
and 2 for the methods nearest the bar (wgan-clip, ebgan, nsgan-noise); with the generator loss's
sign flipped (for feature matching, the feature-matching loss's) every method ended above 1. The
last test keeps that check for the non-saturating loss.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from conftest import tiny_config
from wgan.errors import UserError
from wgan.train import Trainer

GAN_ADAM = {"name": "adam", "lr_generator": 1e-3, "lr_critic": 1e-3, "betas": [0.5, 0.999]}
GAN = {"lipschitz": {"method": "none"}, "n_critic": 1, "optimizer": GAN_ADAM, "steps": 1000}
NSGAN = GAN | {"loss": "nonsaturating"}
# Methods with 5 critic steps per generator step train for 300 generator steps, those with one
# (the GANs of Goodfellow et al. and their relatives) for 1000.
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
    },
    "nsgan-mbd": NSGAN | {"stabilizers": {"minibatch": {"kernels": 8, "kernel_dim": 4}}},
    "nsgan-fm": NSGAN | {"stabilizers": {"feature_matching": True}},
    "nsgan-noise": NSGAN | {"stabilizers": {"instance_noise": {"std": 0.05}}},
}


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    # Small networks run faster on one thread, and two test workers share the machine's cores.
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


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
        ("gp", "gp-one-sided", "clip", "sn", "none"),
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
        values = {key: float(value) for key, value in trainer._sums.items()}
        assert all(math.isfinite(v) for v in values.values()), (loss, method, values)
        trained += 1
    # Of the 240: wasserstein trains with 4 methods, without minibatch (4 x 4 = 16); ebgan with
    # none only, without minibatch (4); each of the 4 other losses with gp and gp-one-sided without
    # minibatch (2 x 4) and clip, sn, none with or without it (3 x 8): 4 x 32 = 128.
    assert (trained, refused) == (16 + 4 + 128, 240 - 148)
