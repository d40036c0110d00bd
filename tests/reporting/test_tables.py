"""One column schema per kind of run renders both report.md's table and the terminal's."""

from __future__ import annotations

from rich.console import Console

from conftest import tiny_config, tiny_image_config
from wgan.reporting.tables import (
    CYCLE_COLUMNS,
    IMAGE_COLUMNS,
    POINT_COLUMNS,
    columns_of,
    markdown_table,
    terminal_table,
)

POINT_EVAL = {
    "step": 500, "w1": 0.0712, "w1_noise_floor": 0.0455, "w1_noise_floor_std": 0.0123,
    "critic_w_estimate": 0.081, "critic_lipschitz_bound": 1.2345, "precision": 0.97,
    "recall": 0.9412, "density": 1.0123, "coverage": 0.96, "modes_covered": 7, "modes_total": 8,
    "high_quality": 0.9312, "label_accuracy": 0.5,
}  # fmt: skip


def test_each_kind_of_run_has_its_schema() -> None:
    assert columns_of(tiny_config().to_dict()) == POINT_COLUMNS
    assert columns_of(tiny_image_config().to_dict()) == IMAGE_COLUMNS
    cgan = columns_of(tiny_config(gan="cgan").to_dict())
    assert cgan[:-1] == POINT_COLUMNS and cgan[-1].header == "label accuracy"
    infogan = columns_of(tiny_config(gan="infogan").to_dict())[-1]
    assert infogan.header == "code-class agreement"
    cycle = tiny_config(gan="cyclegan", data={"name": "swissroll"}, data_b={"name": "swissroll"})
    assert columns_of(cycle.to_dict()) == CYCLE_COLUMNS


def test_markdown_and_terminal_tables_show_the_same_cells() -> None:
    records = [{**POINT_EVAL, "step": s, "high_quality": None} for s in (0, 250)] + [POINT_EVAL]
    lines = markdown_table(POINT_COLUMNS, records)
    assert lines[0] == (
        "| step | exact W1 | noise floor | critic W estimate | critic K bound | precision / recall "
        "| density / coverage | modes | high quality |"
    )
    assert lines[-1] == (
        "| 500 | 0.0712 | 0.0455 ± 0.0123 | 0.0810 | 1.234 | 0.970 / 0.941 | 1.012 / 0.960 | 7/8 "
        "| 93.1% |"
    )
    assert lines[2].endswith("| 7/8 | n/a |")
    console = Console(width=200, record=True)
    console.print(terminal_table(POINT_COLUMNS, records, "run"))
    text = console.export_text()
    for cell in ("0.0712", "7/8", "93.1%", "n/a", "exact W1"):
        assert cell in text
