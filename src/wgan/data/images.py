"""Image data sets: MNIST IDX files, CIFAR-10 python batches, folders of PNG/JPEG, .npy arrays,
and scikit-learn's 8x8 digits, read without downloads and kept small in memory.

Formats (``--data PATH``; the format is found from the path and the files' contents)
------------------------------------------------------------------------------------
MNIST IDX
    A directory holding IDX files (``train-images-idx3-ubyte``, ``t10k-images-idx3-ubyte``, with
    or without ``.gz``; Fashion-MNIST uses the same names), or one such file. Labels are read from
    the matching ``*-labels-idx1-ubyte[.gz]`` file when it is there. Files whose name starts with
    ``t10k`` or ``test`` are the held-out split. Plain files are memory-mapped; ``.gz`` files are
    decompressed into memory (MNIST: 47 MB).
CIFAR-10 python batches
    The ``cifar-10-batches-py`` directory (``data_batch_1`` ... ``data_batch_5``, ``test_batch``),
    a directory holding it, or one batch file. Pickles are read with an unpickler that admits
    only NumPy arrays and plain values, so a batch file cannot run code.
A folder of images
    PNG and JPEG files (``.png``, ``.jpg``, ``.jpeg``, any case) anywhere under the directory;
    other files are skipped. Each image is centre-cropped to a square and resized to
    ``data.resolution`` (unset: the images' common size; mixed sizes then need it set). Greyscale
    and colour may be mixed: all are converted to RGB, unless ``data.channels`` says 1 (then to
    luminance, ITU-R 601). Transparency is dropped.
``.npy``
    A numeric array of shape (n, H, W), (n, H, W, C) or (n, C, H, W) with C in {1, 3}; memory-mapped.
    ``uint8`` values are 0..255; floats must lie in [0, 1] or in [-1, 1] (which one is read from
    the data); other integers must lie in 0..255.

Every set is scaled to [-1, 1] per batch; the pixels stay in their stored type (``uint8`` for
MNIST and CIFAR-10) until a batch is drawn. Problems with the input raise
:class:`ImageDataError`, a :class:`wgan.errors.UserError` naming the file and what to do.
"""

from __future__ import annotations

import gzip
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import Tensor

from wgan.errors import UserError

__all__ = [
    "ImageArray",
    "ImageData",
    "ImageDataError",
    "load_digits",
    "load_image_data",
    "looks_like_images",
    "read_idx",
    "to_unit_range",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as Pillow's convert("L")
_CHUNK = 4096  # rows per pass when scanning a memory-mapped array


class ImageDataError(UserError, ValueError):
    """Image data that cannot be read, or that is not a set of images of one shape."""


@dataclass(frozen=True)
class ImageArray:
    """Stored pixels of n images and their optional labels.

    `pixels` is (n, C, H, W), or (n, H, W, C) when `channels_last`, or (n, H, W) for one
    channel; a NumPy array (possibly memory-mapped). Values in [low, high] map to [-1, 1].
    """

    pixels: npt.NDArray[Any]
    channels_last: bool
    low: float
    high: float
    labels: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.pixels)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one stored image."""
        if self.pixels.ndim == 3:
            return (1, *self.pixels.shape[1:])
        if self.channels_last:
            h, w, c = self.pixels.shape[1:]
            return (c, h, w)
        c, h, w = self.pixels.shape[1:]
        return (c, h, w)


@dataclass(frozen=True)
class ImageData:
    """A training set and, when the format has one, its official held-out set."""

    train: ImageArray
    test: ImageArray | None
    description: str


def to_unit_range(
    images: ImageArray, index: npt.NDArray[np.int64], *, channels: int, resolution: int
) -> Tensor:
    """Images `index` as float32 (m, channels, resolution, resolution) in [-1, 1] (CPU).

    Grey becomes RGB by repeating the channel; RGB becomes grey by ITU-R 601 luminance. A
    non-square image is centre-cropped to a square; another side is resized bilinearly (with
    antialiasing when shrinking).
    """
    rows = images.pixels[index]
    if rows.dtype != np.uint8:  # also makes big-endian IDX values native for torch
        rows = rows.astype(np.float32)
    x = torch.from_numpy(np.ascontiguousarray(rows)).float()
    x = (x - images.low) * (2.0 / (images.high - images.low)) - 1.0
    if x.dim() == 3:
        x = x.unsqueeze(1)  # (m, 1, H, W)
    elif images.channels_last:
        x = x.permute(0, 3, 1, 2)  # (m, C, H, W)
    if x.shape[1] != channels:
        if channels == 3:
            x = x.expand(-1, 3, -1, -1)
        else:
            x = (x * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    h, w = x.shape[2:]
    side = min(h, w)
    if h != w:
        top, left = (h - side) // 2, (w - side) // 2
        x = x[:, :, top : top + side, left : left + side]
    if side != resolution:
        x = F.interpolate(
            x, size=(resolution, resolution), mode="bilinear", align_corners=False, antialias=True
        )
    return x.contiguous()


# ---- scikit-learn digits -------------------------------------------------------------------


def load_digits() -> ImageData:
    """scikit-learn's 1797 labelled 8x8 digits (values 0..16), shipped with the package."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    pixels = np.asarray(bunch.images, dtype=np.float32)  # (1797, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    train = ImageArray(pixels, channels_last=False, low=0.0, high=16.0, labels=labels)
    return ImageData(train, None, "scikit-learn digits (1797 labelled 8x8 images)")


