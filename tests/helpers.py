"""Helpers shared by several test modules: hand-made images, zips and class folders."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from PIL import Image
from streamlit.testing.v1 import AppTest

from resnet_viz.data.shapes import ShapesDataset

VALID = {"cat": 12, "dog": 11, "fox": 10}


def image_bytes(colour: tuple[int, int, int], fmt: str = "PNG", size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, fmt)
    return buf.getvalue()


def valid_entries(prefix: str = "pets/", classes: dict[str, int] = VALID) -> dict[str, bytes]:
    """``{name: bytes}`` for a small class set; every third image is a JPEG."""
    out = {}
    for k, (name, n) in enumerate(classes.items()):
        for j in range(n):
            fmt, ext = ("JPEG", "jpg") if j % 3 == 2 else ("PNG", "png")
            out[f"{prefix}{name}/{j:02d}.{ext}"] = image_bytes((80 * k, 7 * j, 200 - 60 * k), fmt)
    return out


def write_zip(path: Path, entries: dict[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def write_folder(root: Path, classes: dict[str, int], offset: int = 0) -> None:
    for k, (name, n) in enumerate(classes.items()):
        (root / name).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            Image.new("RGB", (8, 8), (40 * k + offset, 9 * j, 0)).save(root / name / f"{j:02d}.png")


def symlink_entry(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _texts(at: AppTest) -> str:
    """Every text element a page shows (markdown, info, caption, warning, error), one per line."""
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(parts)


SHAPES_CLASSES = {"circle": 0, "square": 1, "cross": 3}  # ShapesDataset labels


def shapes_folder(root: Path, per_class: int = 20) -> Path:
    """``root/<class>/*.png``: shapes images of three classes, no train/test split (one is held out)."""
    ds = ShapesDataset(5 * per_class, size=32, seed=3)
    for i in range(len(ds)):
        img, label, _ = ds.sample(i)
        name = next((c for c, k in SHAPES_CLASSES.items() if k == label), None)
        if name:
            (root / name).mkdir(parents=True, exist_ok=True)
            img.save(root / name / f"{i:03d}.png")
    return root
