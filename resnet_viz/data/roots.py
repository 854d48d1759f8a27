"""Folders on the server that the app may read: only under the allow-listed roots.

``RESNET_VIZ_DATA_ROOTS`` lists them (separated by ``:``, ``;`` on Windows); the default is the app's data cache
(``env.data_dir()``: ``RESNET_VIZ_DATA`` or ``<cache>/data``). A typed path is resolved (``~``, ``..`` and every
symbolic link) before it is checked, so ``/data/pets/../../etc`` or a link inside a root that points out of it
is refused like ``/etc`` itself, for the teacher too. A relative path is taken inside the first root.
"""

from __future__ import annotations

import os
from pathlib import Path

from resnet_viz.data.folders import UserDataError
from resnet_viz.env import data_dir
from resnet_viz.i18n import _

ROOTS_ENV = "RESNET_VIZ_DATA_ROOTS"


class FolderRefused(UserDataError):
    """A folder outside the allowed roots, or one that does not exist (the message says which)."""


def data_roots() -> list[Path]:
    """The allowed roots, resolved (``RESNET_VIZ_DATA_ROOTS``, else the data cache)."""
    raw = os.environ.get(ROOTS_ENV, "")
    parts = [p.strip() for p in raw.split(os.pathsep) if p.strip()]
    roots = [Path(p).expanduser() for p in parts] or [data_dir()]
    return [r.resolve() for r in roots]


def roots_text(roots: list[Path] | None = None) -> str:
    return ", ".join(f"`{r}`" for r in (roots or data_roots()))


def within(path: Path, roots: list[Path]) -> bool:
    """Whether the resolved ``path`` is one of ``roots`` or inside one."""
    real = Path(os.path.realpath(path))
    return any(real == r or real.is_relative_to(r) for r in roots)


def server_folder(text: str, roots: list[Path] | None = None) -> Path:
    """The folder the user typed, resolved, if it is an existing folder under an allowed root; else
    ``FolderRefused`` with a message that names the allowed roots (and never says what is outside them)."""
    roots = roots if roots is not None else data_roots()
    typed = (text or "").strip()
    if not typed:
        raise FolderRefused(_("Type the path of a folder on the server."))
    if "\x00" in typed:
        raise FolderRefused(_("That is not a folder path."))
    path = Path(typed).expanduser()
    if not path.is_absolute():
        path = roots[0] / path
    real = Path(os.path.realpath(path))
    if not within(real, roots):
        if os.environ.get(ROOTS_ENV):
            raise FolderRefused(_("`{typed}` is outside the folders this server shares: {roots}. Copy the data into "
                                  "one of them.", typed=typed, roots=roots_text(roots)))
        raise FolderRefused(_("`{typed}` is outside the folders this server shares: {roots} (set {env} when starting "
                              "the server to share others). Copy the data into one of them.", typed=typed,
                              roots=roots_text(roots), env=ROOTS_ENV))
    if not real.is_dir():
        raise FolderRefused(_("`{typed}` is not a folder under {roots}.", typed=typed, roots=roots_text(roots)))
    return real
