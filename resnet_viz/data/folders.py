"""The user's own images in a folder of class sub-folders: checked, split and served like ImageFolder.

Three parts, readable top to bottom:

1. ``scan_folder`` -- finds the layout (``<class>/*``, or ``train/<class>/*`` + ``test/<class>/*``,
   possibly wrapped in one top-level folder), decodes every image with ``images.load_image`` (same
   limits as an upload), and reports counts per class and split, skipped files with reasons,
   warnings (tiny or unbalanced classes, train/test class mismatch) and errors (fewer than 2 classes).
2. ``stratified_split`` -- a seeded, stratified hold-out split for folders without ``test/``.
3. ``UserImageFolder`` -- a torch ``Dataset`` that behaves like torchvision's ``ImageFolder``
   (``.classes``, ``.targets``, ``.samples``, items ``(transform(RGB image), label)``) over the
   files ``scan_folder`` accepted.

The names shared with zip extraction (``uploads``) live here too: ``UserDataError`` (a ``ValueError``
with one friendly sentence), ``Skipped``, the junk and extension rules, and ``normalise_split``, the
split-name rule of every data set (``val`` means ``test``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch.utils.data
from PIL import Image

from resnet_viz.data.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, SUPPORTED_TYPES, ImageError, load_image
from resnet_viz.i18n import Msg

__all__ = ["FolderReport", "Sample", "Skipped", "UserDataError", "UserImageFolder", "extension_problem", "fmt_bytes",
           "is_junk", "normalise_split", "scan_folder", "stratified_split", "tally"]

_MB = 1024 * 1024
_GB = 1024 * _MB
_JUNK_NAMES = {"__macosx", "thumbs.db", "desktop.ini", "ehthumbs.db", "$recycle.bin", "system volume information"}
_SPLIT_NAMES = {"train": ("train", "training"), "test": ("test", "testing", "val", "valid", "validation")}
_TINY_CLASS = 10  # warn when a class has fewer images than this
_UNBALANCED = 3.0  # warn when largest class / smallest class exceeds this


class UserDataError(ValueError):
    """A problem with the user's archive or folder; the message is one friendly sentence (a ``Msg``: the scans and
    the training jobs run outside the page that shows it, which translates it; so are the reports' texts)."""


class Skipped(NamedTuple):
    """An entry or file that was left out, and why (``name`` is relative to the archive or folder)."""

    name: str
    reason: str


class Sample(NamedTuple):
    """An accepted image: ``path`` relative to ``FolderReport.base``, class index, split folder it came from."""

    path: str
    label: int
    split: str  # "train" or "test" for the train/test layout, "all" when the folder has no split


def normalise_split(split: str) -> str:
    """``"train"`` or ``"test"`` (``"val"`` means ``"test"``, any case); anything else is a ``ValueError``."""
    split = split.lower()
    if split == "val":
        return "test"
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test' ('val' means 'test'), not {split!r}")
    return split


_SIZES = ("{n:.0f} KB", "{n:g} MB", "{n:g} GB")  # units, the same in every language: not in the catalogs


def fmt_bytes(n: int | float) -> Msg:
    """``"512 KB"``, ``"3.5 MB"``, ``"2 GB"``: sizes in messages (with the decimal separator of the language)."""
    if n >= _GB:
        return Msg(_SIZES[2], n=round(n / _GB, 1))
    if n < _MB:
        return Msg(_SIZES[0], n=n / 1024)
    return Msg(_SIZES[1], n=round(n / _MB, 1))


def _reason_kind(reason: str) -> str:
    """``'not an image file (.txt)'`` -> ``'not an image file'``: groups reasons for summaries."""
    return reason.split(" (", 1)[0].rstrip(".")


def tally(skipped: Sequence[Skipped]) -> str:
    """``"3 not an image file, 1 symbolic link"``: skip reasons grouped and counted, most common first."""
    counts = Counter(_reason_kind(s.reason) for s in skipped)
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common())


def is_junk(part: str) -> bool:
    """Hidden files and folders (``.DS_Store``, AppleDouble ``._x``, ``.git``) and OS litter."""
    return part.startswith(".") or part.lower() in _JUNK_NAMES


