from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from data.image_files import write_cifar_batch, write_idx, write_mnist
from wgan.config import load_config
from wgan.data.images import (
    ImageArray,
    ImageDataError,
    load_digits,
    load_image_data,
    looks_like_images,
    read_idx,
    to_unit_range,
)
from wgan.data.sources import ImageSource, build_source
from wgan.errors import UserError


def _unit(images: ImageArray, channels: int | None = None, resolution: int | None = None):
    c, h, _ = images.shape
    index = np.arange(len(images))
    return to_unit_range(images, index, channels=channels or c, resolution=resolution or h)


def _uint8(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


# ---- MNIST IDX -----------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("with_labels", [False, True])
def test_mnist_idx_round_trips(
    tmp_path: Path, rng: np.random.Generator, compress: bool, with_labels: bool
) -> None:
    train, test = _uint8(rng, 12, 28, 28), _uint8(rng, 5, 28, 28)
    train_labels = rng.integers(0, 10, 12).astype(np.uint8) if with_labels else None
    test_labels = rng.integers(0, 10, 5).astype(np.uint8) if with_labels else None
    write_mnist(tmp_path, train, train_labels, prefix="train", compress=compress)
    write_mnist(tmp_path, test, test_labels, prefix="t10k", compress=compress)
    data = load_image_data(tmp_path, resolution=None, channels=None)
    assert data.test is not None
    np.testing.assert_array_equal(data.train.pixels, train)
    np.testing.assert_array_equal(data.test.pixels, test)
    assert data.train.shape == (1, 28, 28)
    if with_labels:
        np.testing.assert_array_equal(data.train.labels, train_labels)
        np.testing.assert_array_equal(data.test.labels, test_labels)
    else:
        assert data.train.labels is None
    x = _unit(data.train)
    torch.testing.assert_close(x[:, 0], torch.from_numpy(train / 127.5 - 1.0).float())


def test_plain_idx_is_memory_mapped_and_a_single_file_loads(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    images = _uint8(rng, 4, 6, 6)
    path = write_idx(tmp_path / "train-images-idx3-ubyte", images)
    assert isinstance(read_idx(path), np.memmap)
    data = load_image_data(path, resolution=None, channels=None)
    np.testing.assert_array_equal(data.train.pixels, images)
    assert data.test is None and data.train.labels is None


def test_idx_float_values_are_read_big_endian(tmp_path: Path) -> None:
    values = np.linspace(0.0, 1.0, 2 * 3 * 3).reshape(2, 3, 3).astype(">f4")
    path = write_idx(tmp_path / "x-images-idx3-ubyte", values)
    np.testing.assert_array_equal(read_idx(path), values)
    x = _unit(load_image_data(path, resolution=None, channels=None).train)
    torch.testing.assert_close(x[:, 0], torch.from_numpy(values * 2.0 - 1.0).float())


def test_too_few_images_to_evaluate_is_a_clear_error(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((12, 4, 4), np.uint8))  # 20% held out: 2 images
    config = load_config("digits-wgan-gp", data={"name": "images", "path": str(tmp_path / "x.npy")})
    with pytest.raises(UserError, match="held-out split holds 2 images"):
        build_source(config, torch.device("cpu"))


def test_truncated_idx_and_wrong_label_count_are_clear_errors(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    path = write_idx(tmp_path / "train-images-idx3-ubyte", _uint8(rng, 4, 6, 6))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ImageDataError, match="truncated or corrupt"):
        load_image_data(tmp_path, resolution=None, channels=None)
    write_idx(tmp_path / "train-images-idx3-ubyte", _uint8(rng, 4, 6, 6))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ImageDataError, match="expected one label per image"):
        load_image_data(tmp_path, resolution=None, channels=None)


# ---- CIFAR-10 ------------------------------------------------------------------------------


def test_cifar_batches_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    root = tmp_path / "cifar-10-batches-py"
    parts = [_uint8(rng, 6, 3, 32, 32) for _ in range(2)]
    labels = [rng.integers(0, 10, 6).tolist() for _ in range(2)]
    for i, (images, labs) in enumerate(zip(parts, labels, strict=True)):
        write_cifar_batch(root / f"data_batch_{i + 1}", images, labs)
    test_images = _uint8(rng, 4, 3, 32, 32)
    write_cifar_batch(root / "test_batch", test_images, [1, 2, 3, 4])
    for where in (tmp_path, root):  # the parent directory or the batches' own
        data = load_image_data(where, resolution=None, channels=None)
        np.testing.assert_array_equal(data.train.pixels, np.concatenate(parts))
        np.testing.assert_array_equal(data.train.labels, labels[0] + labels[1])
        assert data.test is not None
        np.testing.assert_array_equal(data.test.pixels, test_images)
        assert data.train.shape == (3, 32, 32)
    one = load_image_data(root / "data_batch_1", resolution=None, channels=None)
    np.testing.assert_array_equal(one.train.pixels, parts[0])


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def test_cifar_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": _Exploit()}, protocol=2))
    with pytest.raises(ImageDataError, match="refusing to load"):
        load_image_data(tmp_path, resolution=None, channels=None)


def test_cifar_batch_with_wrong_rows_is_a_clear_error(tmp_path: Path) -> None:
    with open(tmp_path / "data_batch_1", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, handle)
    with pytest.raises(ImageDataError, match="rows hold 3072"):
        load_image_data(tmp_path, resolution=None, channels=None)


# ---- folders -------------------------------------------------------------------------------


def _save(path: Path, mode: str, size: tuple[int, int], colour: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


def test_folder_of_mixed_sizes_and_modes_is_cropped_resized_and_made_rgb(tmp_path: Path) -> None:
    _save(tmp_path / "a.png", "RGB", (40, 20), (255, 0, 0))
    _save(tmp_path / "sub" / "b.JPG", "L", (16, 16), 200)
    _save(tmp_path / "c.png", "RGBA", (10, 30), (0, 0, 255, 128))
    _save(tmp_path / "d.png", "P", (12, 12), 3)
    (tmp_path / "notes.txt").write_text("not an image")
    data = load_image_data(tmp_path, resolution=8, channels=None)
    assert data.train.pixels.shape == (4, 8, 8, 3) and data.train.channels_last
    x = _unit(data.train)
    assert x.shape == (4, 3, 8, 8)
    # sorted by path: a.png (red), c.png (blue, alpha dropped), d.png, sub/b.JPG (grey 200)
    torch.testing.assert_close(x[0, :, 4, 4], torch.tensor([1.0, -1.0, -1.0]))
    torch.testing.assert_close(x[1, :, 4, 4], torch.tensor([-1.0, -1.0, 1.0]))
    grey = 200 / 127.5 - 1.0
    torch.testing.assert_close(x[3, :, 4, 4], torch.full((3,), grey), atol=0.02, rtol=0)


def test_folder_as_grey_uses_luminance(tmp_path: Path) -> None:
    _save(tmp_path / "red.png", "RGB", (8, 8), (255, 0, 0))
    _save(tmp_path / "grey.png", "L", (8, 8), 100)
    data = load_image_data(tmp_path, resolution=None, channels=1)
    assert data.train.shape == (1, 8, 8)
    np.testing.assert_array_equal(data.train.pixels[1], np.full((8, 8, 1), 76))  # 0.299 * 255


def test_grey_only_folder_stays_grey(tmp_path: Path) -> None:
    for i in range(3):
        _save(tmp_path / f"{i}.png", "L", (6, 6), 10 * i)
    assert load_image_data(tmp_path, resolution=None, channels=None).train.shape == (1, 6, 6)


def test_folder_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageDataError, match="no PNG or JPEG images"):
        load_image_data(tmp_path / "empty", resolution=None, channels=None)
    _save(tmp_path / "mixed" / "a.png", "RGB", (8, 8), 0)
    _save(tmp_path / "mixed" / "b.png", "RGB", (12, 12), 0)
    with pytest.raises(ImageDataError, match=r"different sizes .* set data.resolution"):
        load_image_data(tmp_path / "mixed", resolution=None, channels=None)
    _save(tmp_path / "bad" / "a.png", "RGB", (8, 8), 0)
    (tmp_path / "bad" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ImageDataError, match=r"b\.png: not a readable image"):
        load_image_data(tmp_path / "bad", resolution=8, channels=None)
    with pytest.raises(ImageDataError, match="a single image"):
        load_image_data(tmp_path / "bad" / "a.png", resolution=8, channels=None)
    with pytest.raises(ImageDataError, match="no such file"):
        load_image_data(tmp_path / "nowhere", resolution=8, channels=None)


# ---- .npy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "layout"),
    [((5, 6, 6), "nhw"), ((5, 6, 6, 3), "nhwc"), ((5, 6, 6, 1), "nhwc"), ((5, 3, 6, 6), "nchw")],
)
def test_npy_layouts_round_trip(
    tmp_path: Path, rng: np.random.Generator, shape: tuple[int, ...], layout: str
) -> None:
    pixels = _uint8(rng, *shape)
    np.save(tmp_path / "x.npy", pixels)
    data = load_image_data(tmp_path / "x.npy", resolution=None, channels=None)
    assert isinstance(data.train.pixels, np.memmap)
    if layout == "nhw":
        expected = pixels[:, None]
    elif layout == "nhwc":
        expected = pixels.transpose(0, 3, 1, 2)
    else:
        expected = pixels
    torch.testing.assert_close(_unit(data.train), torch.from_numpy(expected / 127.5 - 1.0).float())


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-1.0, 1.0)])
def test_npy_float_ranges(tmp_path: Path, low: float, high: float) -> None:
    pixels = np.array([[[low, high], [high, low]]], dtype=np.float32).repeat(3, 0)
    np.save(tmp_path / "x.npy", pixels)
    x = _unit(load_image_data(tmp_path / "x.npy", resolution=None, channels=None).train)
    torch.testing.assert_close(x[0, 0], torch.tensor([[-1.0, 1.0], [1.0, -1.0]]))


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.full((3, 4, 4), 2.0), r"range over \[2, 2\]"),
        (np.full((3, 4, 4), np.nan), "NaN or infinite"),
        (np.full((3, 4, 4), 300, np.int32), "expected 0..255"),
        (np.zeros((3, 4, 4, 4)), "C = 1"),
        (np.zeros((3, 4)), "expected images"),
        (np.zeros((0, 4, 4)), "no images"),
        (np.array(["a", "b"]).reshape(2, 1, 1), "expected numbers"),
    ],
)
def test_bad_npy_arrays_are_clear_errors(tmp_path: Path, array: np.ndarray, message: str) -> None:
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(ImageDataError, match=message):
        load_image_data(tmp_path / "x.npy", resolution=None, channels=None)


