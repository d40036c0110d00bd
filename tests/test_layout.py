"""The architecture, checked from the source: dependencies point one way (shared/DESIGN.md's
layout), the core never imports the demos, and no module but the argparse CLI passes 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "wgan"

# Top to bottom: a module may import modules of its own layer and of the layers below it.
LAYERS = (
    ("cli", "__main__", "__init__"),
    ("demos",),
    ("api", "distance_command"),
    ("training",),
    ("evaluation",),
    ("reporting",),
    ("metrics", "models", "data"),
    ("distances",),
    ("config", "presets"),
    ("losses", "lipschitz"),  # pure functions; the config validates `loss` against the registry
    ("distributed", "precision", "timing", "flops", "errors", "atomic"),
)
LONG_MODULES = {"cli.py"}  # the argparse command line may run long
MAX_LINES = 600


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for i, names in enumerate(LAYERS):
        if top.removesuffix(".py") in names:
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS; add it")


def _module_name(path: Path) -> str:
    parts = ["wgan", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The wgan modules a file imports, inside functions too, but not under TYPE_CHECKING."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", "") == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("wgan"))
            elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("wgan"):
                assert child.module is not None
                found.update(
                    f"{child.module}.{a.name}" if child.module == "wgan" else child.module
                    for a in child.names
                )
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_the_layers(path: Path) -> None:
    here = _module_name(path)
    upward = [
        target
        for target in _imports(path)
        if target not in ("wgan", "wgan.__version__") and _layer(target) < _layer(here)
    ]
    assert not upward, f"{here} imports a layer above it: {upward}"


def test_only_the_cli_imports_the_demos() -> None:
    importers = {
        _module_name(path)
        for path in FILES
        if not _module_name(path).startswith("wgan.demos")
        and any(t.startswith("wgan.demos") for t in _imports(path))
    }
    assert importers <= {"wgan.cli"}


def test_modules_stay_short() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in FILES
        if (n := len(path.read_text().splitlines())) > MAX_LINES
        and str(path.relative_to(SRC)) not in LONG_MODULES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    bad = SRC / "losses.py"
    assert _layer("wgan.training.trainer") < _layer(_module_name(bad))
    fake = tmp_path / "m.py"
    fake.write_text("def f():\n    from wgan.training.trainer import Trainer\n")
    assert "wgan.training.trainer" in _imports(fake)
