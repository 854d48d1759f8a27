"""Your own data, the part behind the "Your data" page: per-session scratch folders, training plans for
a ResNet and its plain twin, held-out evaluation (confusion matrix, per-class accuracy, most confidently
wrong), and runs packed as a zip to download and re-upload.

Privacy: everything a session uploads, unpacks or trains lives in its own ``Scratch`` folder
(``<cache>/sessions/<random id>/``), which is deleted when the session ends (the object is finalised
when Streamlit drops the session) or, after a server crash, by ``sweep_orphans`` at the next start.
A run reaches the shared run store only through ``save_to_store``, on purpose.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import time
import weakref
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from resnet_viz.env import cache_dir
from resnet_viz.runs.store import Run, read_json, runs_root, validate_name, write_json

SCRATCH_PREFIX = "s-"


def sessions_root() -> Path:
    return cache_dir() / "sessions"


def _stop_jobs(root: Path) -> None:
    """Stop the training jobs whose run store is ``root`` (their process groups), and wait for them."""
    from resnet_viz.runs.store import pid_alive

    pids = [(read_json(p, {}) or {}).get("pid") for p in root.glob(".set-*.json")]
    pids = [p for p in pids if pid_alive(p)]
    for pid in pids:
        try:
            os.killpg(int(pid), signal.SIGTERM)  # the worker leads its own session (jobs._launch)
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
    from resnet_viz.runs.store import pid_alive

    base = root or sessions_root()
    n = 0
    for p in base.glob(SCRATCH_PREFIX + "*") if base.is_dir() else []:
        owner = read_json(p / "owner.json", {}) or {}
        if not pid_alive(owner.get("pid")):
            _remove(p)
            n += 1
    return n


# ----------------------------------------------------------------------------- what to train


# ----------------------------------------------------------------------------- evaluation


def evaluation(run: Run) -> dict | None:
    """The run's latest held-out evaluation (``train.save_evaluation``), or None."""
    return read_json(run.path / "evaluation.json")


def confusion(ev: dict) -> np.ndarray:
    """``(K, K)`` counts: row = true class, column = predicted class."""
    k = len(ev["classes"])
    m = np.zeros((k, k), int)
    np.add.at(m, (np.asarray(ev["labels"], int), np.asarray(ev["preds"], int)), 1)
    return m


def per_class_accuracy(ev: dict) -> dict[str, float | None]:
    """Class name -> fraction of its held-out images classified correctly (None without images)."""
    m = confusion(ev)
    n = m.sum(1)
    return {c: (float(m[i, i] / n[i]) if n[i] else None) for i, c in enumerate(ev["classes"])}


def accuracy(ev: dict) -> float:
    labels, preds = np.asarray(ev["labels"]), np.asarray(ev["preds"])
    return float((labels == preds).mean()) if len(labels) else float("nan")


def describe_evaluation(evs: dict[str, dict]) -> str:
    """One sentence from the numbers: each net's held-out accuracy, and where they differ most."""
    from resnet_viz.models.names import display_name

    names = list(evs)
    parts = [f"{display_name(n)} classifies {100 * accuracy(ev):.1f} % of the {len(ev['labels'])} held-out images "
             "correctly" for n, ev in evs.items()]
    text = "; ".join(parts) + "."
    if len(names) == 2:
        a, b = (per_class_accuracy(evs[n]) for n in names)
        diffs = {c: a[c] - b[c] for c in a if a[c] is not None and b.get(c) is not None}
        if diffs:
            c = max(diffs, key=lambda k: abs(diffs[k]))
            if abs(diffs[c]) > 0:
                text += (f" The largest gap is on '{c}': {100 * a[c]:.0f} % for {display_name(names[0])} against "
                         f"{100 * b[c]:.0f} % for {display_name(names[1])}.")
    return text


# ----------------------------------------------------------------------------- runs as zips

RUN_FILES = ("model.safetensors", "model.json", "config.json", "metrics.jsonl", "provenance.json", "status.json",
             "evaluation.json")
_WRONG_RE = re.compile(r"^wrong/\d{2}-test\d+\.png$")
MAX_RUN_ZIP = 1024 * 1024 * 1024  # 1 GiB: a ResNet-152 in fp32 is 240 MB


