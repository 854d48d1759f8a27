"""What a training run writes to its run folder, and reads back to resume: ``config.json``, ``provenance.json``,
``metrics.jsonl``, ``status.json``, the app's checkpoint, the evaluation and ``resume.pt``.

Under torchrun only rank 0 writes: a ``RunFiles`` of any other rank writes nothing. Every file but the
append-only ``metrics.jsonl`` is written to a temporary name and moved into place (a reader never sees half a
file). ``resume.pt`` holds the model, optimiser, scheduler and random-number state of the last finished epoch.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from resnet_viz import __version__
from resnet_viz.i18n import Msg
from resnet_viz.models.weights import ModelMeta, save_checkpoint
from resnet_viz.runs.store import Run, append_jsonl, read_json, write_json
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.evaluation import save_evaluation
from resnet_viz.training.queue import msg_fields


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def provenance(cfg: TrainConfig, command: str) -> dict[str, Any]:
    return {
        "command": command, "date": _now(),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs",
        "device": None, "threads": torch.get_num_threads(),  # float sums, hence results, depend on it
        "python": sys.version.split()[0], "torch": torch.__version__,
        "resnet_viz": __version__, "config": cfg.to_dict(),
    }


class RunFiles:
    """The files of ``run``, written only when ``main`` (rank 0)."""

    def __init__(self, run: Run, main: bool) -> None:
        self.run, self.main = run, main
        self.epochs: int | None = None

    def prepare(self, resume: bool) -> None:
        """Create the folder; refuse to resume nothing or to start over a run that has epochs; clear STOP."""
        if not self.main:
            return
        path = self.run.path
        path.mkdir(parents=True, exist_ok=True)
        if resume:
            if read_json(path / "config.json") is None or not (path / "resume.pt").is_file():
                raise FileNotFoundError(Msg("nothing to resume in {path} (no config.json/resume.pt)", path=str(path)))
        elif (path / "config.json").is_file() and self.run.metrics("epoch"):
            raise FileExistsError(Msg("{path} already holds a run: pass --resume to continue it or choose another "
                                      "--out", path=str(path)))
        (path / "STOP").unlink(missing_ok=True)

    def saved_config(self) -> TrainConfig:
        return TrainConfig.from_dict(read_json(self.run.path / "config.json"))

    def begin(self, cfg: TrainConfig, *, command: str, device: str, pretrained: str | None, resume: bool,
              layers: list[str], step: int, start_epoch: int) -> None:
        """``config.json``, ``provenance.json`` (kept from the first start when resuming) and the start of
        ``metrics.jsonl``: the layer names of a new run, or what was logged up to the checkpoint resumed from."""
        self.epochs = cfg.epochs
        if not self.main:
            return
        path = self.run.path
        write_json(path / "config.json", cfg.to_dict())
        prov = (read_json(path / "provenance.json") if resume else None) or provenance(cfg, command)
        prov["device"] = device
        if pretrained:
            prov["pretrained"] = pretrained
        if resume:
            prov.setdefault("resumed", []).append(_now())
        write_json(path / "provenance.json", prov)
        if not resume:
            (path / "metrics.jsonl").unlink(missing_ok=True)
            self.log({"kind": "layers", "names": layers})
        else:  # drop what was logged after the checkpoint we resume from: it is about to be redone
            kept = [r for r in self.run.metrics() if r.get("step", 0) <= step and
                    (r.get("kind") != "epoch" or r.get("epoch", 0) <= start_epoch)]
            tmp = path / "metrics.jsonl.tmp"
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
            os.replace(tmp, path / "metrics.jsonl")

    def log(self, record: dict[str, Any]) -> None:
        """One line of ``metrics.jsonl``."""
        if self.main:
            append_jsonl(self.run.path / "metrics.jsonl", record)

    def grads(self, step: int, epoch: int, layers: list[tuple[str, nn.Module]]) -> None:
        """The gradient norm of every trained layer after this step's backward pass."""
        if self.main:
            norms = torch.stack([m.weight.grad.detach().float().norm() for _, m in layers]).tolist()
            self.log({"kind": "grads", "step": step, "epoch": epoch, "norms": norms})

    def status(self, state: str, message: str | Msg = "", **kw: Any) -> None:
        """``status.json``: the state, and the message in English with its template when it is a ``Msg`` (the
        page that shows it translates it: ``queue.job_msg``)."""
        if self.main:
            write_json(self.run.path / "status.json", {"state": state, **msg_fields("message", message),
                                                       "pid": os.getpid(), "epochs": self.epochs,
                                                       "updated": time.time(), **kw})

    def checkpoint(self, model: nn.Module, meta: ModelMeta, evaluation: tuple, resume_state: dict[str, Any]) -> None:
        """After an epoch: the app's checkpoint, the evaluation (``save_evaluation``'s arguments) and ``resume.pt``."""
        if self.main:
            save_checkpoint(model, meta, self.run.path / "model.safetensors")
            save_evaluation(self.run.path, *evaluation)
            save_resume(self.run.path / "resume.pt", resume_state)


def save_resume(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def resume_state(model: nn.Module, opt, sched, gen: torch.Generator, epoch: int, step: int,
                 warmup: bool) -> dict[str, Any]:
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "rng": {"gen": gen.get_state(), "torch": torch.get_rng_state()}, "epoch": epoch, "step": step,
            "warmup": warmup, "device_type": next(model.parameters()).device.type}


def load_resume(path: Path, device: torch.device, model: nn.Module, opt, sched, gen: torch.Generator) -> dict:
    """Restore the state of ``resume.pt`` into the given objects; returns ``epoch``, ``step`` and ``warmup``."""
    # RNG states are CPU byte tensors whatever the device: load on the CPU, then place the rest
    state = torch.load(path, map_location="cpu", weights_only=True)
    saved_type = state.get("device_type", "cpu")
    if saved_type != device.type:
        raise ValueError(Msg("{run} was trained on {device}: resume it with --device {device} (its random-number "
                             "state belongs to that device), or start a new run", run=path.parent.name,
                             device=saved_type))
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])  # moves the momentum buffers to the parameters' device
    sched.load_state_dict(state["scheduler"])
    gen.set_state(state["rng"]["gen"])
    torch.set_rng_state(state["rng"]["torch"])
    return {"epoch": state["epoch"], "step": state["step"], "warmup": state.get("warmup")}


def param_checksum(model: nn.Module) -> str:
    """A hash of the weights and buffers: equal on every rank of a data-parallel run, and between a run and
    its resumed copy."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
