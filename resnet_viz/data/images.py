"""The single decoder for every user-supplied image: ``load_image`` and its limits.

``load_image`` refuses oversized files before reading them (``DEFAULT_MAX_BYTES``) and oversized
images from the header before decoding (``DEFAULT_MAX_PIXELS``, and more than ``MAX_ASPECT``:1),
normalises every PIL mode to 8-bit RGB (transparency on white, 16-bit/float rescaled, EXIF rotation
applied) and turns every decoder failure into a one-sentence ``ImageError``. ``SUPPORTED_TYPES`` are the
extensions upload widgets offer; ``image_to_array`` gives the pixels as a ``uint8`` array.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

from resnet_viz.i18n import N_, Msg

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_ASPECT",
    "SUPPORTED_TYPES",
    "ImageError",
    "image_to_array",
    "load_image",
]

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
    """A user-facing problem with an image; the message is one friendly sentence (a ``Msg``: English as a value,
    in the session's language when shown)."""


def _megabytes(n_bytes: int) -> int | float:
    """Megabytes to one decimal, an int when whole (``50``, ``1.5``): shown in the language's number format."""
    mb = round(n_bytes / _MB, 1)
    return int(mb) if mb == int(mb) else mb


def _too_large(n_bytes: int, max_bytes: int) -> ImageError:
    return ImageError(Msg("The file is {size} MB, larger than the {limit} MB limit.", size=_megabytes(n_bytes),
                          limit=_megabytes(max_bytes)))


def _too_many_pixels(
    n_pixels: int | None, max_pixels: int, size: tuple[int, int] | None = None
) -> ImageError:
    if n_pixels is None:
        return ImageError(Msg("The image has too many pixels, more than the limit of {limit:,} pixels.",
                              limit=max_pixels))
    if size:
        return ImageError(Msg("The image has {width}x{height} = {n:,} pixels, more than the limit of {limit:,} pixels.",
                              width=size[0], height=size[1], n=n_pixels, limit=max_pixels))
    return ImageError(Msg("The image has {n:,} pixels, more than the limit of {limit:,} pixels.", n=n_pixels,
                          limit=max_pixels))


def _read_source(src: ImageSource, max_bytes: int) -> tuple[bytes, str]:
    """Return ``(data, file name or None)``; refuse oversized input before reading it where possible."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        data, name = bytes(src), None
    elif isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        name = os.path.basename(path)
        try:
            size = os.path.getsize(path)
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as e:
            if e.strerror:
                raise ImageError(Msg("'{name}' could not be opened ({reason}).", name=name,
                                     reason=e.strerror)) from None
            raise ImageError(Msg("'{name}' could not be opened (unreadable file).", name=name)) from None
    elif hasattr(src, "read") or hasattr(src, "getvalue"):
        raw_name = getattr(src, "name", None)
        name = os.path.basename(raw_name) if isinstance(raw_name, str) and raw_name else None
        declared = getattr(src, "size", None)  # Streamlit's UploadedFile knows its size
        if isinstance(declared, int) and declared > max_bytes:
            raise _too_large(declared, max_bytes)
        try:
            if hasattr(src, "getvalue"):
                data = bytes(src.getvalue())
            else:
                data = src.read(max_bytes + 1)
        except (OSError, ValueError) as e:
            raise ImageError(_named(name, N_("'{name}' could not be read ({reason})."),
                                    N_("The file could not be read ({reason})."), reason=str(e))) from None
        if not isinstance(data, (bytes, bytearray)):
            raise ImageError(_named(name, N_("'{name}' is not a binary file."), N_("The file is not a binary file.")))
        data = bytes(data)
    else:
        raise TypeError(f"load_image expects bytes, a path or a binary file object, not {type(src).__name__}")
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    if not data:
        raise ImageError(Msg("The file is empty."))
    return data, name


def _named(name: str | None, with_name: str, without_name: str, **params) -> Msg:
    """The sentence about the file ``name``, or about "the file" when it has no name (raw bytes): two
    ``N_``-marked templates, the first with a ``{name}`` placeholder."""
    return Msg(with_name, name=name, **params) if name else Msg(without_name, **params)


def _not_readable(name: str, data: bytes) -> ImageError:
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return ImageError(_named(
            name, N_("'{name}' is not a readable image: HEIC/HEIF/AVIF is not supported, please convert it to PNG or "
                     "JPEG."),
            N_("The file is not a readable image: HEIC/HEIF/AVIF is not supported, please convert it to PNG or JPEG.")))
    return ImageError(_named(name, N_("'{name}' is not a readable image (unsupported format or damaged file)."),
                             N_("The file is not a readable image (unsupported format or damaged file).")))


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
            raise ImageError(Msg("The image is {width}x{height} pixels: more than {ratio}:1 is too elongated to "
                                 "classify. Crop it closer to a square.", width=width, height=height, ratio=MAX_ASPECT))
        try:
            img.load()
        except MemoryError:
            raise ImageError(_named(name, N_("'{name}' is too large to decode in the available memory."),
                                    N_("The file is too large to decode in the available memory."))) from None
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
            raise ImageError(_named(name, N_("'{name}' has a colour mode ({mode}) that cannot be shown as RGB."),
                                    N_("The file has a colour mode ({mode}) that cannot be shown as RGB."),
                                    mode=img.mode)) from None
    return rgb


def image_to_array(img: Image.Image) -> np.ndarray:
    """Return the image as a writable ``(H, W, 3) uint8`` array (converting to RGB if needed)."""
    if img.mode != "RGB":
        img = _to_rgb(img)
    return np.array(img, dtype=np.uint8)
