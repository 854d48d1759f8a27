"""Images and data sets: one robust image decoder, a procedural shapes data set, data-set specs.

Three parts, readable top to bottom:

1. ``load_image`` -- the single entry point for every user-supplied image. It refuses oversized
   files before reading and oversized images from the header before decoding, normalises every
   PIL mode to 8-bit RGB (transparency on white, 16-bit/float rescaled, EXIF rotation applied)
   and turns every decoder failure into a one-sentence ``ImageError``.
2. ``ShapesDataset`` -- small coloured shapes on noisy backgrounds, generated on the fly from a
   seed, with exact bounding boxes. Needs no files and no network.
3. ``get_dataset`` -- turns a spec string (``shapes``, ``cifar10``, ``imagefolder:PATH``, ``zip:FILE``)
   into a torch ``Dataset`` with ``.classes``; missing data raises ``DataUnavailable`` with a message
   that says what to do, and never hangs on the network. User zips are handled by ``userdata``.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch.utils.data
from PIL import Image, ImageDraw, ImageOps

from resnet_viz.env import cache_dir, can_reach, forced_offline

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "SHAPES_CLASSES",
    "SUPPORTED_TYPES",
    "DataUnavailable",
    "ImageError",
    "ShapesDataset",
    "describe_dataset",
    "get_dataset",
    "image_to_array",
    "load_image",
    "parse_data_spec",
    "shapes_arrays",
]

# ---------------------------------------------------------------------------------------------
# 1. Robust image loading
# ---------------------------------------------------------------------------------------------

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""Files larger than this are refused before they are read (50 MB)."""

DEFAULT_MAX_PIXELS = 40_000_000
"""Images with more pixels than this are refused from the header, before decoding (40 MP)."""

SUPPORTED_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]
"""File extensions to offer in upload widgets (``load_image`` accepts anything PIL can read)."""

_MB = 1024 * 1024
_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N"}
_TRANSPARENT_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
# ISO-BMFF brands of HEIF/HEIC/AVIF files, which PIL cannot read without plugins.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")

ImageSource = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO


class ImageError(ValueError):
    """A user-facing problem with an image; the message is one friendly sentence."""


def _format_mb(n_bytes: int) -> str:
    return f"{n_bytes / _MB:.1f}".removesuffix(".0") + " MB"


def _too_large(n_bytes: int, max_bytes: int) -> ImageError:
    return ImageError(f"The file is {_format_mb(n_bytes)}, larger than the {_format_mb(max_bytes)} limit.")


def _too_many_pixels(
    n_pixels: int | None, max_pixels: int, size: tuple[int, int] | None = None
) -> ImageError:
    dims = f"{size[0]}x{size[1]} = " if size else ""
    count = f"{dims}{n_pixels:,} pixels" if n_pixels is not None else "too many pixels"
    return ImageError(f"The image has {count}, more than the limit of {max_pixels:,} pixels.")