# ---- detection -----------------------------------------------------------------------------


def _open_maybe_gzip(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _head(path: Path, n: int) -> bytes:
    try:
        with _open_maybe_gzip(path) as handle:
            return handle.read(n)
    except (OSError, EOFError):
        return b""


def _is_idx(path: Path) -> bool:
    head = _head(path, 4)
    return len(head) == 4 and head[:2] == b"\x00\x00" and head[2] in _IDX_TYPES and head[3] >= 1


def _is_pickle(path: Path) -> bool:
    return _head(path, 1) == b"\x80"


def looks_like_images(path: str | Path) -> bool:
    """True when `path` is image data rather than a point file (used by `wgan train --data`)."""
    file = Path(path)
    if file.is_dir():
        return True
    suffix = file.suffix.lower()
    if suffix == ".csv" or not file.is_file():
        return False
    if suffix == ".npy":
        try:
            return np.load(file, mmap_mode="r", allow_pickle=False).ndim >= 3
        except (ValueError, OSError, EOFError):
            return False
    return suffix in IMAGE_SUFFIXES or _is_idx(file) or _is_pickle(file)


def load_image_data(path: str | Path, *, resolution: int | None, channels: int | None) -> ImageData:
    """Read the image data at `path`; see the module docstring for the formats.

    `resolution` and `channels` are used by image folders only, whose files are resized and
    converted as they are decoded; the other formats keep their stored size (see `to_unit_range`).
    """
    root = Path(path)
    if not root.exists():
        raise ImageDataError(f"{root}: no such file or directory")
    if root.is_dir():
        return _load_directory(root, resolution=resolution, channels=channels)
    suffix = root.suffix.lower()
    if suffix == ".npy":
        return ImageData(_load_npy(root), None, f"{root} (.npy array)")
    if suffix in IMAGE_SUFFIXES:
        raise ImageDataError(
            f"{root}: a single image; give the directory that holds the training images"
        )
    if _is_idx(root):
        return _load_mnist([root], root.parent)
    if _is_pickle(root):
        return ImageData(_load_cifar_batches([root]), None, f"{root} (CIFAR-10 batch)")
    raise ImageDataError(
        f"{root}: not image data; give a directory of PNG/JPEG images, MNIST IDX files, "
        "CIFAR-10 python batches, or an .npy array (n, H, W[, C])"
    )


def _load_directory(root: Path, *, resolution: int | None, channels: int | None) -> ImageData:
    nested = root / "cifar-10-batches-py"
    if nested.is_dir():
        root = nested
    batches = sorted(root.glob("data_batch_*"))
    if batches:
        test = root / "test_batch"
        return ImageData(
            _load_cifar_batches(batches),
            _load_cifar_batches([test]) if test.is_file() else None,
            f"{root} (CIFAR-10 python batches)",
        )
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    idx = [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES and _is_idx(p)]
    if idx:
        return _load_mnist(idx, root)
    return _load_folder(root, resolution=resolution, channels=channels)


# ---- .npy ----------------------------------------------------------------------------------


def _value_range(pixels: npt.NDArray[Any], where: str) -> tuple[float, float]:
    """The range that maps to [-1, 1], read from the dtype and (for floats) the values."""
    if pixels.dtype == np.uint8:
        return 0.0, 255.0
    if pixels.dtype.kind not in "biuf":
        raise ImageDataError(f"{where}: holds values of dtype {pixels.dtype}, expected numbers")
    low, high = np.inf, -np.inf
    for start in range(0, len(pixels), _CHUNK):
        chunk = np.asarray(pixels[start : start + _CHUNK])
        if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
            row = start + int(np.argwhere(~np.isfinite(chunk))[0, 0])
            raise ImageDataError(f"{where}: image {row} holds NaN or infinite values")
        low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    if pixels.dtype.kind in "biu":
        if low < 0 or high > 255:
            raise ImageDataError(
                f"{where}: integer pixels range over [{low:g}, {high:g}]; expected 0..255"
            )
        return 0.0, 255.0
    if low >= 0.0 and high <= 1.0:
        return 0.0, 1.0
    if low >= -1.0 and high <= 1.0:
        return -1.0, 1.0
    raise ImageDataError(
        f"{where}: float pixels range over [{low:g}, {high:g}]; scale them to [0, 1] or [-1, 1] "
        "(or store uint8 0..255)"
    )


def _array_images(
    pixels: npt.NDArray[Any], where: str, labels: npt.NDArray[np.int64] | None = None
) -> ImageArray:
    """An ImageArray for (n, H, W), (n, H, W, C) or (n, C, H, W) pixels, C in {1, 3}."""
    if pixels.ndim == 3:
        channels_last = False
    elif pixels.ndim == 4 and pixels.shape[3] in (1, 3):
        channels_last = True
    elif pixels.ndim == 4 and pixels.shape[1] in (1, 3):
        channels_last = False
    else:
        raise ImageDataError(
            f"{where}: array of shape {pixels.shape}; expected images (n, H, W), (n, H, W, C) "
            "or (n, C, H, W) with C = 1 (grey) or 3 (RGB)"
        )
    if len(pixels) == 0 or min(pixels.shape[1:]) == 0:
        raise ImageDataError(f"{where}: holds no images (shape {pixels.shape})")
    low, high = _value_range(pixels, where)
    return ImageArray(pixels, channels_last, low, high, labels)


def _load_npy(path: Path) -> ImageArray:
    try:
        pixels = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ImageDataError(f"{path}: cannot read as a numeric .npy array ({err})") from None
    return _array_images(pixels, str(path))


# ---- MNIST IDX -----------------------------------------------------------------------------

_IDX_TYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def read_idx(path: str | Path) -> npt.NDArray[Any]:
    """An IDX file (the MNIST format, optionally gzipped) as an array; plain files memory-mapped.

    Header: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then each size as a big-endian
    uint32; the values follow, big-endian, row-major.
    """
    file = Path(path)
    with _open_maybe_gzip(file) as handle:
        gzipped = isinstance(handle, gzip.GzipFile)
        try:
            head = handle.read(4)
            if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in _IDX_TYPES:
                raise ImageDataError(f"{file}: not an IDX file (bad magic number)")
            ndim = head[3]
            dims_raw = handle.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise ImageDataError(f"{file}: IDX header is cut short")
            shape = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
            dtype = np.dtype(_IDX_TYPES[head[2]])
            expected = int(np.prod(shape)) * dtype.itemsize
            offset = 4 + 4 * ndim
            if gzipped:
                body = handle.read()
                size = len(body)
            else:
                size = file.stat().st_size - offset
        except (OSError, EOFError) as err:
            raise ImageDataError(f"{file}: cannot read ({err})") from None
    if size != expected:
        raise ImageDataError(
            f"{file}: the header promises {shape} values ({expected} bytes) but the file holds "
            f"{size} bytes; the file is truncated or corrupt"
        )
    if gzipped:
        return np.frombuffer(body, dtype=dtype).reshape(shape)
    return np.memmap(file, dtype=dtype, mode="r", offset=offset, shape=shape)


def _labels_file(images: Path) -> Path | None:
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    candidates = [images.with_name(name)]
    if name.endswith(".gz"):
        candidates.append(images.with_name(name[: -len(".gz")]))
    else:
        candidates.append(images.with_name(name + ".gz"))
    return next((p for p in candidates if p != images and p.is_file()), None)


def _load_idx_images(path: Path) -> ImageArray:
    pixels = read_idx(path)
    labels = None
    label_path = _labels_file(path)
    if label_path is not None:
        raw = read_idx(label_path)
        if raw.ndim != 1 or len(raw) != len(pixels):
            raise ImageDataError(
                f"{label_path}: {raw.shape} labels for the {len(pixels)} images of {path.name}; "
                "expected one label per image"
            )
        labels = np.asarray(raw, dtype=np.int64)
    return _array_images(pixels, str(path), labels)


def _load_mnist(files: list[Path], root: Path) -> ImageData:
    image_files = [p for p in files if _head(p, 4)[3] >= 3]
    if not image_files:
        raise ImageDataError(f"{root}: IDX files but no images (only 1-D label files)")
    test = [p for p in image_files if p.name.lower().startswith(("t10k", "test"))]
    train = [p for p in image_files if p not in test] or test
    test = [p for p in test if p not in train]
    if len(train) > 1 or len(test) > 1:
        names = ", ".join(p.name for p in train + test)
        raise ImageDataError(
            f"{root}: several IDX image sets ({names}); keep one training and one test file"
        )
    return ImageData(
        _load_idx_images(train[0]),
        _load_idx_images(test[0]) if test else None,
        f"{root} (MNIST IDX: {train[0].name}{', ' + test[0].name if test else ''})",
    )


# ---- CIFAR-10 ------------------------------------------------------------------------------

_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # bytes pickled by Python 3 with protocol 2
}


