"""The built-in example data set (three classes of shapes, made once per machine) and content keys of data specs."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from resnet_viz.env import cache_dir


def example_folder(dest: Path | None = None, per_class: int = 200) -> Path:
    """A small built-in example data set (no files needed): three classes of the ``shapes`` images, made once
    per machine under the app cache (``dest`` overrides) and shared read-only by every session. Written into a
    temporary sibling and renamed into place, so concurrent first visitors never see half a folder."""
    import tempfile

    from resnet_viz.data.shapes import ShapesDataset

    dest = Path(dest) if dest is not None else cache_dir() / "examples" / f"shapes-3x{per_class}"
    if (dest / ".complete").is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".example-", dir=dest.parent))
    try:
        keep = {0: "circle", 1: "square", 2: "triangle"}
        ds = ShapesDataset(5 * per_class, size=32, seed=7)
        for i in range(len(ds)):
            img, label, _ = ds.sample(i)
            if label in keep:
                (tmp / keep[label]).mkdir(exist_ok=True)
                img.save(tmp / keep[label] / f"{i:03d}.png")
        (tmp / ".complete").touch()
        try:
            tmp.rename(dest)
        except OSError:  # another process or session made it first (or a stale incomplete one is in the way)
            if not (dest / ".complete").is_file():
                shutil.rmtree(dest, ignore_errors=True)
                tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def data_key(spec: str) -> str:
    """A short stable id of a data spec (a zip's content hash, or the folder path) for run tags."""
    import hashlib

    kind, _, arg = spec.partition(":")
    if kind == "zip" and Path(arg).is_file():
        st = Path(arg).stat()
        return _zip_key(arg, st.st_size, st.st_mtime_ns)
    return kind[:3] + hashlib.sha1(arg.encode()).hexdigest()[:7]


@functools.lru_cache(maxsize=64)
def _zip_key(path: str, size: int, mtime_ns: int) -> str:
    """The content hash of a zip, read once per file version (the page asks on every rerun)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "zip" + h.hexdigest()[:7]
