"""Per-session scratch folders, the privacy boundary of the Your data page.

Everything a session uploads, unpacks or trains lives in its own ``Scratch`` folder
(``<cache>/sessions/<random id>/``), which is deleted when the session ends (the object is finalised
when Streamlit drops the session) or, after a server crash, by ``sweep_orphans`` at the next start.
A run reaches the shared run store only through ``runs.transfer.save_to_store``, on purpose.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import time
import weakref
from pathlib import Path

from resnet_viz.env import cache_dir
from resnet_viz.runs.store import pid_alive, read_json, write_json

SCRATCH_PREFIX = "s-"


def sessions_root() -> Path:
    return cache_dir() / "sessions"


def _stop_jobs(root: Path) -> None:
    """Stop the training jobs whose run store is ``root`` (their process groups), and wait for them."""
    pids = [(read_json(p, {}) or {}).get("pid") for p in root.glob(".set-*.json")]
    pids = [p for p in pids if pid_alive(p)]
    for pid in pids:
        try:
            os.killpg(int(pid), signal.SIGTERM)  # the worker leads its own session (training.jobs)
        except OSError:
            pass
    deadline = time.time() + 10
    while any(pid_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)


def _remove(path: Path) -> None:
    if path.is_dir():
        _stop_jobs(path / "runs")
        shutil.rmtree(path, ignore_errors=True)


class Scratch:
    """One session's private folder: ``uploads/`` (zips), ``unpacked/`` (their safe extraction, also the
    ``RESNET_VIZ_USERDATA`` of the session's jobs), ``runs/`` (its run store). Deleted with the object."""

    def __init__(self, root: Path | None = None) -> None:
        base = root or sessions_root()
        base.mkdir(parents=True, exist_ok=True)
        self.path = base / (SCRATCH_PREFIX + secrets.token_hex(8))
        for sub in ("uploads", "unpacked", "runs"):
            (self.path / sub).mkdir(parents=True)
        write_json(self.path / "owner.json", {"pid": os.getpid(), "created": time.time()})
        self._finalizer = weakref.finalize(self, _remove, self.path)

    @property
    def uploads(self) -> Path:
        return self.path / "uploads"

    @property
    def unpacked(self) -> Path:
        return self.path / "unpacked"

    @property
    def runs(self) -> Path:
        return self.path / "runs"

    @property
    def job_env(self) -> dict[str, str]:
        return {"RESNET_VIZ_USERDATA": str(self.unpacked)}

    def close(self) -> None:
        """Stop the session's jobs and delete everything now."""
        self._finalizer()

    @property
    def alive(self) -> bool:
        return self._finalizer.alive


def sweep_orphans(root: Path | None = None) -> int:
    """Delete session folders whose server process is gone (a crash or kill -9 skips the finaliser)."""
    base = root or sessions_root()
    n = 0
    for p in base.glob(SCRATCH_PREFIX + "*") if base.is_dir() else []:
        owner = read_json(p / "owner.json", {}) or {}
        if not pid_alive(owner.get("pid")):
            _remove(p)
            n += 1
    return n
