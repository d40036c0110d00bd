"""Every ```python block of README.md and docs/*.md runs, so that the docs never rot.

The blocks of one file run in order in one namespace (a later block uses what an earlier one
made), in a fresh temporary directory (runs/ and other outputs land there). A block opened with
```python no-run is shown but not run: for code that must not run in the suite (long training,
a script for torchrun). Shell commands go in ```bash blocks, which never run. Step counts are
the ones the docs show: nothing shrinks them here.

A ```text block that directly follows a python block that runs (nothing but blank lines between
them) is that block's output: what the block prints must match it, word for word and number for
number, each number to 3 significant digits (`same_output`). A ```text no-compare block is shown
but not compared.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    line: int  # line number (1-based) of the block's first line of code
    info: str  # the fence's info string, e.g. "python" or "python no-run"
    code: str
    end: int = 0  # line number of the closing fence

    @property
    def runs(self) -> bool:
        words = self.info.split()
        return bool(words) and words[0] in ("python", "py") and "no-run" not in words[1:]

    @property
    def is_output(self) -> bool:
        """A ```text block, unless marked no-compare: the output of a python block just above."""
        words = self.info.split()
        return bool(words) and words[0] == "text" and "no-compare" not in words[1:]


def code_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a markdown text, in order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        i += 1
        start = i + 1
        while i < len(lines):
            closing = _FENCE.match(lines[i])
            if closing and closing["fence"].startswith(fence) and not closing["info"].strip():
                break
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        blocks.append(Block(start, opening["info"].strip(), "\n".join(body) + "\n", i + 1))
        i += 1
    return blocks


def outputs(text: str) -> dict[int, Block]:
    """The output block of each python block that runs, by the python block's first line: a
    ```text block (not no-compare) with nothing but blank lines between the two."""
    lines = text.splitlines()
    blocks = code_blocks(text)
    found: dict[int, Block] = {}
    for block, after in itertools.pairwise(blocks):
        between = lines[block.end : after.line - 2]  # after its closing fence, before the opening
        if block.runs and after.is_output and not any(line.strip() for line in between):
            found[block.line] = after
    return found


_TOKEN = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|\S")


def _is_number(token: str) -> bool:
    return token[-1].isdigit() or token[-1] == "."


def _close(shown: str, printed: str) -> bool:
    """Two numbers agree to 3 significant digits: within one unit of the third significant digit
    of the larger (so 0.2645 shown as 0.264 or 0.265 both pass, 0.106 against 0.167 fails)."""
    a, b = float(shown), float(printed)
    if a == b:
        return True
    scale = max(abs(a), abs(b))
    return abs(a - b) <= 10 ** (math.floor(math.log10(scale)) - 2) * (1 + 1e-9)


def same_output(shown: str, printed: str) -> str | None:
    """None when `printed` matches the block `shown`, else a line saying where they first differ.

    Whitespace is ignored; words and signs must be equal; numbers must agree to 3 significant
    digits (`_close`); `inf`, `nan` and other words compare as words.
    """
    for number, (line_shown, line_printed) in enumerate(
        zip(shown.splitlines(), printed.splitlines(), strict=False), start=1
    ):
        tokens_shown, tokens_printed = _TOKEN.findall(line_shown), _TOKEN.findall(line_printed)
        same = len(tokens_shown) == len(tokens_printed) and all(
            (_is_number(s) and _is_number(p) and _close(s, p)) or s == p
            for s, p in zip(tokens_shown, tokens_printed, strict=True)
        )
        if not same:
            return f"line {number} of the output: shown {line_shown!r}, printed {line_printed!r}"
    count_shown, count_printed = len(shown.splitlines()), len(printed.splitlines())
    if count_shown != count_printed:
        return f"the block shows {count_shown} lines of output, the code printed {count_printed}"
    return None


def test_code_blocks_are_found_with_their_lines_and_markers() -> None:
    text = (
        "intro\n"
        "```python\nx = 1\n```\n"
        "```bash\nwgan train\n```\n"
        "````python no-run\nwhile True:\n    pass\n```\nstill inside\n````\n"
        "```py\ny = x + 1\n```\n"
    )
    blocks = code_blocks(text)
    assert [b.end for b in blocks] == [4, 7, 13, 16]
    assert [(b.line, b.info, b.runs) for b in blocks] == [
        (3, "python", True),
        (6, "bash", False),
        (9, "python no-run", False),
        (15, "py", True),
    ]
    assert blocks[0].code == "x = 1\n"
    assert blocks[2].code == "while True:\n    pass\n```\nstill inside\n"


def test_an_output_block_is_a_text_block_right_after_a_python_block() -> None:
    text = (
        "```python\nprint(1)\n```\n\n```text\n1\n```\n"  # compared
        "```python\nprint(2)\n```\nthe output:\n```text\n2\n```\n"  # prose between
        "```python\nprint(3)\n```\n```text no-compare\n3\n```\n"  # marked
        "```python no-run\nprint(4)\n```\n```text\n4\n```\n"  # not run
        "```python\nprint(5)\n```\n```text\n5\n```\n"  # compared
    )
    assert {line: block.code for line, block in outputs(text).items()} == {2: "1\n", 28: "5\n"}


def test_outputs_match_to_three_significant_digits() -> None:
    shown = "  step 300:  0.264   0.106   7/8  inf\n"
    assert same_output(shown, "step 300: 0.2645 0.1057 7/8 inf\n") is None
    assert same_output(shown, "step 300: 0.265 0.106 7/8 inf\n") is None
    assert same_output("0.000 8.02e-05 34.344\n", "-0.000 8.0249e-05 34.3\n") is None
    assert same_output(shown, "step 300: 0.264 0.167 7/8 inf\n") is not None  # another floor
    assert same_output(shown, "step 300: 0.264 0.106 6/8 inf\n") is not None  # another count
    assert same_output(shown, "step 300: 0.264 0.106 7/8 nan\n") is not None
    assert same_output(shown, "epoch 300: 0.264 0.106 7/8 inf\n") is not None
    assert same_output(shown, shown + "one more line\n") is not None
    assert same_output("8.02e-05\n", "8.12e-05\n") is not None


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    text = path.read_text()
    shown = outputs(text)
    for block in code_blocks(text):
        if block.runs:
            # Leading newlines put a traceback's line numbers on the markdown file's lines.
            source = "\n" * (block.line - 1) + block.code
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(source, str(path), "exec"), namespace)
            if block.line in shown:
                output = shown[block.line]
                difference = same_output(output.code, printed.getvalue())
                assert difference is None, (
                    f"{path.name}: the output block at line {output.line} is not what the block "
                    f"at line {block.line} prints: {difference}; it printed:\n{printed.getvalue()}"
                )
