"""The theory tests train tiny networks: one intra-op thread each.

With two test workers on two shared cores, torch's default of one thread per core oversubscribes
the machine, and tiny ops then wait on each other: a 3 s fit was measured taking 300 s.
Module scope (and autouse) makes this run before the module-scoped fixtures that train models.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