# ---- conversion and sources ----------------------------------------------------------------


def test_channel_conversion_crop_and_resize() -> None:
    rgb = np.zeros((1, 3, 4, 6), np.uint8)
    rgb[0, 0] = 255  # red, 4 x 6: the centre 4 x 4 is kept
    images = ImageArray(rgb, channels_last=False, low=0.0, high=255.0)
    grey = to_unit_range(images, np.arange(1), channels=1, resolution=4)
    torch.testing.assert_close(grey, torch.full((1, 1, 4, 4), 0.299 * 2 - 1))
    up = to_unit_range(images, np.arange(1), channels=3, resolution=8)
    assert up.shape == (1, 3, 8, 8)
    torch.testing.assert_close(up[0, :, 3, 3], torch.tensor([1.0, -1.0, -1.0]))
    one = ImageArray(np.full((1, 2, 2), 255, np.uint8), channels_last=False, low=0, high=255)
    torch.testing.assert_close(
        to_unit_range(one, np.arange(1), channels=3, resolution=2), torch.ones(1, 3, 2, 2)
    )


def test_digits_are_the_scikit_learn_set_scaled_to_unit_range() -> None:
    data = load_digits()
    assert data.train.pixels.shape == (1797, 8, 8) and data.test is None
    assert sorted(set(data.train.labels.tolist())) == list(range(10))
    x = _unit(data.train)
    assert float(x.min()) == -1.0 and float(x.max()) == 1.0


