"""``load_image``: every kind of hostile or unusual upload, generated in the test itself."""

from __future__ import annotations

import io
import resource
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from resnet_viz.data.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    SUPPORTED_TYPES,
    ImageError,
    image_to_array,
    load_image,
)

MB = 1024 * 1024


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def rgb_array(img: Image.Image) -> np.ndarray:
    assert img.mode == "RGB"
    return np.asarray(img).astype(int)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def huge_blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width x height`` black pixels, written row-block by row-block.

    Built by hand because PIL would need ``width * height`` bytes of memory to create it.
    """
    row = bytes(1 + (width + 7) // 8)  # filter byte 0 + packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 500) for _ in range(height // 500)]
    parts += [compressor.compress(row * (height % 500)), compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


# --- constants ----------------------------------------------------------------------------------


def test_defaults():
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024
    assert DEFAULT_MAX_PIXELS == 40_000_000
    assert SUPPORTED_TYPES == ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]


# --- sources ------------------------------------------------------------------------------------


class FakeUpload(io.BytesIO):
    """Looks like Streamlit's UploadedFile: a BytesIO with ``name`` and ``size``."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name
        self.size = len(data)


def test_accepts_bytes_paths_and_file_objects(tmp_path: Path):
    data = encode(Image.new("RGB", (7, 5), (10, 20, 30)), "PNG")
    path = tmp_path / "a.png"
    path.write_bytes(data)
    sources = [data, bytearray(data), str(path), path, io.BytesIO(data), FakeUpload(data, "a.png")]
    with path.open("rb") as handle:
        sources.append(handle)
        for src in sources:
            img = load_image(src)
            assert img.mode == "RGB" and img.size == (7, 5)
            assert img.getpixel((3, 3)) == (10, 20, 30)


def test_result_is_fully_loaded_and_detached(tmp_path: Path):
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 4), (1, 2, 3)).save(path)
    img = load_image(path)
    path.unlink()
    assert img.getpixel((0, 0)) == (1, 2, 3)


def test_image_to_array():
    arr = image_to_array(Image.new("RGB", (5, 3), (9, 8, 7)))
    assert arr.shape == (3, 5, 3) and arr.dtype == np.uint8 and arr.flags.writeable
    assert (arr == [9, 8, 7]).all()
    grey = image_to_array(Image.new("L", (2, 2), 100))
    assert grey.shape == (2, 2, 3) and (grey == 100).all()


# --- size limits --------------------------------------------------------------------------------


def test_too_many_bytes_refused_before_decoding():
    data = b"\x89PNG" + bytes(int(1.5 * MB))
    with pytest.raises(ImageError, match=r"1\.5 MB.*1 MB"):
        load_image(data, max_bytes=MB)


def test_too_large_path_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "big.png"
    with path.open("wb") as f:  # sparse: 51 MB on paper, nothing on disk
        f.truncate(51 * MB)

    def no_open(*args, **kwargs):
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr("resnet_viz.data.images.open", no_open, raising=False)
    with pytest.raises(ImageError, match=r"51 MB.*50 MB"):
        load_image(path)


def test_upload_with_declared_size_refused_before_reading():
    upload = FakeUpload(b"x", "big.jpg")
    upload.size = 60 * MB
    with pytest.raises(ImageError, match=r"60 MB.*50 MB"):
        load_image(upload)


