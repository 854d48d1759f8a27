"""Your own data: a zip (or folder) of class sub-folders, unpacked safely, checked, and served like ImageFolder.

Five parts, readable top to bottom:

1. ``safe_extract`` -- unpacks an untrusted zip. Every limit is checked on the central directory
   *before* anything is written (entry count, total size, compression ratio, overlapping entries:
   zip bombs are refused as a whole); entries that are merely unwanted (path traversal, absolute
   paths, links, ``__MACOSX`` junk, non-images, ...) are skipped one by one with a reason. Bytes
   actually decompressed are capped too, because the sizes in a zip's directory can lie.
2. ``scan_folder`` -- finds the layout (``<class>/*``, or ``train/<class>/*`` + ``test/<class>/*``,
   possibly wrapped in one top-level folder), decodes every image with ``data.load_image`` (same
   limits as an upload), and reports counts per class and split, skipped files with reasons,
   warnings (tiny or unbalanced classes, train/test class mismatch) and errors (fewer than 2 classes).
3. ``stratified_split`` -- a seeded, stratified hold-out split for folders without ``test/``.
4. ``UserImageFolder`` -- a torch ``Dataset`` that behaves like torchvision's ``ImageFolder``
   (``.classes``, ``.targets``, ``.samples``, items ``(transform(RGB image), label)``) over the
   files ``scan_folder`` accepted.
5. ``prepare_zip`` / ``zip_dataset`` -- what ``get_dataset("zip:FILE")`` uses: the zip is unpacked
   and scanned once into ``<cache>/userdata/<sha256 of the zip>/`` under a lock file, so two
   processes (the train and test split, a page and a training job) never unpack it twice.

Problems with the user's data raise ``UserDataError`` (a ``ValueError``) with one friendly sentence.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
import torch.utils.data
from PIL import Image

from resnet_viz.data.datasets import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, SUPPORTED_TYPES, ImageError, load_image
from resnet_viz.env import cache_dir

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MAX_TOTAL_BYTES",
    "ExtractReport",
    "FolderReport",
    "Sample",
    "Skipped",
    "UserDataError",
    "UserImageFolder",
    "prepare_zip",
    "safe_extract",
    "scan_folder",
    "stratified_split",
    "zip_dataset",
]

_MB = 1024 * 1024
_GB = 1024 * _MB

DEFAULT_MAX_ENTRIES = 20_000
"""Entries (files, folders, junk) a zip may list: a class-room data set has hundreds to a few thousand images."""

DEFAULT_MAX_TOTAL_BYTES = 2 * _GB
"""Bytes the accepted entries may unpack to (2 GiB): plenty for images that will be shrunk to 32-224 px."""

DEFAULT_MAX_RATIO = 100
"""Largest uncompressed/compressed ratio, per entry and overall. PNG/JPEG barely compress (about
1:1); 100:1 only happens for padding, blank BMP/TIFF or a zip bomb (zeros reach about 1000:1)."""

_RATIO_FLOOR = 1 * _MB  # entries (and archives) smaller than this cannot be bombs: the ratio is not checked
_CD_BYTES_PER_ENTRY = 512  # generous average size of one central-directory record (46 bytes + name + extras)
_CHUNK = 1 * _MB
_JUNK_NAMES = {"__macosx", "thumbs.db", "desktop.ini", "ehthumbs.db", "$recycle.bin", "system volume information"}
_SPLIT_NAMES = {"train": ("train", "training"), "test": ("test", "testing", "val", "valid", "validation")}
_TINY_CLASS = 10  # warn when a class has fewer images than this
_UNBALANCED = 3.0  # warn when largest class / smallest class exceeds this
_CACHE_VERSION = 1  # bump when the cached scan format or the scanning rules change


class UserDataError(ValueError):
    """A problem with the user's archive or folder; the message is one friendly sentence."""


class Skipped(NamedTuple):
    """An entry or file that was left out, and why (``name`` is relative to the archive or folder)."""

    name: str
    reason: str


class Sample(NamedTuple):
    """An accepted image: ``path`` relative to ``FolderReport.base``, class index, split folder it came from."""

    path: str
    label: int
    split: str  # "train" or "test" for the train/test layout, "all" when the folder has no split