def test_image_source_split_is_fixed_disjoint_and_uses_test_sets(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    config = load_config("digits-wgan-gp", seed=3)
    source = build_source(config, torch.device("cpu"))
    assert isinstance(source, ImageSource)
    assert source.sample_shape == (1, 8, 8)
    assert len(source.held) == 359 and source.n_train == 1797 - 359
    assert set(source.held.index).isdisjoint(source.train.index)
    other = build_source(load_config("digits-wgan-gp", seed=4), torch.device("cpu"))
    np.testing.assert_array_equal(other.held.index, source.held.index)  # not the run's seed
    batches = torch.cat([source.batch(100, torch.Generator().manual_seed(0)) for _ in range(14)])
    assert batches.shape == (1400, 1, 8, 8) and batches.abs().max() <= 1.0
    write_mnist(tmp_path, _uint8(rng, 10, 8, 8), None, prefix="train", compress=True)
    write_mnist(tmp_path, _uint8(rng, 4, 8, 8), None, prefix="t10k", compress=True)
    config = load_config("mnist-wgan-gp", data={"path": str(tmp_path), "resolution": 8})
    mnist = build_source(config, torch.device("cpu"))
    assert mnist.n_train == 10 and mnist.holdout(100).shape == (4, 1, 8, 8)


def test_looks_like_images(tmp_path: Path) -> None:
    np.save(tmp_path / "points.npy", np.zeros((5, 2)))
    np.save(tmp_path / "images.npy", np.zeros((5, 4, 4)))
    (tmp_path / "p.csv").write_text("1,2\n")
    assert not looks_like_images(tmp_path / "points.npy")
    assert not looks_like_images(tmp_path / "p.csv")
    assert looks_like_images(tmp_path / "images.npy")
    assert looks_like_images(tmp_path)
