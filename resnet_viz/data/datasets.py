"""Data-set specs: ``get_dataset`` turns a spec string into a torch ``Dataset`` with ``.classes``.

Specs are ``shapes`` / ``shapes:N`` (the procedural set of ``shapes``), ``cifar10``, ``imagefolder:PATH``
(a ``train``/``test`` tree, or the user's own class folders checked by ``folders``) and ``zip:FILE``
(unpacked safely once by ``uploads``). Missing data raises ``DataUnavailable`` with a message that says
what to do, and never hangs on the network. ``describe_dataset`` summarises any of them for display;
split names follow ``folders.normalise_split`` (``val`` means ``test``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch.utils.data
from PIL import Image

from resnet_viz.data.folders import FolderReport, UserDataError, UserImageFolder, normalise_split, scan_folder
from resnet_viz.data.shapes import ShapesDataset
from resnet_viz.data.uploads import zip_dataset
from resnet_viz.env import can_reach, data_dir, forced_offline
from resnet_viz.i18n import Msg

__all__ = ["DataUnavailable", "describe_dataset", "get_dataset", "parse_data_spec"]


class DataUnavailable(RuntimeError):
    """The requested data set is not on disk and cannot be fetched; the message says what to do (a ``Msg``: it may
    be raised in a training job and shown by a page, which translates it)."""


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


def _data_root(root: str | os.PathLike[str] | None) -> Path:
    if root is not None:
        return Path(root).expanduser()
    return data_dir()


def _cifar_missing(root: Path, reason: str | Msg) -> DataUnavailable:
    return DataUnavailable(Msg(
        "CIFAR-10 is not available ({reason}). Put the extracted folder at {folder}/ ({files}) or the archive "
        "{archive} from {url} in {root}/ (the folder is set by RESNET_VIZ_DATA), or use 'imagefolder:PATH' for your "
        "own images or 'shapes' for the built-in synthetic data set.", reason=reason, folder=str(root / _CIFAR_DIR),
        files=", ".join(_CIFAR_FILES), archive=_CIFAR_ARCHIVE, url=_CIFAR_URL, root=str(root)))


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
            raise _cifar_missing(root, Msg("RESNET_VIZ_OFFLINE is set and the files are not there"))
        if download is False:
            raise _cifar_missing(root, Msg("download=False and the files are not there"))
        if not can_reach(_CIFAR_URL):
            raise _cifar_missing(root, Msg("cannot reach {host} to download it", host=_CIFAR_HOST[0]))
    try:
        root.mkdir(parents=True, exist_ok=True)
        return CIFAR10(root=str(root), train=split == "train", transform=transform, download=not extracted)
    except Exception as e:  # noqa: BLE001 - network / disk / corrupted archive all end up here
        raise _cifar_missing(root, f"{type(e).__name__}: {e}") from None


_SCANS: dict[tuple[str, float], FolderReport] = {}  # (folder, mtime) -> scan, per process


def _imagefolder(path_arg: str, split: str, transform: Callable | None) -> Any:
    """``PATH/train`` + ``PATH/test`` (``val`` stands in for ``test``): torchvision ``ImageFolder`` on
    ``PATH/<split>``. A folder of class folders without that split (``PATH/<class>/*``, or ``PATH/train``
    alone) is the user's own data: every image is checked (``folders.scan_folder``) and the test split
    is held out from it (stratified, seeded: ``folders.stratified_split``), so the two splits never
    share an image."""
    from torchvision.datasets import ImageFolder
    from torchvision.datasets.folder import IMG_EXTENSIONS, has_file_allowed_extension

    path = Path(path_arg).expanduser()
    if not path.is_dir():
        raise DataUnavailable(Msg("Image folder '{folder}' does not exist.", folder=str(path)))
    names = ["train"] if split == "train" else ["test", "val"]
    has = {n: (path / n).is_dir() for n in ("train", "test", "val")}
    if has["train"] and (has["test"] or has["val"]):
        base = next(path / n for n in names if has[n])
        real = Path(os.path.realpath(base))

        def inside(p: str) -> bool:  # torchvision follows links: a link out of the folder is not its image
            return has_file_allowed_extension(p, IMG_EXTENSIONS) and Path(os.path.realpath(p)).is_relative_to(real)

        try:
            return ImageFolder(str(base), transform=transform, is_valid_file=inside)
        except FileNotFoundError:
            raise DataUnavailable(Msg("No class folders with images found in '{folder}' (expected {folder}/<class "
                                      "name>/<image files>).", folder=str(base))) from None
    if (has["test"] or has["val"]) and not has["train"]:
        raise DataUnavailable(Msg("Image folder '{folder}' has a test folder but no 'train' folder next to it.",
                                  folder=str(path)))
    # rescanned when the folder or one of its class folders changes (files added, removed, renamed)
    key = (str(path.resolve()), max([path.stat().st_mtime] + [p.stat().st_mtime for p in path.iterdir() if p.is_dir()]))
    report = _SCANS.get(key)
    if report is None:
        report = _SCANS[key] = scan_folder(path)
    try:
        return UserImageFolder(report, split, transform)
    except UserDataError as e:
        raise DataUnavailable(*e.args) from None  # its Msg, translated where it is shown


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
    split 80/20 (seeded, stratified) unless it has train/ and test/ folders (``uploads.zip_dataset``).
    """
    kind, arg = parse_data_spec(spec)
    split = normalise_split(split)
    if kind == "shapes":
        n = int(arg) if arg else _SHAPES_DEFAULT_N[split]
        return ShapesDataset(n, split=split, transform=transform)
    if kind == "cifar10":
        return _cifar10(split, transform, _data_root(root), download)
    if kind == "zip":
        try:
            return zip_dataset(arg or "", split, transform)
        except UserDataError as e:
            raise DataUnavailable(*e.args) from None
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
