"""Runs moving between places: packed as a zip to download and unpacked from an upload (the Your data page),
copied from a session's scratch folder into the shared run store, and exported for shipping with the app.

An uploaded zip is hostile input: it is extracted with the data uploads' rules (no traversal, links,
bombs), only the files a run has are kept, and every checkpoint must load before anything is moved in.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import zipfile
from pathlib import Path

from resnet_viz.i18n import N_, _
from resnet_viz.runs.store import Run, read_json, runs_root, validate_name, write_json

RUN_FILES = ("model.safetensors", "model.json", "config.json", "metrics.jsonl", "provenance.json", "status.json",
             "evaluation.json")
WRONG_RE = re.compile(r"^wrong/\d{2}-test\d+\.png$")
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


def _check_run(src: Path) -> None:
    """Keep only what a run has, and check that its weights load as the architecture its metadata names."""
    from resnet_viz.models.weights import WeightsError, WeightsUnavailable, load_model

    try:
        validate_name(src.name)
    except ValueError as e:
        raise RunUploadError(str(e)) from None
    for p in sorted(src.rglob("*"), reverse=True):
        rel = p.relative_to(src).as_posix()
        if p.is_file() and rel not in RUN_FILES and not WRONG_RE.match(rel):
            p.unlink()  # anything a run does not have is dropped
    meta = read_json(src / "model.json") or {}
    cfg = read_json(src / "config.json") or {}
    if not (src / "model.safetensors").is_file() or not meta.get("arch") or not cfg.get("model"):
        raise RunUploadError(_("'{name}' is not a resnet-viz run: model.safetensors, model.json and config.json "
                               "are needed.", name=src.name))
    try:
        load_model(meta["arch"], src / "model.safetensors")
    except (WeightsError, WeightsUnavailable, ValueError, KeyError) as e:
        raise RunUploadError(_("The weights of '{name}' do not load: {error}", name=src.name, error=e)) from None


def unpack_runs(zip_path: Path, dest_root: Path) -> list[Run]:
    """Unpack a zip made by ``pack_runs`` into ``dest_root/<run name>/`` and check that the weights load.

    The same hostile-input rules as data zips apply (``data.uploads.safe_extract``: no traversal, links,
    bombs); only the files ``pack_runs`` writes are kept; every checkpoint must load as the architecture
    its metadata names. Nothing is moved into ``dest_root`` unless every run in the zip passes.
    """
    from resnet_viz.data.folders import UserDataError
    from resnet_viz.data.uploads import safe_extract

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
            raise RunUploadError(_("This zip is not a resnet-viz run: expected a folder per run with "
                                   "model.safetensors (as downloaded from the Your data page)."))
        for src in tops:
            _check_run(src)
        out = []
        for src in tops:
            dest = dest_root / src.name
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(src, dest)
            if not (dest / "status.json").is_file():
                write_json(dest / "status.json", {"state": "finished", "message": N_("uploaded")})
            out.append(Run(dest))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def save_to_store(run: Run, name: str | None = None) -> Run:
    """Copy a finished session run into the shared run store (on purpose: every user of the server sees it)."""
    name = validate_name(name or run.name)
    dest = runs_root() / name
    if dest.exists():
        raise FileExistsError(_("the shared run store already has a run named {name}: choose another name", name=name))
    if run.running:
        raise RuntimeError(_("{name} is still training: save it when it has finished", name=run.name))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{name}.copying"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(run.path, tmp, ignore=shutil.ignore_patterns("resume.pt", "STOP", "*.tmp"))
    os.replace(tmp, dest)
    return Run(dest)


def export_run(run: Run, dest_root: str | os.PathLike, *, half: bool = True, note: str | None = None,
               data_label: str | None = None, responses: dict | None = None) -> Run:
    """Copy a finished run for shipping: metrics, config, status, provenance, and the weights as
    safetensors (fp16 when ``half``; they load back as fp32). ``resume.pt`` is left behind."""
    import datetime as dt

    from resnet_viz.models.weights import load_model, save_checkpoint

    if run.checkpoint is None:
        raise FileNotFoundError(f"{run.name} has no checkpoint to export")
    dest = Path(dest_root) / run.name
    dest.mkdir(parents=True, exist_ok=True)
    for fname in ("config.json", "status.json", "metrics.jsonl"):
        shutil.copyfile(run.path / fname, dest / fname)
    lm = load_model(run.config["model"], run.checkpoint)
    lm.meta.source = f"resnet-viz run {run.name}" + (f", {data_label}" if data_label else "")
    save_checkpoint(lm.model, lm.meta, dest / "model.safetensors", half=half)
    prov = run.provenance
    if data_label:
        prov["data_label"] = data_label
    prov["export"] = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                      "weights": "fp16" if half else "fp32", "note": note}
    write_json(dest / "provenance.json", prov)
    if responses is not None:
        write_json(dest / "responses.json", responses)
    return Run(dest, shipped=True)
