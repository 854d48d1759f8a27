"""The procedural ``shapes`` data set: coloured shapes on noisy backgrounds, generated from a seed.

``ShapesDataset`` draws item ``i`` on the fly from its own random stream (no files, no network), with
the shape's exact bounding box; ``shapes_arrays`` renders the same pixels for a whole set at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch.utils.data
from PIL import Image, ImageDraw

__all__ = ["SHAPES_CLASSES", "ShapesDataset", "shapes_arrays"]

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
