"""Writing what a demo or a report produces: markdown, JSON and figures, each atomically.

One writer for every demo, so that their files share one format (JSON with one-space indents and
a trailing newline, non-finite numbers as strings; markdown tables with escaped cells) and a run
stopped halfway leaves whole files, old or new, never a truncated one.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wgan.atomic import write_atomically

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["jsonable", "markdown_table", "save_figure", "write_json", "write_markdown"]


def write_markdown(path: Path, text: str) -> None:
    """Write `text` to `path` as it is (the caller ends it with a newline where it wants one)."""
    write_atomically(Path(path), text.encode())


def jsonable(value: Any) -> Any:
    """`value` with numpy arrays and scalars and tuples made plain, and NaN and infinities
    written as the strings 'nan', 'inf' and '-inf': the JSON stays standard."""
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_json(path: Path, obj: Any, *, indent: int | None = 1) -> None:
    """Write `obj` (through `jsonable`) as JSON with a trailing newline."""
    text = json.dumps(jsonable(obj), indent=indent, allow_nan=False) + "\n"
    write_atomically(Path(path), text.encode())


def save_figure(fig: Figure, path: Path, *, dpi: int) -> None:
    """Save `fig` as it is laid out (the caller picks tight or constrained layout), then close it;
    the format follows the file's suffix."""
    import matplotlib.pyplot as plt

    path = Path(path)
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format=path.suffix.lstrip(".") or "png", dpi=dpi)
    finally:
        plt.close(fig)
    write_atomically(path, buffer.getvalue())


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, align: str | None = None
) -> list[str]:
    """The lines of a markdown table; '|' in a cell is escaped. `align` gives one letter per
    column, 'l' or 'r' (numbers), all left by default."""
    align = align or "l" * len(header)
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align needs one of 'l' or 'r' per column, got {align!r}")

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    rule = "|" + "".join(" ---: |" if a == "r" else " --- |" for a in align)
    return [line(header), rule, *(line(row) for row in rows)]
