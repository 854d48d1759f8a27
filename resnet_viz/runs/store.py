"""The run store: one folder per training run, on disk, readable while the run is going.

    <root>/<name>/
        config.json        the TrainConfig, as given
        status.json        state (running|finished|stopped|diverged|failed), message, epoch, ETA, pid
        metrics.jsonl      one JSON object per line: {"kind": "step"|"epoch"|"grads", ...}
        provenance.json    command, date, machine, library versions
        model.safetensors  the latest good weights (+ model.json: ModelMeta), loadable by the app
        resume.pt          model + optimizer + scheduler + RNG state, for --resume
        STOP               created by a stop request; the trainer stops at the next step

Local runs live in ``RESNET_VIZ_RUNS`` (default ``<cache>/runs``); runs shipped with the app in
``assets/runs``. Every file is written to a temporary name and moved into place, so a reader
(a page refreshing every second, a second viewer) never sees half a file. Runs grouped into a ResNet and
its plain twin are ``runs.twins``; copying runs elsewhere (zips, the shared store, shipping) is ``runs.transfer``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resnet_viz.env import assets_dir, cache_dir
from resnet_viz.i18n import _
from resnet_viz.models.names import split_run_name

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
STATES_DONE = ("finished", "stopped", "diverged", "failed")


def runs_root() -> Path:
    return Path(os.environ.get("RESNET_VIZ_RUNS") or cache_dir() / "runs")


def shipped_root() -> Path:
    return assets_dir() / "runs"


def write_json(path: Path, obj: Any) -> None:
    """Atomic JSON write (temp file + ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; run files are for every user of the machine
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def append_jsonl(path: Path, obj: dict) -> None:
    """Append one line; a reader may see the last line half-written, and skips it."""
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue  # a line being written right now
    except OSError:
        pass
    return out


def pid_alive(pid: int | str | None) -> bool:
    """Whether a process with this id exists on this machine."""
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    try:  # a finished child nobody has waited for yet is a zombie: it exists but is not running
        with open(f"/proc/{int(pid)}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc (macOS): the kill check is all we have


@dataclass
class Run:
    """A run folder. Cheap to create; reads files on demand."""

    path: Path
    shipped: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config(self) -> dict:
        return read_json(self.path / "config.json", {}) or {}

    @property
    def model(self) -> str:
        """The model the run trained: its config's, else the one its name carries (``resnet56-fast12``)."""
        return self.config.get("model", split_run_name(self.name)[0])

    @property
    def status(self) -> dict:
        return read_json(self.path / "status.json", {}) or {}

    @property
    def provenance(self) -> dict:
        return read_json(self.path / "provenance.json", {}) or {}

    def metrics(self, kind: str | None = None) -> list[dict]:
        rows = read_jsonl(self.path / "metrics.jsonl")
        return [r for r in rows if kind is None or r.get("kind") == kind]

    @property
    def checkpoint(self) -> Path | None:
        p = self.path / "model.safetensors"
        return p if p.is_file() else None

    @property
    def active(self) -> bool:
        """Running or queued, by a process that is still alive."""
        st = self.status
        return st.get("state") in ("running", "queued") and (not st.get("pid") or pid_alive(st.get("pid")))

    @property
    def running(self) -> bool:
        st = self.status
        if st.get("state") != "running":
            return False
        pid = st.get("pid")
        return not pid or pid_alive(pid)  # a dead pid: the process died without writing a final state

    def final(self) -> dict:
        """``{"train_error", "test_error"}`` of the last epoch (fractions; None if not there)."""
        epochs = self.metrics("epoch")
        last = epochs[-1] if epochs else {}
        return {"train_error": last.get("train_error"), "test_error": last.get("test_error")}

    def summary(self) -> dict:
        cfg = self.config
        epochs = self.metrics("epoch")
        return {"name": self.name, "model": cfg.get("model"), "data": cfg.get("data"),
                "preset": cfg.get("preset"), "epochs": len(epochs), "planned_epochs": cfg.get("epochs"),
                "state": "running" if self.running else (self.status.get("state") or "unknown"),
                "final": self.final(), "checkpoint": str(self.checkpoint) if self.checkpoint else None,
                "shipped": self.shipped, "path": str(self.path)}

    def request_stop(self) -> None:
        (self.path / "STOP").touch()

    def stop_requested(self) -> bool:
        return (self.path / "STOP").exists()


def validate_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise ValueError(_("run name {name!r} must be 1-100 letters, digits, '.', '_' or '-', starting with a "
                           "letter or digit", name=name))
    return name


def run_dir_for(out: str | os.PathLike) -> Path:
    """``--out runs/NAME`` or a bare ``NAME`` (inside the run store)."""
    p = Path(out)
    if len(p.parts) == 1:
        return runs_root() / validate_name(p.name)
    validate_name(p.name)
    return p


def list_runs(include_shipped: bool = True) -> list[Run]:
    """Local runs (newest first) then shipped runs, each with a config.json."""
    out: list[Run] = []
    root = runs_root()
    if root.is_dir():
        local = [Run(p) for p in root.iterdir() if (p / "config.json").is_file()]
        out += sorted(local, key=lambda r: (r.path / "config.json").stat().st_mtime, reverse=True)
    if include_shipped and shipped_root().is_dir():
        out += [Run(p, shipped=True) for p in sorted(shipped_root().iterdir()) if (p / "config.json").is_file()]
    return out


def get_run(name_or_path: str | os.PathLike) -> Run:
    p = Path(name_or_path)
    if (p / "config.json").is_file():
        return Run(p, shipped=shipped_root() in p.resolve().parents)
    for run in list_runs():
        if run.name == str(name_or_path):
            return run
    raise FileNotFoundError(f"no run named {str(name_or_path)!r} (see 'python -m resnet_viz runs')")


def delete_run(name: str) -> None:
    """Delete a local run by name (never a path: nothing outside the run store can be removed)."""
    validate_name(name)
    if any(r.name == name for r in list_runs() if r.shipped) and not (runs_root() / name).is_dir():
        raise PermissionError(f"{name} ships with the app and cannot be deleted")
    run = Run(runs_root() / name)
    if not (run.path / "config.json").is_file():
        raise FileNotFoundError(f"no local run named {name!r} in {runs_root()}")
    if run.running:
        raise RuntimeError(f"{name} is still running: stop it first")
    shutil.rmtree(run.path)
