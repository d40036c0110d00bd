"""The demos' writer: one JSON format, escaped markdown tables, figures saved and closed."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from wgan.reporting.files import markdown_table, save_figure, write_json, write_markdown


def test_markdown_table_escapes_cells_and_aligns_columns() -> None:
    lines = markdown_table(["name", "||grad||"], [["a|b", "1.0"]], align="lr")
    assert lines == ["| name | \\|\\|grad\\|\\| |", "| --- | ---: |", "| a\\|b | 1.0 |"]
    assert markdown_table(["x"], [])[1] == "| --- |"
    with pytest.raises(ValueError, match="align"):
        markdown_table(["x", "y"], [], align="l")


def test_json_is_standard_with_one_space_indents(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_json(path, {"a": np.array([1.5, np.inf]), "b": (np.float64(-np.inf), float("nan"))})
    text = path.read_text()
    assert text.endswith("}\n") and '\n "a": [\n  1.5,\n  "inf"\n ]' in text
    assert json.loads(text) == {"a": [1.5, "inf"], "b": ["-inf", "nan"]}
    write_json(path, {"k": 1}, indent=None)
    assert path.read_text() == '{"k": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_markdown_and_figures_are_written_whole(tmp_path: Path) -> None:
    write_markdown(tmp_path / "t.md", "# title\n")
    assert (tmp_path / "t.md").read_text() == "# title\n"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "f.png", dpi=50)
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert not plt.fignum_exists(fig.number)