def _read_source(src: ImageSource, max_bytes: int) -> tuple[bytes, str]:
    """Return ``(data, display_name)``; refuse oversized input before reading it where possible."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        data, name = bytes(src), "The file"
    elif isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        name = f"'{os.path.basename(path)}'"
        try:
            size = os.path.getsize(path)
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as e:
            raise ImageError(f"{name} could not be opened ({e.strerror or 'unreadable file'}).") from None
    elif hasattr(src, "read") or hasattr(src, "getvalue"):
        raw_name = getattr(src, "name", None)
        name = f"'{os.path.basename(raw_name)}'" if isinstance(raw_name, str) and raw_name else "The file"
        declared = getattr(src, "size", None)  # Streamlit's UploadedFile knows its size
        if isinstance(declared, int) and declared > max_bytes:
            raise _too_large(declared, max_bytes)
        try:
            if hasattr(src, "getvalue"):
                data = bytes(src.getvalue())
            else:
                data = src.read(max_bytes + 1)
        except (OSError, ValueError) as e:
            raise ImageError(f"{name} could not be read ({e}).") from None
        if not isinstance(data, (bytes, bytearray)):
            raise ImageError(f"{name} is not a binary file.")
        data = bytes(data)
    else:
        raise TypeError(f"load_image expects bytes, a path or a binary file object, not {type(src).__name__}")
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    if not data:
        raise ImageError("The file is empty.")
    return data, name


def _not_readable(name: str, data: bytes) -> ImageError:
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return ImageError(
            f"{name} is not a readable image: HEIC/HEIF/AVIF is not supported, please convert it to PNG or JPEG."
        )
    return ImageError(f"{name} is not a readable image (unsupported format or damaged file).")


def _rescale(arr: np.ndarray) -> np.ndarray:
    """Map the finite min..max of ``arr`` linearly to 0..255 (constant or empty -> zeros)."""
    arr = arr.astype(np.float64)
    finite = np.isfinite(arr)
    if not finite.any():
        return np.zeros(arr.shape, np.uint8)
    lo, hi = float(arr[finite].min()), float(arr[finite].max())
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    out = np.where(finite, (arr - lo) * (255.0 / (hi - lo)), 0.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _is_sixteen_bit(img: Image.Image) -> bool:
    """``I;16*`` modes, and ``I`` from a PNG (older Pillow opens 16-bit grey PNGs as ``I``)."""
    return img.mode in _SIXTEEN_BIT_MODES or (img.mode == "I" and img.format == "PNG")


def _to_rgb(img: Image.Image, *, sixteen_bit: bool | None = None) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB.

    * 16-bit grey is scaled by 255/65535, keeping absolute brightness (``sixteen_bit`` overrides
      the detection, for images whose ``format`` was lost by a transpose); other ``I`` (32-bit)
      and ``F`` images are stretched min..max.
    * Anything with alpha or a ``transparency`` entry is composited on white.
    * Everything else (``1``, ``L``, ``P``, ``CMYK``, ``YCbCr``, ...) goes through PIL's ``convert``.
    """
    mode = img.mode
    if _is_sixteen_bit(img) if sixteen_bit is None else sixteen_bit:
        grey = np.asarray(img).astype(np.float64) * (255.0 / 65535.0)
        return Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode in ("I", "F") or mode.startswith("I;"):
        return Image.fromarray(_rescale(np.asarray(img)), "L").convert("RGB")
    if mode in _TRANSPARENT_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


MAX_ASPECT = 20  # longest side / shortest side accepted by load_image