def test_decompression_bomb_refused_from_header_with_flat_memory(monkeypatch: pytest.MonkeyPatch):
    data = huge_blank_png(20_000, 20_000)
    assert len(data) < 100_000  # tiny file, 400 megapixels

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("pixels must not be decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        with pytest.raises(ImageError) as info:
            load_image(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
    assert peak < 50 * MB and rss_growth < 50 * MB
    message = str(info.value)
    assert "400,000,000 pixels" in message and "40,000,000" in message
    assert "Traceback" not in message


def test_too_many_pixels_below_pil_bomb_limit_refused_by_our_check():
    data = huge_blank_png(7_000, 7_000)  # 49 MP: above our 40 MP default, below PIL's limits
    with pytest.raises(ImageError, match=r"7000x7000 = 49,000,000 pixels.*40,000,000"):
        load_image(data)


def test_max_pixels_parameter():
    data = encode(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(ImageError, match="10,000 pixels"):
        load_image(data, max_pixels=5_000)
    assert load_image(data, max_pixels=10_000).size == (100, 100)


# --- unreadable files ---------------------------------------------------------------------------


def test_truncated_jpeg():
    rng = np.random.default_rng(0)
    data = encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(ImageError, match="is not a readable image"):
        load_image(data[: len(data) // 2])


def test_executable_renamed_to_jpg(tmp_path: Path):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(b"MZ" + np.random.default_rng(1).bytes(4096))
    with pytest.raises(ImageError, match="'holiday.jpg' is not a readable image"):
        load_image(path)


def test_empty_file(tmp_path: Path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match="^The file is empty.$"):
        load_image(path)
    with pytest.raises(ImageError, match="^The file is empty.$"):
        load_image(b"")


def test_text_file(tmp_path: Path):
    path = tmp_path / "notes.png"
    path.write_text("just some text\n" * 20)
    with pytest.raises(ImageError, match="is not a readable image"):
        load_image(path)


def test_missing_path(tmp_path: Path):
    with pytest.raises(ImageError, match="could not be opened"):
        load_image(tmp_path / "nope.png")


def test_heic_is_refused_with_a_hint():
    heic = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + bytes(200)
    with pytest.raises(ImageError, match="not a readable image.*HEIC"):
        load_image(heic)


def test_other_unsupported_format():
    with pytest.raises(ImageError, match="is not a readable image"):
        load_image(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 5)


@pytest.mark.filterwarnings("ignore::UserWarning")  # e.g. TIFF "Truncated File Read"
def test_corrupted_files_never_escape_as_other_exceptions():
    """Byte-flipped PNG/JPEG/GIF/BMP/TIFF/WebP files: either an image or an ImageError, nothing else."""
    rng = np.random.default_rng(2)
    base = Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    formats = ["PNG", "JPEG", "GIF", "BMP", "TIFF"] + (["WEBP"] if features.check("webp") else [])
    for fmt in formats:
        good = bytearray(encode(base, fmt))
        for _ in range(15):
            bad = bytearray(good)
            for pos in rng.integers(0, len(bad), 6):
                bad[pos] = int(rng.integers(0, 256))
            try:
                img = load_image(bytes(bad))
            except ImageError:
                continue
            assert img.mode == "RGB"


# --- modes --------------------------------------------------------------------------------------


def test_rgba_composited_on_white():
    img = Image.new("RGBA", (3, 1))
    img.putpixel((0, 0), (255, 0, 0, 255))
    img.putpixel((1, 0), (0, 0, 255, 0))
    img.putpixel((2, 0), (0, 0, 0, 128))
    out = rgb_array(load_image(encode(img, "PNG")))
    assert out[0, 0].tolist() == [255, 0, 0]
    assert out[0, 1].tolist() == [255, 255, 255]
    assert np.allclose(out[0, 2], 127, atol=2)


def test_la_composited_on_white():
    img = Image.new("LA", (2, 1))
    img.putpixel((0, 0), (0, 0))
    img.putpixel((1, 0), (0, 255))
    out = rgb_array(load_image(encode(img, "PNG")))
    assert out[0, 0].tolist() == [255, 255, 255]
    assert out[0, 1].tolist() == [0, 0, 0]


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency_composited_on_white(fmt: str):
    img = Image.new("P", (2, 1))
    img.putpalette([0, 0, 0, 0, 128, 0] + [0] * (254 * 3))
    img.putpixel((0, 0), 0)  # transparent black
    img.putpixel((1, 0), 1)  # opaque green
    data = encode(img, fmt, transparency=0)
    assert "transparency" in Image.open(io.BytesIO(data)).info
    out = rgb_array(load_image(data))
    assert out[0, 0].tolist() == [255, 255, 255]
    assert out[0, 1].tolist() == [0, 128, 0]


def test_16_bit_grey_rescaled_not_saturated():
    img = Image.fromarray(np.array([[0, 257, 32768, 65535]], dtype=np.uint16))
    data = encode(img, "PNG")
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")
    out = rgb_array(load_image(data))
    assert out[0, :, 0].tolist() == [0, 1, 128, 255]
    assert (out == out[..., :1]).all()  # grey


def test_16_bit_tiff_rescaled():
    img = Image.fromarray(np.array([[0, 65535]], dtype=np.uint16))
    out = rgb_array(load_image(encode(img, "TIFF")))
    assert out[0, :, 0].tolist() == [0, 255]


def test_1_bit_is_black_and_white():
    img = Image.new("1", (4, 4), 0)
    img.putpixel((1, 1), 1)
    out = rgb_array(load_image(encode(img, "PNG")))
    assert set(np.unique(out).tolist()) == {0, 255}
    assert out[1, 1].tolist() == [255, 255, 255] and out[0, 0].tolist() == [0, 0, 0]


def test_cmyk_jpeg_is_not_inverted():
    cmyk = Image.new("RGB", (16, 16), (255, 0, 0)).convert("CMYK")
    data = encode(cmyk, "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = rgb_array(load_image(data))
    assert np.abs(out - [255, 0, 0]).max() < 30


@pytest.mark.parametrize(("orientation", "top_colour"), [(6, (255, 0, 0)), (8, (0, 0, 255))])
def test_exif_orientation_applied(orientation: int, top_colour: tuple[int, int, int]):
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (20, 0, 40, 20))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(encode(img, "JPEG", exif=exif, quality=95))
    assert out.size == (20, 40)
    top = rgb_array(out)[5, 10]
    assert np.abs(top - top_colour).max() < 40  # 6 = rotate 90 CW (left goes up), 8 = 90 CCW


def test_animated_gif_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert load_image(data).getpixel((4, 4)) == (255, 0, 0)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_animated_webp_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True, duration=50)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert load_image(data).getpixel((4, 4)) == (255, 0, 0)


def test_float_image_rescaled_min_to_max():
    img = Image.fromarray(np.array([[-1.0, 0.0, 3.0]], dtype=np.float32))
    assert img.mode == "F"
    out = rgb_array(load_image(encode(img, "TIFF")))
    assert out[0, :, 0].tolist() == [0, 64, 255]


def test_float_image_with_nan_and_constant():
    nan = Image.fromarray(np.array([[np.nan, 1.0, 2.0]], dtype=np.float32))
    assert rgb_array(load_image(encode(nan, "TIFF")))[0, :, 0].tolist() == [0, 0, 255]
    constant = Image.fromarray(np.full((3, 3), 7.5, dtype=np.float32))
    assert (rgb_array(load_image(encode(constant, "TIFF"))) == 0).all()


def test_32_bit_integer_image_rescaled_min_to_max():
    img = Image.fromarray(np.array([[-100_000, 0, 100_000]], dtype=np.int32))
    assert img.mode == "I"
    out = rgb_array(load_image(encode(img, "TIFF")))
    assert out[0, :, 0].tolist() == [0, 128, 255]
    constant = Image.fromarray(np.full((2, 2), 123_456, dtype=np.int32))
    assert (rgb_array(load_image(encode(constant, "TIFF"))) == 0).all()


@pytest.mark.parametrize(("mode", "colour"), [("RGB", (0, 0, 0)), ("L", 0), ("L", 200), ("RGB", (9, 9, 9))])
def test_constant_images_are_fine(mode: str, colour):
    out = rgb_array(load_image(encode(Image.new(mode, (10, 6), colour), "PNG")))
    expected = colour if isinstance(colour, tuple) else (colour,) * 3
    assert out.shape == (6, 10, 3) and (out == expected).all()


def test_bmp_and_webp_roundtrip():
    img = Image.new("RGB", (6, 6), (12, 200, 34))
    assert load_image(encode(img, "BMP")).getpixel((2, 2)) == (12, 200, 34)
    if features.check("webp"):
        assert load_image(encode(img, "WEBP", lossless=True)).getpixel((2, 2)) == (12, 200, 34)


def test_16_bit_png_with_exif_rotation_keeps_16_bit_scaling():
    img = Image.fromarray(np.full((2, 4), 32768, dtype=np.uint16))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = load_image(encode(img, "PNG", exif=exif))
    assert out.size == (2, 4)
    assert (rgb_array(out) == 128).all()


def test_extremely_elongated_image_is_refused_before_decoding():
    import io as _io

    from PIL import Image as _Image

    from resnet_viz.data.images import ImageError as _ImageError
    from resnet_viz.data.images import load_image as _load

    buf = _io.BytesIO()
    _Image.new("1", (4000, 10)).save(buf, format="PNG")
    with pytest.raises(_ImageError, match="too elongated"):
        _load(buf.getvalue())
    buf = _io.BytesIO()
    _Image.new("RGB", (400, 100)).save(buf, format="PNG")  # a 4:1 panorama is fine
    assert _load(buf.getvalue()).size == (400, 100)
