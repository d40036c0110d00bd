"""The public Python surface: `wgan.__all__`, Config constructors, train / load_run / sample /
evaluate, and that every public name is typed and documented."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wgan
from conftest import tiny_config
from wgan.config import load_config

TINY = tiny_config().to_dict()  # a full mapping: keyword diffs that shrink any preset


def test_all_names_resolve_and_are_listed_by_dir() -> None:
    for name in wgan.__all__:
        assert getattr(wgan, name) is not None
    assert set(wgan.__all__) <= set(dir(wgan))
    assert wgan.distances.wasserstein is not None and wgan.losses.wasserstein_critic_loss
    with pytest.raises(AttributeError, match="no attribute 'Trainer'"):
        wgan.Trainer  # noqa: B018


def test_wgan_train_is_the_function() -> None:
    import wgan.training.trainer

    assert wgan.train is wgan.api.train
    from wgan import train

    assert train is wgan.api.train


def test_version_and_help_need_no_torch() -> None:
    code = (
        "import sys\n"
        "from wgan.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wgan {wgan.__version__}\n"


def test_from_preset_matches_load_config_and_merges_sections() -> None:
    assert wgan.Config.from_preset("8gaussians-wgan-clip") == load_config("8gaussians-wgan-clip")
    assert wgan.Config.from_preset() == load_config()
    config = wgan.Config.from_preset(
        "8gaussians-wgan-clip", name="mine", steps=7, lipschitz={"clip": 0.02}
    )
    assert config.steps == 7 and config.name == "mine"
    assert (config.lipschitz.method, config.lipschitz.clip) == ("clip", 0.02)  # method kept


def test_from_yaml_names_the_config_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("n_critic: 3\nlipschitz: {gp_lambda: 2.0}\n")
    config = wgan.Config.from_yaml(path, steps=9)
    assert (config.name, config.n_critic, config.steps) == ("mine", 3, 9)
    assert config.lipschitz.gp_lambda == 2.0
    assert config == load_config(str(path), steps=9)


def test_keyword_construction_uses_the_code_defaults() -> None:
    config = wgan.Config(steps=5, lipschitz={"method": "clip"})
    assert config.steps == 5 and config.lipschitz.method == "clip"
    assert config.n_critic == wgan.Config().n_critic


def test_config_mistakes_are_user_errors_naming_the_key() -> None:
    with pytest.raises(wgan.UserError, match=r"lipschitz\.gp_lamda"):
        wgan.Config.from_preset(lipschitz={"gp_lamda": 1.0})
    with pytest.raises(wgan.UserError, match="no preset or config file named 'nope'"):
        wgan.Config.from_preset("nope")


def test_train_load_run_sample_and_evaluate(tmp_path: Path) -> None:
    run = wgan.train(wgan.Config.from_preset(**TINY), out=tmp_path / "run")
    assert isinstance(run, wgan.Run) and run.step == TINY["steps"]
    assert (run.path / "report.png").is_file()
    samples = run.sample(50)
    assert samples.shape == (50, 2) and samples.dtype == np.float32
    metrics = run.evaluate(n=100)
    assert metrics["step"] == TINY["steps"] and metrics["modes_total"] == 8
    assert metrics["w1"] >= 0 and metrics["w1_noise_floor"] >= 0

    evaluations = run.metrics("eval")
    assert [r["step"] for r in evaluations] == [0, 3, 6]
    assert [r["step"] for r in run.metrics("train")] == [2, 4, 6]
    assert len(run.metrics()) == 6
    last = dict(evaluations[-1])
    assert last.pop("elapsed_s") > 0  # training's wall-clock, which Run.evaluate has not
    assert last == {"kind": "eval", **run.evaluate()}  # the fixed z and held-out set

    opened = wgan.load_run(tmp_path / "run")
    assert opened.step == run.step and opened.config == run.config
    np.testing.assert_array_equal(opened.sample(50), samples)
    assert opened.evaluate(n=100) == metrics
    assert not np.array_equal(opened.sample(50, seed=1), samples)


def _public_callables() -> list[tuple[str, Any]]:
    found = [(name, getattr(wgan, name)) for name in ("train", "load_run", "load_config")]
    found += [
        (f"Config.{name}", getattr(wgan.Config, name)) for name in ("from_preset", "from_yaml")
    ]
    found += [
        (f"Run.{name}", member)
        for name, member in vars(wgan.Run).items()
        if not name.startswith("_") and callable(member)
    ]
    for module in (wgan.distances, wgan.losses, wgan.lipschitz):
        found += [
            (f"{module.__name__}.{name}", getattr(module, name))
            for name in module.__all__
            if inspect.isfunction(getattr(module, name))
        ]
    return found


@pytest.mark.parametrize(("name", "function"), _public_callables())
def test_public_functions_are_typed_and_documented(name: str, function: Any) -> None:
    signature = inspect.signature(function)
    assert signature.return_annotation is not inspect.Signature.empty, name
    for parameter in signature.parameters.values():
        if parameter.name not in ("self", "cls"):
            assert parameter.annotation is not inspect.Parameter.empty, (name, parameter.name)
    assert inspect.getdoc(function), name


def test_the_subpackages_define_their_public_names() -> None:
    for module in (wgan.distances, wgan.losses, wgan.lipschitz):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
