"""Every ```python block of README.md and docs/*.md runs, so that the docs never rot.

The blocks of one file run in order in one namespace (a later block uses what an earlier one
made), in a fresh temporary directory (runs/ and other outputs land there). A block opened with
```python no-run is shown but not run: for code that must not run in the suite (long training,
a script for torchrun). Shell commands go in ```bash blocks, which never run. Step counts are
the ones the docs show: nothing shrinks them here.
"""

from __future__ import annotations

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

    @property
    def runs(self) -> bool:
        words = self.info.split()
        return bool(words) and words[0] in ("python", "py") and "no-run" not in words[1:]


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
        blocks.append(Block(start, opening["info"].strip(), "\n".join(body) + "\n"))
        i += 1
    return blocks


def test_code_blocks_are_found_with_their_lines_and_markers() -> None:
    text = (
        "intro\n"
        "```python\nx = 1\n```\n"
        "```bash\nwgan train\n```\n"
        "````python no-run\nwhile True:\n    pass\n```\nstill inside\n````\n"
        "```py\ny = x + 1\n```\n"
    )
    blocks = code_blocks(text)
    assert [(b.line, b.info, b.runs) for b in blocks] == [
        (3, "python", True),
        (6, "bash", False),
        (9, "python no-run", False),
        (15, "py", True),
    ]
    assert blocks[0].code == "x = 1\n"
    assert blocks[2].code == "while True:\n    pass\n```\nstill inside\n"


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for block in code_blocks(path.read_text()):
        if block.runs:
            # Leading newlines put a traceback's line numbers on the markdown file's lines.
            source = "\n" * (block.line - 1) + block.code
            exec(compile(source, str(path), "exec"), namespace)