def load_image(
    src: ImageSource, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image.Image:
    """Decode a user-supplied image into a fully loaded RGB ``PIL.Image``.

    ``src`` is ``bytes``, a path, or a binary file object (``.read()`` / ``.getvalue()``, e.g.
    Streamlit's ``UploadedFile``). Steps, each of which can only fail with ``ImageError``:

    1. size check against ``max_bytes`` (for paths via ``os.path.getsize``, before reading);
    2. ``Image.open`` reads only the header; the pixel count is checked against ``max_pixels``
       before ``load()`` decodes anything. PIL's own decompression-bomb guard is honoured too
       (its warning is silenced here because we apply our own, usually stricter, limit);
    3. ``load()`` decodes the first frame (animated GIF/WebP, multi-page TIFF);
    4. EXIF orientation is applied (``ImageOps.exif_transpose``); a broken EXIF block is ignored;
    5. the mode is normalised to 8-bit RGB (see ``_to_rgb``).

    Every decoder exception is mapped to ``ImageError`` on purpose: input is untrusted and PIL
    plugins raise a zoo of types (``OSError``, ``SyntaxError``, ``struct.error``, ...).
    """
    data, name = _read_source(src, max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        found = re.search(r"\((\d+) pixels\)", str(e))
        raise _too_many_pixels(int(found.group(1)) if found else None, max_pixels) from None
    except Exception:  # noqa: BLE001 - untrusted input, see docstring
        raise _not_readable(name, data) from None

    with img:
        width, height = img.size
        if width * height > max_pixels:
            raise _too_many_pixels(width * height, max_pixels, (width, height))
        if width <= 0 or height <= 0:
            raise _not_readable(name, data)
        if max(width, height) > MAX_ASPECT * min(width, height):
            # models resize the shorter side to 224-256 px: a 10 x 4,000,000 strip would become gigabytes
            raise ImageError(f"The image is {width}x{height} pixels: more than {MAX_ASPECT}:1 is too elongated "
                             "to classify. Crop it closer to a square.")
        try:
            img.load()
        except MemoryError:
            raise ImageError(f"{name} is too large to decode in the available memory.") from None
        except Exception:  # noqa: BLE001
            raise _not_readable(name, data) from None
        try:
            upright = ImageOps.exif_transpose(img)
        except Exception:  # noqa: BLE001 - a broken EXIF block should not lose the picture
            upright = img
        try:
            rgb = _to_rgb(upright, sixteen_bit=_is_sixteen_bit(img))
            rgb.load()
        except Exception:  # noqa: BLE001
            raise ImageError(f"{name} has a colour mode ({img.mode}) that cannot be shown as RGB.") from None
    return rgb


def image_to_array(img: Image.Image) -> np.ndarray:
    """Return the image as a writable ``(H, W, 3) uint8`` array (converting to RGB if needed)."""
    if img.mode != "RGB":
        img = _to_rgb(img)
    return np.array(img, dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# 2. Procedural shapes data set
# ---------------------------------------------------------------------------------------------

SHAPES_CLASSES = ["circle", "square", "triangle", "cross", "ring"]

_SPLIT_STREAMS = {"train": 0, "test": 1}
_SUPERSAMPLE = 4  # shapes are drawn at 4x resolution and box-filtered down: antialiased edges
_SCALE_RANGE = (0.3, 0.7)  # shape side as a fraction of the image side
_MIN_COLOUR_DISTANCE = 120.0  # Euclidean RGB distance between shape and background colour
_SMOOTH_NOISE_STD = 18.0  # amplitude of the low-frequency background variation
_PIXEL_NOISE_STD = 8.0  # i.i.d. Gaussian noise added to every pixel


@dataclass(frozen=True)
class _ShapeSample:
    pixels: np.ndarray  # (H, W, 3) uint8
    label: int
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1; x1/y1 exclusive (PIL crop convention)


def _interp_matrix(size: int, knots: int) -> np.ndarray:
    """``(size, knots)`` matrix of linear-interpolation weights: upsamples a coarse grid."""
    pos = np.linspace(0, knots - 1, size)
    left = np.clip(np.floor(pos).astype(int), 0, knots - 2)
    frac = pos - left
    m = np.zeros((size, knots))
    m[np.arange(size), left] = 1 - frac
    m[np.arange(size), left + 1] = frac
    return m


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, box: tuple[int, int, int, int]) -> None:
    """Draw ``kind`` in white so that it touches all four sides of ``box`` (x1/y1 exclusive)."""
    x0, y0, x1, y1 = box
    xr, yb = x1 - 1, y1 - 1  # PIL shape coordinates are inclusive
    side = x1 - x0
    if kind == "circle":
        draw.ellipse((x0, y0, xr, yb), fill=255)
    elif kind == "square":
        draw.rectangle((x0, y0, xr, yb), fill=255)
    elif kind == "triangle":
        draw.polygon([(x0, yb), (xr, yb), ((x0 + xr) / 2, y0)], fill=255)
    elif kind == "cross":
        arm = side / 3
        mid_lo, mid_hi = x0 + arm, x1 - arm - 1
        ymid_lo, ymid_hi = y0 + arm, y1 - arm - 1
        draw.rectangle((x0, ymid_lo, xr, ymid_hi), fill=255)
        draw.rectangle((mid_lo, y0, mid_hi, yb), fill=255)
    elif kind == "ring":
        draw.ellipse((x0, y0, xr, yb), fill=255)
        inset = side * 0.25  # inner radius = half the outer radius
        draw.ellipse((x0 + inset, y0 + inset, xr - inset, yb - inset), fill=0)
    else:  # pragma: no cover - guarded by SHAPES_CLASSES
        raise ValueError(kind)


def _render_shape(i: int, *, size: int, seed: int, split: str) -> _ShapeSample:
    """Generate item ``i`` from its own random stream ``default_rng((seed, split_stream, i))``.

    Random-access by construction: item ``i`` never depends on other items, so data-loader
    workers and ``__getitem__`` in any order give identical pixels. The image is
    background colour + smooth low-frequency variation, the shape alpha-blended on top,
    then per-pixel Gaussian noise.
    """
    if split not in _SPLIT_STREAMS:
        raise ValueError(f"split must be one of {sorted(_SPLIT_STREAMS)}, not {split!r}")
    rng = np.random.default_rng((seed, _SPLIT_STREAMS[split], i))
    label = i % len(SHAPES_CLASSES)

    lo, hi = (max(3, round(f * size)) for f in _SCALE_RANGE)
    side = int(rng.integers(lo, hi + 1))
    x0 = int(rng.integers(0, size - side + 1))
    y0 = int(rng.integers(0, size - side + 1))

    background = rng.uniform(0, 255, 3)
    colour = rng.uniform(0, 255, 3)
    for _ in range(32):  # rejection-sample a colour that stands out from the background
        if np.linalg.norm(colour - background) >= _MIN_COLOUR_DISTANCE:
            break
        colour = rng.uniform(0, 255, 3)

    s = _SUPERSAMPLE
    canvas = Image.new("L", (size * s, size * s), 0)
    _draw_shape(
        ImageDraw.Draw(canvas), SHAPES_CLASSES[label], (x0 * s, y0 * s, (x0 + side) * s, (y0 + side) * s)
    )
    alpha = np.asarray(canvas.reduce(s), dtype=np.float64)[..., None] / 255.0

    m = _interp_matrix(size, 4)
    coarse = rng.normal(0.0, _SMOOTH_NOISE_STD, (3, 4, 4))
    smooth = np.einsum("hk,ckl,wl->hwc", m, coarse, m)
    noise = rng.normal(0.0, _PIXEL_NOISE_STD, (size, size, 3))
    pixels = (background + smooth) * (1.0 - alpha) + colour * alpha + noise
    return _ShapeSample(
        pixels=np.clip(np.rint(pixels), 0, 255).astype(np.uint8),
        label=label,
        bbox=(x0, y0, x0 + side, y0 + side),
    )


class ShapesDataset(torch.utils.data.Dataset):
    """Coloured geometric shapes on noisy backgrounds, generated on the fly (no files).

    Item ``i`` has label ``i % len(classes)`` (perfectly balanced) and is a deterministic
    function of ``(seed, split, i)``; ``train`` and ``test`` use different random streams, so
    they do not share images. ``__getitem__`` returns ``(PIL RGB image, label)`` passed through
    ``transform`` like torchvision data sets; ``bbox(i)`` gives the shape's exact box.
    """

    def __init__(
        self,
        n: int = 2000,
        *,
        size: int = 32,
        seed: int = 0,
        split: str = "train",
        transform: Callable[[Image.Image], Any] | None = None,
    ) -> None:
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if size < 8:
            raise ValueError(f"size must be >= 8 pixels, not {size}")
        if split not in _SPLIT_STREAMS:
            raise ValueError(f"split must be one of {sorted(_SPLIT_STREAMS)}, not {split!r}")
        self.n, self.size, self.seed, self.split, self.transform = n, size, seed, split, transform
        self.classes = list(SHAPES_CLASSES)
        self.class_to_idx = {name: k for k, name in enumerate(self.classes)}
        self.targets = [i % len(self.classes) for i in range(n)]

    def __len__(self) -> int:
        return self.n

    def _render(self, i: int) -> _ShapeSample:
        if not -self.n <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} images")
        return _render_shape(i % self.n, size=self.size, seed=self.seed, split=self.split)

    def sample(self, i: int) -> tuple[Image.Image, int, tuple[int, int, int, int]]:
        """``(PIL image, label, bbox)`` without the transform."""
        s = self._render(i)
        return Image.fromarray(s.pixels, "RGB"), s.label, s.bbox

    def bbox(self, i: int) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` of the shape in pixels; x1/y1 exclusive, so ``img.crop(bbox)`` works."""
        return self._render(i).bbox

    def __getitem__(self, i: int) -> tuple[Any, int]:
        img, label, _ = self.sample(i)
        return (self.transform(img) if self.transform is not None else img), label

    def __repr__(self) -> str:
        return f"ShapesDataset(n={self.n}, size={self.size}, seed={self.seed}, split={self.split!r})"


def shapes_arrays(
    n: int, size: int = 32, seed: int = 0, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """All ``n`` shapes images at once: ``(uint8 (N, H, W, 3), int64 labels (N,))``.

    Same pixels as ``ShapesDataset(n, size=size, seed=seed, split=split)``.
    """
    images = np.empty((n, size, size, 3), np.uint8)
    labels = np.empty(n, np.int64)
    for i in range(n):
        s = _render_shape(i, size=size, seed=seed, split=split)
        images[i], labels[i] = s.pixels, s.label
    return images, labels


# ---------------------------------------------------------------------------------------------
# 3. Data-set specs
# ---------------------------------------------------------------------------------------------


class DataUnavailable(RuntimeError):
    """The requested data set is not on disk and cannot be fetched; the message says what to do."""


_SPEC_FORMS = "'shapes', 'shapes:N', 'cifar10', 'imagefolder:PATH' or 'zip:FILE'"
_SHAPES_DEFAULT_N = {"train": 5000, "test": 1000}
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
_CIFAR_FILES = [
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
]
_CIFAR_HOST = ("www.cs.toronto.edu", 443)
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_ALTERNATIVES = (
    "or use 'imagefolder:PATH' for your own images or 'shapes' for the built-in synthetic data set"
)


def parse_data_spec(spec: str) -> tuple[str, str | None]:
    """Split ``"kind[:arg]"`` at the first colon (paths may contain colons) and validate it.

    Returns ``("shapes", None | "N")``, ``("cifar10", None)``, ``("imagefolder", PATH)`` or ``("zip", FILE)``.
    """
    kind, sep, arg = spec.strip().partition(":")
    kind = kind.strip().lower().replace("-", "")
    arg = arg.strip()
    if kind == "shapes" and (not sep or (arg.isdigit() and int(arg) > 0)):
        return "shapes", arg or None
    if kind == "cifar10" and not sep:
        return "cifar10", None
    if kind == "imagefolder" and arg:
        return "imagefolder", arg
    if kind == "zip" and arg:
        return "zip", arg
    raise ValueError(f"Unknown data set spec {spec!r}; expected {_SPEC_FORMS}.")


def _normalise_split(split: str) -> str:
    split = split.lower()
    if split == "val":
        return "test"
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test' ('val' means 'test'), not {split!r}")
    return split


def _data_root(root: str | os.PathLike[str] | None) -> Path:
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("RESNET_VIZ_DATA")
    return Path(env).expanduser() if env else cache_dir() / "data"


def _cifar_missing(root: Path, reason: str) -> DataUnavailable:
    return DataUnavailable(
        f"CIFAR-10 is not available ({reason}). Put the extracted folder at {root / _CIFAR_DIR}/ "
        f"({', '.join(_CIFAR_FILES)}) or the archive {_CIFAR_ARCHIVE} from {_CIFAR_URL} in {root}/ "
        f"(the folder is set by RESNET_VIZ_DATA), {_ALTERNATIVES}."
    )


def _cifar10(split: str, transform: Callable | None, root: Path, download: bool | None) -> Any:
    """CIFAR-10 from ``root``; downloads only when allowed and the host answers within 3 s.

    An intact archive already in ``root`` (MD5 checked here first) is extracted by torchvision
    without touching the network, so that case works offline too.
    """
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import check_integrity

    extracted = all((root / _CIFAR_DIR / f).is_file() for f in _CIFAR_FILES)
    archived = not extracted and check_integrity(str(root / _CIFAR_ARCHIVE), CIFAR10.tgz_md5)
    if not extracted and not archived:
        if forced_offline():
            raise _cifar_missing(root, "RESNET_VIZ_OFFLINE is set and the files are not there")
        if download is False:
            raise _cifar_missing(root, "download=False and the files are not there")
        if not can_reach(_CIFAR_URL):
            raise _cifar_missing(root, f"cannot reach {_CIFAR_HOST[0]} to download it")
    try:
        root.mkdir(parents=True, exist_ok=True)
        return CIFAR10(root=str(root), train=split == "train", transform=transform, download=not extracted)
    except Exception as e:  # noqa: BLE001 - network / disk / corrupted archive all end up here
        raise _cifar_missing(root, f"{type(e).__name__}: {e}") from None


_SCANS: dict[tuple[str, float], Any] = {}  # (folder, mtime) -> userdata.FolderReport, per process


def _imagefolder(path_arg: str, split: str, transform: Callable | None) -> Any:
    """``PATH/train`` + ``PATH/test`` (``val`` stands in for ``test``): torchvision ``ImageFolder`` on
    ``PATH/<split>``. A folder of class folders without that split (``PATH/<class>/*``, or ``PATH/train``
    alone) is the user's own data: every image is checked (``userdata.scan_folder``) and the test split
    is held out from it (stratified, seeded: ``userdata.stratified_split``), so the two splits never
    share an image."""
    from torchvision.datasets import ImageFolder

    path = Path(path_arg).expanduser()
    if not path.is_dir():
        raise DataUnavailable(f"Image folder '{path}' does not exist.")
    names = ["train"] if split == "train" else ["test", "val"]
    has = {n: (path / n).is_dir() for n in ("train", "test", "val")}
    if has["train"] and (has["test"] or has["val"]):
        base = next(path / n for n in names if has[n])
        try:
            return ImageFolder(str(base), transform=transform)
        except FileNotFoundError:
            raise DataUnavailable(
                f"No class folders with images found in '{base}' (expected {base}/<class name>/<image files>)."
            ) from None
    if (has["test"] or has["val"]) and not has["train"]:
        raise DataUnavailable(f"Image folder '{path}' has a test folder but no 'train' folder next to it.")
    from resnet_viz.data.folders import UserDataError, UserImageFolder, scan_folder

    # rescanned when the folder or one of its class folders changes (files added, removed, renamed)
    key = (str(path.resolve()), max([path.stat().st_mtime] + [p.stat().st_mtime for p in path.iterdir() if p.is_dir()]))
    report = _SCANS.get(key)
    if report is None:
        report = _SCANS[key] = scan_folder(path)
    try:
        return UserImageFolder(report, split, transform)
    except UserDataError as e:
        raise DataUnavailable(str(e)) from None


def get_dataset(
    spec: str,
    split: str = "test",
    transform: Callable[[Image.Image], Any] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool | None = None,
) -> torch.utils.data.Dataset:
    """Build the data set named by ``spec`` (see ``parse_data_spec``) for ``split``.

    Items are ``(transform(PIL image), label)``; every data set has ``.classes`` and
    ``.targets``. ``root``/``download`` only matter for ``cifar10``: the cache is ``root``, else
    ``$RESNET_VIZ_DATA``, else ``~/.cache/resnet-viz/data``; ``download=None`` means "download
    unless ``RESNET_VIZ_OFFLINE=1``". ``zip:FILE`` is unpacked safely once into the app cache and
    split 80/20 (seeded, stratified) unless it has train/ and test/ folders (``userdata.zip_dataset``).
    """
    kind, arg = parse_data_spec(spec)
    split = _normalise_split(split)
    if kind == "shapes":
        n = int(arg) if arg else _SHAPES_DEFAULT_N[split]
        return ShapesDataset(n, split=split, transform=transform)
    if kind == "cifar10":
        return _cifar10(split, transform, _data_root(root), download)
    if kind == "zip":
        from resnet_viz.data.folders import UserDataError, zip_dataset  # imports this module: late import

        try:
            return zip_dataset(arg or "", split, transform)
        except UserDataError as e:
            raise DataUnavailable(str(e)) from None
    return _imagefolder(arg or "", split, transform)


def _targets(ds: Any) -> list[int] | None:
    if isinstance(ds, torch.utils.data.Subset):
        parent = _targets(ds.dataset)
        return None if parent is None else [parent[i] for i in ds.indices]
    targets = getattr(ds, "targets", None)
    return None if targets is None else [int(t) for t in targets]


def _classes(ds: Any) -> list[str]:
    while isinstance(ds, torch.utils.data.Subset):
        ds = ds.dataset
    return list(getattr(ds, "classes", []))


def describe_dataset(ds: Any) -> dict[str, Any]:
    """Summary for display: ``{"n_images", "num_classes", "classes", "counts"}``.

    ``counts`` maps class name -> number of images, computed from ``.targets`` (no image is
    decoded); it is ``None`` when the data set has no targets. ``Subset`` is unwrapped.
    """
    classes = _classes(ds)
    targets = _targets(ds)
    counts = None
    if targets is not None:
        tally = Counter(targets)
        if classes:
            counts = {name: tally.get(k, 0) for k, name in enumerate(classes)}
        else:
            counts = {str(k): tally[k] for k in sorted(tally)}
    return {"n_images": len(ds), "num_classes": len(classes), "classes": classes, "counts": counts}