def extension_problem(name: str, extensions: Sequence[str]) -> str | None:
    """``None`` if ``name`` has an image extension, else the skip reason."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in extensions:
        return None
    return Msg("not an image file (.{suffix})", suffix=suffix) if suffix else Msg("not an image file (no extension)")


# ---------------------------------------------------------------------------------------------
# 1. Folder scan
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
            parts.append(f"skipped {len(self.skipped)} files: {tally(self.skipped)}")
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
    return [p for p in entries if not is_junk(p.name) and p.is_dir() and not p.is_symlink()]


def _unwrap(root: Path) -> Path:
    """Descend through single folders that wrap the data (``pets.zip`` -> ``pets/cat/...``), up to 3 levels.

    A folder is a wrapper when it is the only visible entry besides junk and has sub-folders
    itself (a lone folder of images is a class, not a wrapper).
    """
    base = root
    for _ in range(3):
        try:
            visible = [p for p in base.iterdir() if not is_junk(p.name)]
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
            if is_junk(d):
                continue
            if (here / d).is_symlink():
                skipped.append(Skipped((here / d).relative_to(root).as_posix(), Msg("symbolic link (not followed)")))
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            path = here / f
            if is_junk(f):
                continue
            if path.is_symlink():
                skipped.append(Skipped(path.relative_to(root).as_posix(), Msg("symbolic link (not followed)")))
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
        raise UserDataError(Msg("Folder '{folder}' does not exist.", folder=str(root)))
    report = FolderReport(root, _unwrap(root), "classes")
    pools = _split_pools(report)
    if pools is None:
        return report
    candidates = _candidates(report, pools, extensions)
    accepted = _decode_all(report, candidates, max_bytes, max_pixels, progress)
    _collect_samples(report, pools, accepted)
    _check_usable(report, pools)
    _warn_balance(report)
    return report


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _split_pools(report: FolderReport) -> dict[str, Path] | None:
    """The folders holding class folders, by split (``train``/``test``, or ``all``); sets ``report.layout``.

    Returns ``None`` (with an error in the report) when there is a test folder but no train folder.
    """
    subdirs = _subdirs(report.base)
    by_name = {p.name.lower(): p for p in subdirs}
    train = next((by_name[n] for n in _SPLIT_NAMES["train"] if n in by_name), None)
    test = next((by_name[n] for n in _SPLIT_NAMES["test"] if n in by_name), None)
    if train is not None:
        report.layout = "train/test" if test is not None else "classes"
        for p in subdirs:
            if p not in (train, test):
                report.skipped.append(Skipped(_relative(p, report.root) + "/",
                                              Msg("folder outside train/ and test/ (ignored)")))
        return {"train": train, "test": test} if test is not None else {"all": train}
    if test is not None:
        report.errors.append(Msg("'{folder}/' has no 'train/' folder next to it: add one with the training images, "
                                 "or put the class folders at the top level.", folder=_relative(test, report.root)))
        return None
    return {"all": report.base}


def _candidates(report: FolderReport, pools: dict[str, Path], extensions: Sequence[str]) -> list[tuple[str, str, Path]]:
    """``(split, class, file)`` for each file with an image extension in a class folder; other files are skipped."""
    root, skipped = report.root, report.skipped
    candidates: list[tuple[str, str, Path]] = []
    for split, pool in pools.items():
        for p in sorted(pool.iterdir(), key=lambda p: p.name):
            if is_junk(p.name) or (p.is_dir() and not p.is_symlink()):
                continue
            skipped.append(Skipped(_relative(p, root), Msg("symbolic link (not followed)") if p.is_symlink()
                                   else Msg("not inside a class folder")))
        for class_dir in _subdirs(pool):
            for path in _files_under(class_dir, root, skipped):
                problem = extension_problem(path.name, extensions)
                if problem:
                    skipped.append(Skipped(_relative(path, root), problem))
                else:
                    candidates.append((split, class_dir.name, path))
    return candidates


def _decode_all(
    report: FolderReport,
    candidates: list[tuple[str, str, Path]],
    max_bytes: int,
    max_pixels: int,
    progress: Callable[[int, int], None] | None,
) -> list[tuple[str, str, Path]]:
    """The candidates ``load_image`` decodes under the upload limits; the others are skipped with its reason."""
    accepted: list[tuple[str, str, Path]] = []
    for done, (split, cls, path) in enumerate(candidates, 1):
        try:
            load_image(path, max_bytes=max_bytes, max_pixels=max_pixels)
        except ImageError as e:  # its Msg, when it has one: the report is shown later, maybe in other languages
            reason = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], Msg) else str(e)
            report.skipped.append(Skipped(_relative(path, report.root), reason))
        except Exception:  # noqa: BLE001 - untrusted files: never let one stop the scan
            report.skipped.append(Skipped(_relative(path, report.root), Msg("not a readable image")))
        else:
            accepted.append((split, cls, path))
        if progress is not None:
            progress(done, len(candidates))
    return accepted


def _collect_samples(report: FolderReport, pools: dict[str, Path], accepted: list[tuple[str, str, Path]]) -> None:
    """Set the classes (those with training images) and samples; warn about class folders that differ or are empty."""
    root = report.root
    found = {split: sorted({cls for s, cls, _ in accepted if s == split}) for split in pools}
    report.classes = found["train" if report.layout == "train/test" else "all"]
    if report.layout == "train/test":
        only_train = sorted(set(found["train"]) - set(found["test"]))
        only_test = sorted(set(found["test"]) - set(found["train"]))
        if only_train or only_test:
            report.warnings.append(_differ(only_train, only_test))
    index = {c: k for k, c in enumerate(report.classes)}
    for split, cls, path in accepted:
        if cls not in index:
            reason = Msg("class '{name}' has no training images", name=cls)
            report.skipped.append(Skipped(_relative(path, root), reason))
            continue
        report.samples.append(Sample(path.relative_to(report.base).as_posix(), index[cls], split))
    report.samples.sort(key=lambda s: (s.split, s.label, s.path))
    for split, pool in pools.items():
        for class_dir in _subdirs(pool):
            if class_dir.name not in found[split]:
                report.warnings.append(Msg("Folder '{folder}/' has no readable images and is ignored.",
                                           folder=_relative(class_dir, root)))


def _differ(only_train: list[str], only_test: list[str]) -> Msg:
    """The warning when the class folders of train/ and test/ differ."""
    parts = [Msg("only in train/: {names}", names=", ".join(only_train))] if only_train else []
    parts += [Msg("only in test/: {names}", names=", ".join(only_test))] if only_test else []
    # TRANSLATORS: two clauses of one sentence ("only in train/: a, b; only in test/: c")
    detail = parts[0] if len(parts) == 1 else Msg("{first}; {second}", first=parts[0], second=parts[1])
    return Msg("Class folders differ between train/ and test/ ({detail}); test images of classes without training "
               "images are left out.", detail=detail)


def _check_usable(report: FolderReport, pools: dict[str, Path]) -> None:
    """Errors when the scan is not a usable data set: fewer than 2 classes, or no test image of them."""
    # TRANSLATORS: {where} of "No class folders with images found in {where}" when the images are at the top level
    where = Msg("'{folder}'", folder=_relative(report.base, report.root)) if report.base != report.root \
        else Msg("the folder")
    if not report.classes:
        report.errors.append(Msg("No class folders with images found in {where} (expected <class name>/<image "
                                 "files>, or train/ and test/ folders of those).", where=where))
    elif len(report.classes) < 2:
        report.errors.append(Msg("Only one class ('{name}') was found in {where}: at least 2 class folders with "
                                 "images are needed.", name=report.classes[0], where=where))
    elif report.layout == "train/test" and not any(s.split == "test" for s in report.samples):
        report.errors.append(Msg("'{folder}/' has no readable images of the training classes.",
                                 folder=_relative(pools["test"], report.root)))


def _warn_balance(report: FolderReport) -> None:
    """Warnings about classes too small to measure, or much smaller than the largest."""
    if not report.classes:
        return
    totals = Counter(report.classes[s.label] for s in report.samples)
    tiny = [f"{c} ({totals[c]})" for c in report.classes if totals[c] < _TINY_CLASS]
    if tiny:
        report.warnings.append(Msg("Classes with fewer than {n} images: {classes}; accuracy on them will be noisy.",
                                   n=_TINY_CLASS, classes=", ".join(tiny)))
    big, small = max(report.classes, key=totals.__getitem__), min(report.classes, key=totals.__getitem__)
    if totals[small] and totals[big] / totals[small] > _UNBALANCED:
        report.warnings.append(Msg("Classes are unbalanced: '{big}' has {n_big} images, '{small}' only {n_small} "
                                   "(more than {ratio:g}x); accuracy will favour the larger classes.", big=big,
                                   n_big=totals[big], small=small, n_small=totals[small], ratio=_UNBALANCED))


# ---------------------------------------------------------------------------------------------
# 2. Stratified split
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
# 3. Data set
# ---------------------------------------------------------------------------------------------


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
        self.split = normalise_split(split)
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
