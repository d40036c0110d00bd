"""Shared fixtures: tiny configs that train in well under a second.

Every test process runs torch with one intra-op thread (subprocesses too, through
OMP_NUM_THREADS). With two test workers on two cores, torch's default of one thread per core
oversubscribes the machine and tiny ops wait on each other: a 3 s fit was measured taking 300 s.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np
import pytest
import torch

from wgan.config import Config, load_config

torch.set_num_threads(1)


def tiny_config(**fields: object) -> Config:
    """The default preset shrunk to a toy: width 32, batch 32, fp32, a few steps."""
    base: dict[str, object] = {
        "steps": 6,
        "batch_size": 32,
        "precision": "fp32",
        "device": "cpu",
        "model": {
            "generator_width": 32,
            "critic_width": 32,
            "generator_depth": 2,
            "critic_depth": 2,
        },
        "eval": {"every": 3, "n": 200},
        "checkpoint": {"every": 3, "keep": 2},
        "log": {"every": 2},
    }
    return load_config(None, **{**base, **fields})


@pytest.fixture
def tiny() -> Config:
    return tiny_config()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)
