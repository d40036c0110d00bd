"""Shared fixtures: tiny configs that train in well under a second.

Every test process runs torch with one intra-op thread (subprocesses too, through
OMP_NUM_THREADS). With two test workers on two cores, torch's default of one thread per core
oversubscribes the machine and tiny ops wait on each other: a 3 s fit was measured taking 300 s.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np
import pytest
import torch

from wgan.config import Config, load_config


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


# One config per loss, with the Lipschitz methods and stabilisers spread over them, for the tests
# that every method keeps the run's guarantees (exact resume, rollback after a NaN).
FAMILY_METHODS: dict[str, dict[str, object]] = {
    "minimax": {"loss": "minimax", "lipschitz": {"method": "none"}},
    "nsgan-gp": {"loss": "nonsaturating", "lipschitz": {"method": "gp"}},
    "hinge-sn-bf16": {"loss": "hinge", "lipschitz": {"method": "sn"}, "precision": "bf16"},
    "wgan-sn-exact": {"lipschitz": {"method": "sn", "sn_norm": "exact"}},
    "lsgan": {"loss": "lsgan", "lipschitz": {"method": "none"}},
    "wgan-weight-norm": {"lipschitz": {"method": "weight-norm", "norm_bound": 0.5}},
    "wgan-l1-decay": {"lipschitz": {"method": "l1-decay"}},
    "wgan-l2-decay": {"lipschitz": {"method": "l2-decay"}},
    "wgan-clip": {"lipschitz": {"method": "clip"}, "optimizer": {"name": "rmsprop"}},
    "wgan-clip-norm": {"lipschitz": {"method": "clip-norm"}},
    "wgan-gp-one-sided": {"lipschitz": {"method": "gp-one-sided"}},
    "ebgan-pt": {
        "loss": "ebgan",
        "lipschitz": {"method": "none"},
        "ebgan": {"pullaway_weight": 0.1},
    },
    "nsgan-sn-stabilizers": {
        "loss": "nonsaturating",
        "lipschitz": {"method": "sn"},
        "stabilizers": {
            "instance_noise": {"std": 0.1, "anneal_steps": 6},
            "feature_matching": True,
            "minibatch": {"kernels": 3, "kernel_dim": 2},
        },
    },
}


@pytest.fixture
def tiny() -> Config:
    return tiny_config()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Every test runs on one torch thread (two xdist workers share the cores), whatever a test
    before it set (`wgan bench --threads`, compare's jobs)."""
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the user's cache (the evaluation classifiers live there)."""
    monkeypatch.setenv("WGAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def fast_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluation classifiers trained for a few steps: enough to run the code, not to be good."""
    from wgan.metrics import classifier

    monkeypatch.setattr(classifier, "training_steps", lambda n: 20)


def tiny_image_config(**fields: object) -> Config:
    """digits-wgan-gp at 8x8 with 4-channel models, batch 16: steps take milliseconds."""
    base: dict[str, object] = {
        "steps": 6,
        "batch_size": 16,
        "precision": "fp32",
        "device": "cpu",
        "data": {"name": "digits", "resolution": 8},
        "model": {"latent_dim": 8, "generator_width": 4, "critic_width": 4},
        "eval": {"every": 3, "n": 40},
        "checkpoint": {"every": 3, "keep": 2},
        "log": {"every": 2},
    }
    return load_config("digits-wgan-gp", **{**base, **fields})


def benchmark_script(name: str) -> ModuleType:
    """benchmarks/<name>.py imported as module `name` (benchmarks/ is not a package; the
    scripts import each other by plain name)."""
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def tree_digest(folder: Path) -> str:
    """A hash of every file's name and bytes under `folder` (directories included by name)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