def pack_runs(runs: list[Run]) -> bytes:
    """Runs as one zip, a folder each (weights as safetensors + metadata, metrics, evaluation, wrong
    images); ``resume.pt`` stays behind."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for run in runs:
            for name in RUN_FILES:
                if (run.path / name).is_file():
                    zf.write(run.path / name, f"{run.name}/{name}")
            for p in sorted((run.path / "wrong").glob("*.png")):
                zf.write(p, f"{run.name}/wrong/{p.name}")
    return buf.getvalue()


class RunUploadError(ValueError):
    """A run zip that cannot be used; the message is one sentence."""


def unpack_runs(zip_path: Path, dest_root: Path) -> list[Run]:
    """Unpack a zip made by ``pack_runs`` into ``dest_root/<run name>/`` and check that the weights load.

    The same hostile-input rules as data zips apply (``userdata.safe_extract``: no traversal, links,
    bombs); only the files ``pack_runs`` writes are kept; every checkpoint must load as the architecture
    its metadata names. Nothing is moved into ``dest_root`` unless every run in the zip passes.
    """
    from resnet_viz.data.folders import UserDataError, safe_extract
    from resnet_viz.models.weights import WeightsError, WeightsUnavailable, load_model

    dest_root.mkdir(parents=True, exist_ok=True)
    work = dest_root / f".upload-{secrets.token_hex(4)}"
    try:
        try:
            safe_extract(zip_path, work, extensions=["safetensors", "json", "jsonl", "png"],
                         max_total_bytes=MAX_RUN_ZIP, max_file_bytes=MAX_RUN_ZIP, max_entries=400)
        except UserDataError as e:
            raise RunUploadError(str(e)) from None
        tops = sorted(p for p in work.iterdir() if p.is_dir()) if work.is_dir() else []
        if not tops or len(tops) > 8:
            raise RunUploadError("This zip is not a resnet-viz run: expected a folder per run with model.safetensors "
                                 "(as downloaded from the Your data page).")
        for src in tops:
            try:
                validate_name(src.name)
            except ValueError as e:
                raise RunUploadError(str(e)) from None
            for p in sorted(src.rglob("*"), reverse=True):
                rel = p.relative_to(src).as_posix()
                if p.is_file() and rel not in RUN_FILES and not _WRONG_RE.match(rel):
                    p.unlink()  # anything a run does not have is dropped
            meta = read_json(src / "model.json") or {}
            cfg = read_json(src / "config.json") or {}
            if not (src / "model.safetensors").is_file() or not meta.get("arch") or not cfg.get("model"):
                raise RunUploadError(f"'{src.name}' is not a resnet-viz run: model.safetensors, model.json and "
                                     "config.json are needed.")
            try:
                load_model(meta["arch"], src / "model.safetensors")
            except (WeightsError, WeightsUnavailable, ValueError, KeyError) as e:
                raise RunUploadError(f"The weights of '{src.name}' do not load: {e}") from None
        out = []
        for src in tops:
            dest = dest_root / src.name
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(src, dest)
            if not (dest / "status.json").is_file():
                write_json(dest / "status.json", {"state": "finished", "message": "uploaded"})
            out.append(Run(dest))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def save_to_store(run: Run, name: str | None = None) -> Run:
    """Copy a finished session run into the shared run store (on purpose: every user of the server sees it)."""
    name = validate_name(name or run.name)
    dest = runs_root() / name
    if dest.exists():
        raise FileExistsError(f"the shared run store already has a run named {name}: choose another name")
    if run.running:
        raise RuntimeError(f"{run.name} is still training: save it when it has finished")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{name}.copying"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(run.path, tmp, ignore=shutil.ignore_patterns("resume.pt", "STOP", "*.tmp"))
    os.replace(tmp, dest)
    return Run(dest)


def twin_runs(root: Path) -> list[tuple[str, Run, Run]]:
    """Finished (tag, ResNet run, plain run) pairs in a run store, newest first."""
    out = []
    runs = {p.name: Run(p) for p in root.iterdir() if (p / "model.safetensors").is_file()} if root.is_dir() else {}
    for name, run in runs.items():
        m = re.match(r"^resnet(\d+)-(.+)$", name)
        if m and f"plain{m.group(1)}-{m.group(2)}" in runs:
            out.append((m.group(2), run, runs[f"plain{m.group(1)}-{m.group(2)}"]))
    out.sort(key=lambda t: (t[1].path / "model.safetensors").stat().st_mtime, reverse=True)
    return out


def run_label(run: Run) -> str:
    """``ResNet-18 (fine-tuned from ImageNet)``: the architecture and how it was trained."""
    from resnet_viz.models.names import display_name

    cfg: dict[str, Any] = run.config
    how = {"finetune": "fine-tuned from ImageNet", "probe": "linear probe on ImageNet features"}.get(
        cfg.get("mode", "scratch"), "from scratch")
    return f"{display_name(cfg.get('model', run.name.split('-')[0]))} ({how})"
