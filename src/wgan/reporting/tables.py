"""The evaluation tables of a run: one column schema per kind of run (points, images, CycleGAN;
a conditional run adds its key), rendered as the markdown of report.md and as the table `wgan
train` prints at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wgan.config import IMAGE_DATASETS
from wgan.reporting import files

Record = dict[str, Any]
MISSING = "n/a"
TERMINAL_ROWS = 5  # the newest evaluations shown in the terminal


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[Record], str]


def fmt(value: Any, spec: str) -> str:
    """`value` formatted by `spec`; n/a for None (a metric that does not apply)."""
    return MISSING if value is None else format(value, spec)


def _value(key: str, spec: str) -> Callable[[Record], str]:
    return lambda r: fmt(r.get(key), spec)


def _with(key: str, beside: str, spec: str) -> Callable[[Record], str]:
    """'value (beside)': a metric with its floor or baseline."""
    return lambda r: (
        MISSING if r.get(key) is None else f"{r[key]:{spec}} ({fmt(r.get(beside), spec)})"
    )


def _band(key: str, spread: str, spec: str) -> Callable[[Record], str]:
    """'mean ± std': a quantity measured over several draws (the std left out where absent)."""
    return lambda r: (
        fmt(r.get(key), spec) if r.get(spread) is None else f"{r[key]:{spec}} ± {r[spread]:{spec}}"
    )


def _pair(first: str, second: str, spec: str) -> Callable[[Record], str]:
    """'first / second': two metrics read together."""
    return lambda r: f"{fmt(r.get(first), spec)} / {fmt(r.get(second), spec)}"


def _count(covered: str, total: str) -> Callable[[Record], str]:
    return lambda r: f"{r[covered]}/{r[total]}" if r.get(total) else MISSING


POINT_COLUMNS = (
    Column("step", _value("step", "d")),
    Column("exact W1", _value("w1", ".4f")),
    Column("noise floor", _band("w1_noise_floor", "w1_noise_floor_std", ".4f")),
    Column("critic W estimate", _value("critic_w_estimate", ".4f")),
    Column("critic K bound", _value("critic_lipschitz_bound", ".3f")),
    Column("precision / recall", _pair("precision", "recall", ".3f")),
    Column("density / coverage", _pair("density", "coverage", ".3f")),
    Column("modes", _count("modes_covered", "modes_total")),
    Column("high quality", _value("high_quality", ".1%")),
)
IMAGE_COLUMNS = (
    Column("step", _value("step", "d")),
    Column("FID", _value("fid", ".3f")),
    Column("FID real vs real", _band("fid_noise_floor", "fid_noise_floor_std", ".3f")),
    Column("KID", _value("kid_mean", ".4f")),
    Column("precision / recall", _pair("precision", "recall", ".3f")),
    Column("density / coverage", _pair("density", "coverage", ".3f")),
    Column("W1 features (floor)", _with("w1_features", "w1_features_noise_floor", ".3f")),
    Column("classes", _count("classes_covered", "classes_total")),
    Column("confidence (real)", _with("confidence", "confidence_real", ".1%")),
    Column("judges' worst gap", _value("judges_confidence_gap", ".3f")),
    Column("W1 pixels (floor)", _with("w1_pixels", "w1_pixels_noise_floor", ".3f")),
    Column("sliced W1", _value("sliced_w1_pixels", ".4f")),
    Column("critic W estimate", _value("critic_w_estimate", ".3f")),
    Column("critic K bound", _value("critic_lipschitz_bound", ".3f")),
)
CYCLE_COLUMNS = (
    Column("step", _value("step", "d")),
    Column("W1 G(A) to B (floor)", _with("w1_ab", "w1_ab_noise_floor", ".3f")),
    Column("W1 F(B) to A (floor)", _with("w1_ba", "w1_ba_noise_floor", ".3f")),
    Column("cycle error A", _value("cycle_error_a", ".4f")),
    Column("cycle error B", _value("cycle_error_b", ".4f")),
    Column(
        "translation error A->B (random)",
        _with("translation_error_ab", "translation_baseline_ab", ".4f"),
    ),
    Column(
        "translation error B->A (random)",
        _with("translation_error_ba", "translation_baseline_ba", ".4f"),
    ),
)
# Stacked images (data.stack): their modes, after the image columns.
STACKED_COLUMNS = (
    Column("modes", _count("modes_covered", "modes_total")),
    Column("mode KL", _value("mode_kl", ".2f")),
)
CONDITIONAL_COLUMNS = {
    "cgan": Column("label accuracy", _value("label_accuracy", ".1%")),
    "acgan": Column("label accuracy", _value("label_accuracy", ".1%")),
    "infogan": Column("code-class agreement", _value("code_class_agreement", ".1%")),
    "sgan": Column("critic test accuracy", _value("critic_test_accuracy", ".1%")),
}


def columns_of(config: dict[str, Any]) -> tuple[Column, ...]:
    """The column schema of a run, from its config (as in config.yaml)."""
    if config["gan"] == "cyclegan":
        return CYCLE_COLUMNS
    images = config["data"]["name"] in IMAGE_DATASETS
    columns = IMAGE_COLUMNS if images else POINT_COLUMNS
    if config["data"].get("stack", 1) != 1:
        columns = (*columns, *STACKED_COLUMNS)
    extra = CONDITIONAL_COLUMNS.get(config["gan"])
    return columns if extra is None else (*columns, extra)


def markdown_table(columns: tuple[Column, ...], records: list[Record]) -> list[str]:
    """The lines of a markdown table: header, alignment, one row a record."""
    rows = [[c.cell(r) for c in columns] for r in records]
    return files.markdown_table([c.header for c in columns], rows, align="r" * len(columns))


def terminal_table(columns: tuple[Column, ...], records: list[Record], title: str) -> Any:
    """A rich Table of the newest evaluations."""
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column.header, justify="right")
    for r in records[-TERMINAL_ROWS:]:
        table.add_row(*(c.cell(r) for c in columns))
    return table
