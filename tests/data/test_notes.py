"""Notes before a run on a user's points: few points, many dimensions, discrete columns."""

from __future__ import annotations

import torch

from wgan.data.notes import point_notes


def test_ordinary_points_need_no_note() -> None:
    assert point_notes(torch.randn(5000, 3), 1250) == []


def test_few_points_many_dimensions_and_discrete_columns_are_named() -> None:
    points = torch.randn(500, 60)
    points[:, 2] = 7.0
    points[:, 5] = torch.randint(0, 3, (500,)).float()
    notes = point_notes(points, 125)
    assert notes[0].startswith("500 training points") and "125 points" in notes[0]
    assert notes[1].startswith("60 dimensions")
    assert notes[2] == "column 3 is constant (7)"
    assert notes[3].startswith("column 6 takes 3 distinct values")
    assert len(notes) == 4