class _DataUnpickler(pickle.Unpickler):
    """Admits NumPy arrays and plain values only: loading a batch file never runs other code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _read_cifar_batch(path: Path) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64] | None]:
    try:
        with open(path, "rb") as handle:
            batch = _DataUnpickler(handle, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError) as err:
        raise ImageDataError(f"{path}: not a CIFAR-10 python batch ({err})") from None
    if not isinstance(batch, dict):
        raise ImageDataError(f"{path}: not a CIFAR-10 python batch (no dict inside)")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = batch.get("data")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise ImageDataError(f"{path}: a CIFAR-10 batch needs 'data', a uint8 (n, 3072) array")
    if data.shape[1] != 3 * 32 * 32:
        raise ImageDataError(f"{path}: rows of {data.shape[1]} values; CIFAR-10 rows hold 3072")
    raw_labels = batch.get("labels", batch.get("fine_labels"))
    labels = None
    if raw_labels is not None:
        labels = np.asarray(raw_labels, dtype=np.int64)
        if labels.shape != (len(data),):
            raise ImageDataError(f"{path}: {labels.shape} labels for {len(data)} images")
    return data.reshape(-1, 3, 32, 32), labels


def _load_cifar_batches(paths: list[Path]) -> ImageArray:
    parts = [_read_cifar_batch(p) for p in paths]
    pixels = np.concatenate([p for p, _ in parts]) if len(parts) > 1 else parts[0][0]
    labels = None
    if all(lab is not None for _, lab in parts):
        labels = np.concatenate([lab for _, lab in parts if lab is not None])
    return ImageArray(pixels, channels_last=False, low=0.0, high=255.0, labels=labels)


# ---- folders of PNG/JPEG -------------------------------------------------------------------


def _load_folder(root: Path, *, resolution: int | None, channels: int | None) -> ImageData:
    from PIL import Image, ImageOps, UnidentifiedImageError

    paths = sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )
    if not paths:
        raise ImageDataError(
            f"{root}: no PNG or JPEG images, MNIST IDX files or CIFAR-10 batches found; "
            "give a directory that holds them"
        )
    sizes: dict[tuple[int, int], Path] = {}
    grey_only = True
    for path in paths:
        try:
            with Image.open(path) as image:
                sizes.setdefault(image.size, path)
                grey_only &= image.mode in ("1", "L", "LA", "I", "I;16", "F")
        except (UnidentifiedImageError, OSError) as err:
            raise ImageDataError(f"{path}: not a readable image ({err})") from None
    if resolution is None:
        squares = {min(size) for size in sizes}
        if len(squares) > 1:
            (a, pa), (b, pb) = list(sizes.items())[:2]
            raise ImageDataError(
                f"{root}: images of different sizes ({pa.name} is {a[0]}x{a[1]}, {pb.name} is "
                f"{b[0]}x{b[1]}); set data.resolution (--set data.resolution=64) to resize them"
            )
        resolution = squares.pop()
    channels = channels or (1 if grey_only else 3)
    mode = "L" if channels == 1 else "RGB"
    pixels = np.empty((len(paths), resolution, resolution, channels), dtype=np.uint8)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                converted = image.convert(mode)
                fitted = ImageOps.fit(
                    converted, (resolution, resolution), method=Image.Resampling.BICUBIC
                )
        except (OSError, ValueError) as err:
            raise ImageDataError(f"{path}: cannot decode ({err})") from None
        pixels[i] = np.asarray(fitted, dtype=np.uint8).reshape(resolution, resolution, channels)
    train = ImageArray(pixels, channels_last=True, low=0.0, high=255.0)
    return ImageData(train, None, f"{root} ({len(paths)} images)")
