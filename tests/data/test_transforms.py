"""The fixed maps of `data.transform` and the sources they make."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import tiny_config, tiny_image_config
from wgan.data.sources import build_source
from wgan.data.transforms import transform_samples
from wgan.errors import UserError

CPU = torch.device("cpu")


def test_rotate90_turns_points_and_images_the_same_way() -> None:
    points = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    turned = transform_samples("rotate90", points)
    assert torch.equal(turned, torch.tensor([[0.0, 1.0], [-2.0, 0.0]]))  # counter-clockwise
    assert torch.equal(transform_samples("rotate90", turned, inverse=True), points)
    image = torch.arange(6.0).reshape(1, 1, 2, 3)[..., :2]  # [[0, 1], [3, 4]]
    expected = np.rot90(image.numpy(), 1, axes=(2, 3)).copy()
    assert torch.equal(transform_samples("rotate90", image), torch.from_numpy(expected))
    four = image
    for _ in range(4):
        four = transform_samples("rotate90", four)
    assert torch.equal(four, image)
    with pytest.raises(UserError, match="2-D points"):
        transform_samples("rotate90", torch.zeros(3, 3))


def test_invert_is_its_own_inverse() -> None:
    x = torch.randn(4, 1, 8, 8)
    assert torch.equal(transform_samples("invert", x), -x)
    assert torch.equal(transform_samples("invert", transform_samples("invert", x)), x)


def test_a_transformed_source_is_the_map_of_the_same_draws() -> None:
    plain = build_source(tiny_config(), CPU)
    config = tiny_config(gan="cyclegan", data_b={"name": "8gaussians", "transform": "rotate90"})
    assert config.data_b is not None
    turned = build_source(config, CPU, data=config.data_b)
    torch.testing.assert_close(turned.holdout(50), transform_samples("rotate90", plain.holdout(50)))
    a = plain.batch(16, torch.Generator().manual_seed(1))
    b = turned.batch(16, torch.Generator().manual_seed(1))
    torch.testing.assert_close(b, transform_samples("rotate90", a))
    assert plain.modes is not None and turned.modes is not None
    torch.testing.assert_close(
        turned.modes.centres, transform_samples("rotate90", plain.modes.centres)
    )
    digits = build_source(tiny_image_config(), CPU)
    inverted = build_source(
        tiny_image_config(gan="cyclegan", data_b={"name": "digits", "resolution": 8}),
        CPU,
        data=tiny_image_config().data.model_copy(update={"transform": "invert"}),
    )
    torch.testing.assert_close(inverted.holdout(20), -digits.holdout(20))
