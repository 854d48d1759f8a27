"""Untrusted zips of the user's images: unpacked safely, then scanned once into a per-content cache.

1. ``safe_extract`` -- unpacks an untrusted zip. Every limit is checked on the central directory
   *before* anything is written (entry count, total size, compression ratio, overlapping entries:
   zip bombs are refused as a whole); entries that are merely unwanted (path traversal, absolute
   paths, links, ``__MACOSX`` junk, non-images, ...) are skipped one by one with a reason. Bytes
   actually decompressed are capped too, because the sizes in a zip's directory can lie.
2. ``prepare_zip`` / ``zip_dataset`` -- what ``get_dataset("zip:FILE")`` uses: the zip is unpacked
   and scanned (``folders.scan_folder``) once into ``<cache>/userdata/<sha256 of the zip>/`` under a
   lock file, so two processes (the train and test split, a page and a training job) never unpack it twice.

Problems with the archive raise ``folders.UserDataError`` with one friendly sentence.
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from resnet_viz.data.folders import (
    FolderReport,
    Skipped,
    UserDataError,
    UserImageFolder,
    extension_problem,
    fmt_bytes,
    is_junk,
    scan_folder,
    tally,
)
from resnet_viz.data.images import DEFAULT_MAX_BYTES, SUPPORTED_TYPES
from resnet_viz.env import cache_dir
from resnet_viz.i18n import Msg, from_data, to_data

__all__ = ["DEFAULT_MAX_ENTRIES", "DEFAULT_MAX_RATIO", "DEFAULT_MAX_TOTAL_BYTES", "ExtractReport", "prepare_zip",
           "safe_extract", "userdata_root", "zip_dataset"]

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
_CACHE_VERSION = 2  # bump when the cached scan format or the scanning rules change (2: texts kept as templates)


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
        text = f"Unpacked {len(self.extracted)} image files ({fmt_bytes(self.total_bytes)})"
        return text + (f"; skipped {len(self.skipped)} entries: {tally(self.skipped)}." if self.skipped else ".")

    def to_dict(self) -> dict[str, Any]:
        return {"extracted": self.extracted, "skipped": [list(s) for s in self.skipped],
                "total_bytes": self.total_bytes}

    @classmethod
    def from_dict(cls, d: dict[str, Any], dest: Path) -> ExtractReport:
        return cls(Path(dest), list(d["extracted"]), [Skipped(*s) for s in d["skipped"]], int(d["total_bytes"]))


def _name_problem(name: str) -> str | None:
    """Why an entry name is unsafe to write anywhere, or ``None``. Checked before anything else."""
    if "\x00" in name or any(ord(c) < 32 or c == "\x7f" for c in name):
        return Msg("unusual characters in the name")
    if "\\" in name:
        return Msg("backslash in path (a Windows path, unsafe to unpack)")
    if re.match(r"^[A-Za-z]:", name):
        return Msg("drive letter in path (unsafe to unpack)")
    if name.startswith("/"):
        return Msg("absolute path (unsafe to unpack)")
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return Msg("path traversal (.. in path, unsafe to unpack)")
    if any(p in ("", ".") for p in parts):
        return Msg("unusual path (empty or '.' folder name)")
    if any(len(p.encode("utf-8", "surrogatepass")) > 255 for p in parts):
        return Msg("name too long")
    return None


def _entry_problem(info: zipfile.ZipInfo, extensions: Sequence[str], max_file_bytes: int) -> str | None:
    """Why this entry is skipped, or ``None`` to extract it. Order: safety, type, junk, content."""
    name = info.filename
    problem = _name_problem(name)
    if problem:
        return problem
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return Msg("symbolic link (never unpacked)")
    if info.is_dir() or stat.S_ISDIR(mode):
        # TRANSLATORS: why a zip entry was not unpacked: it is a folder
        return Msg("directory")
    if mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
        return Msg("not a regular file")
    if any(is_junk(p) for p in name.split("/")):
        return Msg("hidden or system file")
    problem = extension_problem(name, extensions)
    if problem:
        return problem
    if info.flag_bits & 0x1:
        return Msg("encrypted (password-protected zips are not supported)")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        return Msg("unsupported compression method ({method})", method=info.compress_type)
    if info.file_size == 0:
        return Msg("empty file")
    if info.file_size > max_file_bytes:
        return Msg("larger than the {limit} per-file limit ({size})", limit=fmt_bytes(max_file_bytes),
                   size=fmt_bytes(info.file_size))
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
        raise UserDataError(Msg("{zip} is not a readable zip archive.", zip=label))
    n_entries, cd_size = int(rec[4]), int(rec[5])
    if n_entries > max_entries:
        raise UserDataError(Msg("{zip} has {n:,} entries, more than the limit of {limit:,} files.", zip=label,
                                n=n_entries, limit=max_entries))
    if cd_size > max_entries * _CD_BYTES_PER_ENTRY:
        raise UserDataError(Msg("{zip} has a {size} file list, more than the limit of {limit:,} files.", zip=label,
                                size=fmt_bytes(cd_size), limit=max_entries))


def _check_bombs(infos: list[zipfile.ZipInfo], label: str, max_ratio: float) -> None:
    """Refuse the archive on any sign of a zip bomb: a high ratio (per entry or overall) or overlapping entries."""
    files = [i for i in infos if not i.is_dir()]
    for info in files:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > max_ratio:
            raise UserDataError(Msg(
                "{zip} was refused: '{name}' expands {ratio:,.0f}:1 (more than {max_ratio:g}:1), which only zip bombs "
                "and blank files do; save images as PNG or JPEG and zip them again.", zip=label, name=info.filename,
                ratio=ratio, max_ratio=max_ratio))
    declared = sum(i.file_size for i in files)
    compressed = sum(i.compress_size for i in files)
    if declared > _RATIO_FLOOR and declared / max(compressed, 1) > max_ratio:
        raise UserDataError(Msg("{zip} was refused: it expands {ratio:,.0f}:1 overall (more than {max_ratio:g}:1), "
                                "which only zip bombs do.", zip=label, ratio=declared / max(compressed, 1),
                                max_ratio=max_ratio))
    by_offset = sorted(files, key=lambda i: i.header_offset)
    for a, b in zip(by_offset, by_offset[1:]):
        if a.header_offset + a.compress_size > b.header_offset:
            raise UserDataError(Msg("{zip} was refused: its entries overlap ('{a}', '{b}'), a trick of crafted zip "
                                    "bombs.", zip=label, a=a.filename, b=b.filename))


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
            raise _SkipEntry(Msg("damaged in the archive ({error})", error=type(e).__name__)) from None
        with src:
            while True:
                try:
                    chunk = src.read(_CHUNK)
                except Exception as e:  # noqa: BLE001 - zlib/bz2/lzma errors, bad CRC, truncation
                    raise _SkipEntry(Msg("damaged in the archive ({error})", error=type(e).__name__)) from None
                if not chunk:
                    return written
                written += len(chunk)
                if written > limit:
                    raise _Abort(Msg("'{name}' unpacks to more than the {size:,} bytes it declares (a damaged or "
                                     "crafted archive).", name=info.filename, size=info.file_size))
                if written > budget:
                    raise _Abort(Msg("the archive unpacks to more than the {limit} limit.", limit=fmt_bytes(budget)))
                try:
                    dst.write(chunk)
                except OSError as e:
                    if e.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise _Abort(Msg("there is not enough disk space to unpack it.")) from None
                    raise _SkipEntry(Msg("could not be written ({error})", error=e.strerror or type(e).__name__)) \
                        from None


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
        raise UserDataError(Msg("The folder '{folder}' to unpack {zip} into is not empty.", folder=str(dest),
                                zip=label))
    try:
        fp = open(zip_path, "rb")  # closed by the with below
    except OSError as e:
        raise UserDataError(Msg("{zip} could not be opened ({error}).", zip=label,
                                error=e.strerror or Msg("unreadable file"))) from None
    with fp:
        _precheck_directory(fp, label, max_entries)
        try:
            zf = zipfile.ZipFile(fp)
        except Exception:  # noqa: BLE001 - BadZipFile, struct errors, bad UTF-8 names: untrusted input
            raise UserDataError(Msg("{zip} is not a readable zip archive.", zip=label)) from None
        with zf:
            infos = zf.infolist()
            if len(infos) > max_entries:
                raise UserDataError(Msg("{zip} has {n:,} entries, more than the limit of {limit:,}.", zip=label,
                                        n=len(infos), limit=max_entries))
            _check_bombs(infos, label, max_ratio)
            report = ExtractReport(dest)
            plan: list[zipfile.ZipInfo] = []
            seen: set[str] = set()
            for info in infos:
                problem = _entry_problem(info, extensions, max_file_bytes)
                if problem is None and info.filename in seen:
                    problem = Msg("duplicate name")
                if problem:
                    report.skipped.append(Skipped(info.filename, problem))
                else:
                    seen.add(info.filename)
                    plan.append(info)
            declared = sum(i.file_size for i in plan)
            if declared > max_total_bytes:
                raise UserDataError(Msg("{zip} would unpack to {size}, more than the {limit} limit.", zip=label,
                                        size=fmt_bytes(declared), limit=fmt_bytes(max_total_bytes)))
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
                    raise _SkipEntry(Msg("outside the destination folder"))
                for parent in reversed(target.parents):
                    if parent == root or root not in parent.parents:
                        continue
                    if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
                        raise _SkipEntry(Msg("folder name clashes with a file"))
                    if not parent.exists():
                        parent.mkdir()
                        created_dirs.append(parent)
                try:
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
                except FileExistsError:
                    raise _SkipEntry(Msg("duplicate name")) from None
                except OSError as e:
                    raise _SkipEntry(Msg("could not be written ({error})", error=e.strerror or type(e).__name__)) \
                        from None
                written_files.append(target)
                try:
                    report.total_bytes += _copy_entry(zf, info, fd, info.file_size,
                                                      max_total_bytes - report.total_bytes)
                except _SkipEntry:
                    target.unlink(missing_ok=True)
                    written_files.pop()
                    raise
            except _SkipEntry as e:
                report.skipped.append(Skipped(info.filename, e.args[0]))
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
        raise UserDataError(Msg("{zip} was refused: {reason}", zip=label, reason=e.args[0])) from None


# ---------------------------------------------------------------------------------------------
# 2. Zips in the cache (get_dataset("zip:FILE"))
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
        d = from_data(json.loads((folder / "report.json").read_text()))
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
        raise UserDataError(Msg("Zip file '{path}' does not exist.", path=str(zip_path)))
    size = zip_path.stat().st_size
    if size > max_total_bytes:
        raise UserDataError(Msg("'{name}' is {size}, more than the {limit} limit.", name=zip_path.name,
                                size=fmt_bytes(size), limit=fmt_bytes(max_total_bytes)))
    try:
        sha = _sha256(zip_path)
    except OSError as e:
        raise UserDataError(Msg("'{name}' could not be read ({error}).", name=zip_path.name,
                                error=e.strerror or Msg("unreadable file"))) from None
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
            (work / "report.json").write_text(json.dumps(to_data(cached_reports)))
            os.rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    cached = _read_cached(final)
    if cached is None:  # pragma: no cover - only if the folder vanished right after the rename
        raise UserDataError(Msg("'{name}' was unpacked but its cache folder could not be read.", name=zip_path.name))
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