def _fmt_bytes(n: int | float) -> str:
    if n >= _GB:
        return f"{n / _GB:.1f}".removesuffix(".0") + " GB"
    if n < _MB:
        return f"{n / 1024:.0f} KB"
    return f"{n / _MB:.1f}".removesuffix(".0") + " MB"


def _reason_kind(reason: str) -> str:
    """``'not an image file (.txt)'`` -> ``'not an image file'``: groups reasons for summaries."""
    return reason.split(" (", 1)[0].rstrip(".")


def _tally(skipped: Sequence[Skipped]) -> str:
    counts = Counter(_reason_kind(s.reason) for s in skipped)
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common())


def _is_junk(part: str) -> bool:
    """Hidden files and folders (``.DS_Store``, AppleDouble ``._x``, ``.git``) and OS litter."""
    return part.startswith(".") or part.lower() in _JUNK_NAMES


def _extension_ok(name: str, extensions: Sequence[str]) -> str | None:
    """``None`` if ``name`` has an image extension, else the skip reason."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in extensions:
        return None
    return f"not an image file (.{suffix})" if suffix else "not an image file (no extension)"


# ---------------------------------------------------------------------------------------------
# 1. Safe zip extraction
# ---------------------------------------------------------------------------------------------


@dataclass
class ExtractReport:
    """What ``safe_extract`` did: files written (relative POSIX paths under ``dest``), entries skipped."""

    dest: Path
    extracted: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    total_bytes: int = 0

    def summary(self) -> str:
        text = f"Unpacked {len(self.extracted)} image files ({_fmt_bytes(self.total_bytes)})"
        return text + (f"; skipped {len(self.skipped)} entries: {_tally(self.skipped)}." if self.skipped else ".")

    def to_dict(self) -> dict[str, Any]:
        return {"extracted": self.extracted, "skipped": [list(s) for s in self.skipped],
                "total_bytes": self.total_bytes}

    @classmethod
    def from_dict(cls, d: dict[str, Any], dest: Path) -> ExtractReport:
        return cls(Path(dest), list(d["extracted"]), [Skipped(*s) for s in d["skipped"]], int(d["total_bytes"]))


def _name_problem(name: str) -> str | None:
    """Why an entry name is unsafe to write anywhere, or ``None``. Checked before anything else."""
    if "\x00" in name or any(ord(c) < 32 or c == "\x7f" for c in name):
        return "unusual characters in the name"
    if "\\" in name:
        return "backslash in path (a Windows path, unsafe to unpack)"
    if re.match(r"^[A-Za-z]:", name):
        return "drive letter in path (unsafe to unpack)"
    if name.startswith("/"):
        return "absolute path (unsafe to unpack)"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "path traversal (.. in path, unsafe to unpack)"
    if any(p in ("", ".") for p in parts):
        return "unusual path (empty or '.' folder name)"
    if any(len(p.encode("utf-8", "surrogatepass")) > 255 for p in parts):
        return "name too long"
    return None


def _entry_problem(info: zipfile.ZipInfo, extensions: Sequence[str], max_file_bytes: int) -> str | None:
    """Why this entry is skipped, or ``None`` to extract it. Order: safety, type, junk, content."""
    name = info.filename
    problem = _name_problem(name)
    if problem:
        return problem
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link (never unpacked)"
    if info.is_dir() or stat.S_ISDIR(mode):
        return "directory"
    if mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
        return "not a regular file"
    if any(_is_junk(p) for p in name.split("/")):
        return "hidden or system file"
    problem = _extension_ok(name, extensions)
    if problem:
        return problem
    if info.flag_bits & 0x1:
        return "encrypted (password-protected zips are not supported)"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        return f"unsupported compression method ({info.compress_type})"
    if info.file_size == 0:
        return "empty file"
    if info.file_size > max_file_bytes:
        return f"larger than the {_fmt_bytes(max_file_bytes)} per-file limit ({_fmt_bytes(info.file_size)})"
    return None


def _precheck_directory(fp: BinaryIO, label: str, max_entries: int) -> None:
    """Refuse huge central directories from the end record, before ``zipfile`` parses them into memory.

    Uses ``zipfile._EndRecData`` (private, but unchanged since Python 2; skipped if it ever goes):
    index 4 is the entry count, 5 the directory size in bytes. The size bound matters because
    ``zipfile`` parses the whole directory whatever count the end record claims.
    """
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # pragma: no cover - future Python
        return
    try:
        rec = end_record(fp)
    except Exception:  # noqa: BLE001 - untrusted input
        rec = None
    finally:
        fp.seek(0)
    if rec is None:
        raise UserDataError(f"{label} is not a readable zip archive.")
    n_entries, cd_size = int(rec[4]), int(rec[5])
    if n_entries > max_entries or cd_size > max_entries * _CD_BYTES_PER_ENTRY:
        shown = f"{n_entries:,} entries" if n_entries > max_entries else f"a {_fmt_bytes(cd_size)} file list"
        raise UserDataError(f"{label} has {shown}, more than the limit of {max_entries:,} files.")


def _check_bombs(infos: list[zipfile.ZipInfo], label: str, max_ratio: float) -> None:
    """Refuse the archive on any sign of a zip bomb: a high ratio (per entry or overall) or overlapping entries."""
    files = [i for i in infos if not i.is_dir()]
    for info in files:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > max_ratio:
            raise UserDataError(
                f"{label} was refused: '{info.filename}' expands {ratio:,.0f}:1 (more than {max_ratio:g}:1), "
                "which only zip bombs and blank files do; save images as PNG or JPEG and zip them again."
            )
    declared = sum(i.file_size for i in files)
    compressed = sum(i.compress_size for i in files)
    if declared > _RATIO_FLOOR and declared / max(compressed, 1) > max_ratio:
        raise UserDataError(
            f"{label} was refused: it expands {declared / max(compressed, 1):,.0f}:1 overall "
            f"(more than {max_ratio:g}:1), which only zip bombs do."
        )
    by_offset = sorted(files, key=lambda i: i.header_offset)
    for a, b in zip(by_offset, by_offset[1:]):
        if a.header_offset + a.compress_size > b.header_offset:
            raise UserDataError(f"{label} was refused: its entries overlap ('{a.filename}', '{b.filename}'), "
                                "a trick of crafted zip bombs.")


class _Abort(Exception):
    """Stops extraction; the archive is refused with this message after a rollback."""


class _SkipEntry(Exception):
    """Skips one entry; the message is the reason."""


def _copy_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fd: int, limit: int, budget: int) -> int:
    """Stream one entry into ``fd``; never more than ``limit`` bytes (its declared size) or ``budget``.

    Returns the bytes written. Read errors skip the entry; a stream longer than declared, a full
    disk or an exhausted total budget abort the whole extraction.
    """
    written = 0
    with os.fdopen(fd, "wb") as dst:
        try:
            src = zf.open(info)
        except Exception as e:  # noqa: BLE001 - bad local header, unsupported method, ...
            raise _SkipEntry(f"damaged in the archive ({type(e).__name__})") from None
        with src:
            while True:
                try:
                    chunk = src.read(_CHUNK)
                except Exception as e:  # noqa: BLE001 - zlib/bz2/lzma errors, bad CRC, truncation
                    raise _SkipEntry(f"damaged in the archive ({type(e).__name__})") from None
                if not chunk:
                    return written
                written += len(chunk)
                if written > limit:
                    raise _Abort(f"'{info.filename}' unpacks to more than the {info.file_size:,} bytes it declares "
                                 "(a damaged or crafted archive).")
                if written > budget:
                    raise _Abort(f"the archive unpacks to more than the {_fmt_bytes(budget)} limit.")
                try:
                    dst.write(chunk)
                except OSError as e:
                    if e.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise _Abort("there is not enough disk space to unpack it.") from None
                    raise _SkipEntry(f"could not be written ({e.strerror or type(e).__name__})") from None


def safe_extract(
    zip_path: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_file_bytes: int = DEFAULT_MAX_BYTES,
    extensions: Sequence[str] = SUPPORTED_TYPES,
) -> ExtractReport:
    """Unpack the image files of an untrusted zip into ``dest``, which must be new or empty.

    Before anything is written, the archive is refused (``UserDataError``) when it lists more than
    ``max_entries`` entries, when the entries to unpack declare more than ``max_total_bytes``,
    when any entry above 1 MB or the whole archive expands more than ``max_ratio``:1, or when
    entries overlap (the trick of non-recursive zip bombs). Declared sizes can lie, so the copy
    is streamed and capped at each entry's declared size and at ``max_total_bytes``; exceeding
    either rolls back everything written and refuses the archive.

    Skipped with a reason (see ``ExtractReport.skipped``): path traversal, absolute paths, drive
    letters, backslashes, links and other special files, directories, hidden/system junk
    (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``), non-image extensions, encrypted or empty
    entries, entries over ``max_file_bytes`` (``load_image`` would refuse them anyway), duplicate
    names and entries that fail to decompress. Every target is resolved and verified to be inside
    ``dest`` and opened with ``O_EXCL | O_NOFOLLOW``, so nothing is written anywhere else.
    """
    zip_path = Path(zip_path)
    label = f"'{zip_path.name}'"
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserDataError(f"The folder '{dest}' to unpack {label} into is not empty.")
    try:
        fp = open(zip_path, "rb")  # closed by the with below
    except OSError as e:
        raise UserDataError(f"{label} could not be opened ({e.strerror or 'unreadable file'}).") from None
    with fp:
        _precheck_directory(fp, label, max_entries)
        try:
            zf = zipfile.ZipFile(fp)
        except Exception:  # noqa: BLE001 - BadZipFile, struct errors, bad UTF-8 names: untrusted input
            raise UserDataError(f"{label} is not a readable zip archive.") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > max_entries:
                raise UserDataError(f"{label} has {len(infos):,} entries, more than the limit of {max_entries:,}.")
            _check_bombs(infos, label, max_ratio)
            report = ExtractReport(dest)
            plan: list[zipfile.ZipInfo] = []
            seen: set[str] = set()
            for info in infos:
                problem = _entry_problem(info, extensions, max_file_bytes)
                if problem is None and info.filename in seen:
                    problem = "duplicate name"
                if problem:
                    report.skipped.append(Skipped(info.filename, problem))
                else:
                    seen.add(info.filename)
                    plan.append(info)
            declared = sum(i.file_size for i in plan)
            if declared > max_total_bytes:
                raise UserDataError(f"{label} would unpack to {_fmt_bytes(declared)}, more than the "
                                    f"{_fmt_bytes(max_total_bytes)} limit.")
            _extract_plan(zf, plan, report, label, max_total_bytes)
    return report


def _extract_plan(
    zf: zipfile.ZipFile, plan: list[zipfile.ZipInfo], report: ExtractReport, label: str, max_total_bytes: int
) -> None:
    """Write the planned entries; on ``_Abort`` remove everything written so far and refuse the archive."""
    dest_existed = report.dest.exists()
    report.dest.mkdir(parents=True, exist_ok=True)
    root = report.dest.resolve()
    created_dirs: list[Path] = []
    written_files: list[Path] = []
    try:
        for info in plan:
            parts = info.filename.split("/")
            target = root.joinpath(*parts)
            try:
                if os.path.commonpath([root, target.resolve()]) != str(root):
                    raise _SkipEntry("outside the destination folder")
                for parent in reversed(target.parents):
                    if parent == root or root not in parent.parents:
                        continue
                    if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
                        raise _SkipEntry("folder name clashes with a file")
                    if not parent.exists():
                        parent.mkdir()
                        created_dirs.append(parent)
                try:
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
                except FileExistsError:
                    raise _SkipEntry("duplicate name") from None
                except OSError as e:
                    raise _SkipEntry(f"could not be written ({e.strerror or type(e).__name__})") from None
                written_files.append(target)
                try:
                    report.total_bytes += _copy_entry(zf, info, fd, info.file_size,
                                                      max_total_bytes - report.total_bytes)
                except _SkipEntry:
                    target.unlink(missing_ok=True)
                    written_files.pop()
                    raise
            except _SkipEntry as e:
                report.skipped.append(Skipped(info.filename, str(e)))
                continue
            report.extracted.append(info.filename)
    except _Abort as e:
        for path in written_files:
            path.unlink(missing_ok=True)
        for d in reversed(created_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()
        if not dest_existed:
            with contextlib.suppress(OSError):
                report.dest.rmdir()
        raise UserDataError(f"{label} was refused: {e}") from None


# ---------------------------------------------------------------------------------------------
# 2. Folder scan
# ---------------------------------------------------------------------------------------------


@dataclass
class FolderReport:
    """What ``scan_folder`` found. ``ok`` is False when ``errors`` is not empty (no usable data set).

    ``base`` is where the layout starts: ``root``, or the single folder wrapping it (zips of a
    folder). ``layout`` is ``"classes"`` (``base/<class>/*``; the test split is held out by
    ``stratified_split``) or ``"train/test"``. Sample paths are relative to ``base``; skipped
    names are relative to ``root``.
    """

    root: Path
    base: Path
    layout: str
    classes: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        """``{split: {class: n_images}}`` with split ``"train"``/``"test"``, or ``"all"`` without a split."""
        out: dict[str, dict[str, int]] = {}
        for s in self.samples:
            per_class = out.setdefault(s.split, {c: 0 for c in self.classes})
            per_class[self.classes[s.label]] += 1
        return out

    def summary(self) -> str:
        splits = self.counts()
        parts = [f"{len(self.samples)} images in {len(self.classes)} classes"]
        if self.layout == "train/test":
            parts.append(f"{sum(splits.get('train', {}).values())} train / {sum(splits.get('test', {}).values())} test")
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} files: {_tally(self.skipped)}")
        return "; ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base.relative_to(self.root).as_posix(),
            "layout": self.layout,
            "classes": self.classes,
            "samples": [list(s) for s in self.samples],
            "skipped": [list(s) for s in self.skipped],
            "warnings": self.warnings,
            "errors": self.errors,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], root: Path) -> FolderReport:
        root = Path(root)
        return cls(root, root / d["base"], d["layout"], list(d["classes"]), [Sample(*s) for s in d["samples"]],
                   [Skipped(*s) for s in d["skipped"]], list(d["warnings"]), list(d["errors"]))


def _subdirs(path: Path) -> list[Path]:
    """Visible, real (not linked) sub-folders, sorted by name."""
    try:
        entries = sorted(path.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    return [p for p in entries if not _is_junk(p.name) and p.is_dir() and not p.is_symlink()]


def _unwrap(root: Path) -> Path:
    """Descend through single folders that wrap the data (``pets.zip`` -> ``pets/cat/...``), up to 3 levels.

    A folder is a wrapper when it is the only visible entry besides junk and has sub-folders
    itself (a lone folder of images is a class, not a wrapper).
    """
    base = root
    for _ in range(3):
        try:
            visible = [p for p in base.iterdir() if not _is_junk(p.name)]
        except OSError:
            break
        if len(visible) != 1 or not visible[0].is_dir() or visible[0].is_symlink():
            break
        if visible[0].name.lower() in _SPLIT_NAMES["train"] + _SPLIT_NAMES["test"] or not _subdirs(visible[0]):
            break
        base = visible[0]
    return base


def _files_under(folder: Path, root: Path, skipped: list[Skipped]) -> list[Path]:
    """All visible files below ``folder`` (recursively, like ImageFolder), links skipped, sorted."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if _is_junk(d):
                continue
            if (here / d).is_symlink():
                skipped.append(Skipped((here / d).relative_to(root).as_posix(), "symbolic link (not followed)"))
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            path = here / f
            if _is_junk(f):
                continue
            if path.is_symlink():
                skipped.append(Skipped(path.relative_to(root).as_posix(), "symbolic link (not followed)"))
                continue
            found.append(path)
    return found


def scan_folder(
    root: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    extensions: Sequence[str] = SUPPORTED_TYPES,
    progress: Callable[[int, int], None] | None = None,
) -> FolderReport:
    """Find the classes and images under ``root`` and check every image; see ``FolderReport``.

    Layouts: ``root/<class>/*`` or ``root/train/<class>/*`` + ``root/test/<class>/*`` (``val``
    and ``validation`` stand in for ``test``; ``train`` alone is used as the whole pool), each
    possibly inside one wrapping folder. Files in class folders are searched recursively, like
    ImageFolder. Every file with an image extension is decoded with ``load_image`` under
    ``max_bytes``/``max_pixels`` (the upload limits), so the data set never fails mid-training;
    failures are skipped with ``load_image``'s one-sentence reason. Hidden files and OS junk are
    ignored silently; links are never followed. ``progress(done, total)`` is called after each
    decode (for a progress bar). Raises ``UserDataError`` only when ``root`` is not a folder;
    everything else is reported.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserDataError(f"Folder '{root}' does not exist.")
    base = _unwrap(root)
    report = FolderReport(root, base, "classes")
    skipped = report.skipped

    def rel(p: Path) -> str:
        return p.relative_to(root).as_posix()

    subdirs = _subdirs(base)
    by_name = {p.name.lower(): p for p in subdirs}
    train = next((by_name[n] for n in _SPLIT_NAMES["train"] if n in by_name), None)
    test = next((by_name[n] for n in _SPLIT_NAMES["test"] if n in by_name), None)
    if train is not None:
        pools = {"train": train, "test": test} if test is not None else {"all": train}
        report.layout = "train/test" if test is not None else "classes"
        for p in subdirs:
            if p not in (train, test):
                skipped.append(Skipped(rel(p) + "/", "folder outside train/ and test/ (ignored)"))
    elif test is not None:
        report.errors.append(f"'{rel(test)}/' has no 'train/' folder next to it: add one with the training images, "
                             "or put the class folders at the top level.")
        return report
    else:
        pools = {"all": base}

    candidates: list[tuple[str, str, Path]] = []  # (split, class, file)
    for split, pool in pools.items():
        for p in sorted(pool.iterdir(), key=lambda p: p.name):
            if _is_junk(p.name) or (p.is_dir() and not p.is_symlink()):
                continue
            skipped.append(Skipped(rel(p), "symbolic link (not followed)" if p.is_symlink()
                                   else "not inside a class folder"))
        for class_dir in _subdirs(pool):
            for path in _files_under(class_dir, root, skipped):
                problem = _extension_ok(path.name, extensions)
                if problem:
                    skipped.append(Skipped(rel(path), problem))
                else:
                    candidates.append((split, class_dir.name, path))

    accepted: list[tuple[str, str, Path]] = []
    for done, (split, cls, path) in enumerate(candidates, 1):
        try:
            load_image(path, max_bytes=max_bytes, max_pixels=max_pixels)
        except ImageError as e:
            skipped.append(Skipped(rel(path), str(e)))
        except Exception:  # noqa: BLE001 - untrusted files: never let one stop the scan
            skipped.append(Skipped(rel(path), "not a readable image"))
        else:
            accepted.append((split, cls, path))
        if progress is not None:
            progress(done, len(candidates))

    found = {split: sorted({cls for s, cls, _ in accepted if s == split}) for split in pools}
    train_split = "train" if report.layout == "train/test" else "all"
    report.classes = found[train_split]
    if report.layout == "train/test":
        only_train = sorted(set(found["train"]) - set(found["test"]))
        only_test = sorted(set(found["test"]) - set(found["train"]))
        if only_train or only_test:
            detail = "; ".join(f"only in {where}/: {', '.join(names)}"
                               for where, names in (("train", only_train), ("test", only_test)) if names)
            report.warnings.append(f"Class folders differ between train/ and test/ ({detail}); "
                                   "test images of classes without training images are left out.")
    index = {c: k for k, c in enumerate(report.classes)}
    for split, cls, path in accepted:
        if cls not in index:
            skipped.append(Skipped(rel(path), f"class '{cls}' has no training images"))
            continue
        report.samples.append(Sample(path.relative_to(base).as_posix(), index[cls], split))
    report.samples.sort(key=lambda s: (s.split, s.label, s.path))
    for split, pool in pools.items():
        for class_dir in _subdirs(pool):
            if class_dir.name not in found[split]:
                report.warnings.append(f"Folder '{rel(class_dir)}/' has no readable images and is ignored.")

    where = f"'{rel(base)}'" if base != root else "the folder"
    if not report.classes:
        report.errors.append(f"No class folders with images found in {where} "
                             "(expected <class name>/<image files>, or train/ and test/ folders of those).")
    elif len(report.classes) < 2:
        report.errors.append(f"Only one class ('{report.classes[0]}') was found in {where}: "
                             "at least 2 class folders with images are needed.")
    elif report.layout == "train/test" and not any(s.split == "test" for s in report.samples):
        report.errors.append(f"'{rel(pools['test'])}/' has no readable images of the training classes.")
    if report.classes:
        totals = Counter(report.classes[s.label] for s in report.samples)
        tiny = [f"{c} ({totals[c]})" for c in report.classes if totals[c] < _TINY_CLASS]
        if tiny:
            report.warnings.append(f"Classes with fewer than {_TINY_CLASS} images: {', '.join(tiny)}; "
                                   "accuracy on them will be noisy.")
        big, small = max(report.classes, key=totals.__getitem__), min(report.classes, key=totals.__getitem__)
        if totals[small] and totals[big] / totals[small] > _UNBALANCED:
            report.warnings.append(f"Classes are unbalanced: '{big}' has {totals[big]} images, '{small}' only "
                                   f"{totals[small]} (more than {_UNBALANCED:g}x); accuracy will favour the larger "
                                   "classes.")
    return report


# ---------------------------------------------------------------------------------------------
# 3. Stratified split
# ---------------------------------------------------------------------------------------------


def stratified_split(
    targets: Sequence[int], test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[int], list[int]]:
    """Split indices ``0..len(targets)-1`` into ``(train_idx, test_idx)``, class by class.

    Each class with ``n >= 2`` images puts ``round(n * test_fraction)`` of them in the test
    split, at least 1 and at most ``n - 1`` (a class always keeps a training image); a class with
    one image stays in train. The choice within a class comes from its own random stream
    ``default_rng([seed, label])``, so adding a class or an image elsewhere leaves a class's split
    unchanged. Both lists are sorted; ``seed`` must be >= 0.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, not {test_fraction}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, not {seed}")
    by_class: dict[int, list[int]] = {}
    for i, t in enumerate(targets):
        by_class.setdefault(int(t), []).append(i)
    train: list[int] = []
    test: list[int] = []
    for label, members in sorted(by_class.items()):
        n = len(members)
        n_test = 0 if n < 2 else min(n - 1, max(1, round(n * test_fraction)))
        order = np.random.default_rng([seed, label & 0xFFFFFFFF]).permutation(n)
        test.extend(members[j] for j in order[:n_test])
        train.extend(members[j] for j in order[n_test:])
    return sorted(train), sorted(test)


# ---------------------------------------------------------------------------------------------
# 4. Data set
# ---------------------------------------------------------------------------------------------


def _split_name(split: str) -> str:
    from resnet_viz.data.datasets import _normalise_split  # the same rule as every other data set

    return _normalise_split(split)


class UserImageFolder(torch.utils.data.Dataset):
    """The user's images for one split, like torchvision's ``ImageFolder``.

    ``source`` is a folder (scanned with ``scan_folder``) or a ``FolderReport`` already made.
    Only files the scan accepted are served, opened with ``load_image`` (same limits as
    uploads, always RGB). With a ``train/test`` layout the split is the folder; otherwise the
    test split is held out by ``stratified_split(targets, test_fraction, seed)`` and train is
    the rest, so both splits built with the same arguments never share an image. Raises
    ``UserDataError`` with the scan's first error when the folder is not a usable data set.
    Attributes: ``classes``, ``class_to_idx``, ``samples``/``imgs`` (``[(path, label)]``),
    ``targets``, ``root``, ``split``, ``report``.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | FolderReport,
        split: str = "train",
        transform: Callable[[Image.Image], Any] | None = None,
        *,
        test_fraction: float = 0.2,
        seed: int = 0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        report = source if isinstance(source, FolderReport) else scan_folder(
            source, max_bytes=max_bytes, max_pixels=max_pixels)
        if report.errors:
            raise UserDataError(report.errors[0])
        self.split = _split_name(split)
        if report.layout == "train/test":
            chosen = [s for s in report.samples if s.split == self.split]
        else:
            train_idx, test_idx = stratified_split([s.label for s in report.samples], test_fraction, seed)
            chosen = [report.samples[i] for i in (train_idx if self.split == "train" else test_idx)]
        self.report, self.transform = report, transform
        self.max_bytes, self.max_pixels = max_bytes, max_pixels
        self.root = str(report.base)
        self.classes = list(report.classes)
        self.class_to_idx = {c: k for k, c in enumerate(self.classes)}
        self.samples = [(str(report.base / s.path), s.label) for s in chosen]
        self.imgs = self.samples
        self.targets = [label for _, label in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        path, label = self.samples[i]
        img = load_image(path, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        return (self.transform(img) if self.transform is not None else img), label

    def __repr__(self) -> str:
        return f"UserImageFolder({self.root!r}, split={self.split!r}, {len(self)} images, {len(self.classes)} classes)"


# ---------------------------------------------------------------------------------------------
# 5. Zips in the cache (get_dataset("zip:FILE"))
# ---------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Exclusive ``flock`` on ``lock_path`` (the file stays; the lock dies with the process)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read_cached(folder: Path) -> tuple[ExtractReport, FolderReport] | None:
    try:
        d = json.loads((folder / "report.json").read_text())
        if d.get("version") != _CACHE_VERSION:
            return None
        files = folder / "files"
        return ExtractReport.from_dict(d["extract"], files), FolderReport.from_dict(d["scan"], files)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def userdata_root() -> Path:
    """Where zips are unpacked: ``$RESNET_VIZ_USERDATA`` (the app points it at a session's own folder, for
    the session's training jobs too), else ``<cache>/userdata``."""
    env = os.environ.get("RESNET_VIZ_USERDATA")
    return Path(env) if env else cache_dir() / "userdata"


def prepare_zip(
    zip_path: str | os.PathLike[str],
    *,
    cache_root: str | os.PathLike[str] | None = None,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    **limits: Any,
) -> tuple[ExtractReport, FolderReport]:
    """Unpack and scan ``zip_path`` once into ``<cache_root>/<sha256>/``; later calls read the result.

    ``cache_root`` defaults to ``userdata_root()``. The folder is keyed by the zip's
    content, so a renamed or re-uploaded copy reuses it. Work happens in a temporary folder under
    an exclusive lock (``<sha256>.lock``) and is renamed into place with ``report.json`` (both
    reports) inside, so other processes see either nothing or a finished folder. A refused zip
    leaves nothing behind and raises ``UserDataError``; a zip that unpacks but is not a usable data
    set is cached with its errors in the ``FolderReport``. ``limits`` go to ``safe_extract``.
    """
    zip_path = Path(zip_path).expanduser()
    if not zip_path.is_file():
        raise UserDataError(f"Zip file '{zip_path}' does not exist.")
    size = zip_path.stat().st_size
    if size > max_total_bytes:
        raise UserDataError(f"'{zip_path.name}' is {_fmt_bytes(size)}, more than the {_fmt_bytes(max_total_bytes)} "
                            "limit.")
    try:
        sha = _sha256(zip_path)
    except OSError as e:
        raise UserDataError(f"'{zip_path.name}' could not be read ({e.strerror or 'unreadable file'}).") from None
    root = Path(cache_root) if cache_root is not None else userdata_root()
    final = root / sha
    cached = _read_cached(final)
    if cached is not None:
        return cached
    with _locked(root / f"{sha}.lock"):
        cached = _read_cached(final)  # another process may have finished while we waited
        if cached is not None:
            return cached
        if final.exists():  # left by an older version of the app
            shutil.rmtree(final)
        work = root / f".{sha}.tmp-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            extract = safe_extract(zip_path, work / "files", max_total_bytes=max_total_bytes, **limits)
            scan = scan_folder(work / "files")
            cached_reports = {"version": _CACHE_VERSION, "zip": zip_path.name,
                              "extract": extract.to_dict(), "scan": scan.to_dict()}
            (work / "report.json").write_text(json.dumps(cached_reports))
            os.rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    cached = _read_cached(final)
    if cached is None:  # pragma: no cover - only if the folder vanished right after the rename
        raise UserDataError(f"'{zip_path.name}' was unpacked but its cache folder could not be read.")
    return cached


def zip_dataset(
    zip_path: str | os.PathLike[str],
    split: str = "train",
    transform: Callable[[Image.Image], Any] | None = None,
    *,
    cache_root: str | os.PathLike[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> UserImageFolder:
    """``UserImageFolder`` over a zip, unpacked and scanned once (``prepare_zip``); ``UserDataError`` if unusable."""
    _, scan = prepare_zip(zip_path, cache_root=cache_root)
    return UserImageFolder(scan, split, transform, test_fraction=test_fraction, seed=seed)
