"""A ResNet and its plain twin, read off the run store: the one notion behind the Degradation, Why it works
and Your data pages.

Runs of one experiment share a tag: ``<model>-<tag>`` (``models.names.run_name``), e.g. ``plain56-fast12``.
The runs of one tag form a ``RunSet`` (the degradation experiment, He et al. 2015, Figures 1, 6 and 7, is
usable when it has plain and ResNet runs at two depths); a plain run and the ResNet of the same depth and
tag form a ``TwinPair``. A probe result measured on a trained twin is stored beside its run, as
``<run>/<kind>.json`` (``lesion.json``, ``landscape.json``): shipped runs carry precomputed ones (made by
``scripts/precompute_why.sh``), local runs get theirs when the app or the CLI computes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from resnet_viz.env import assets_dir
from resnet_viz.i18n import N_, Msg
from resnet_viz.models.names import data_text, display_name, split_run_name
from resnet_viz.runs.store import Run, list_runs, read_json, write_json

TWIN_RE = re.compile(r"^(plain|resnet)(\d+)$")

# TRANSLATORS: the training presets (TrainConfig.preset): "fast" = a one-cycle schedule for short runs, "paper" =
# He et al.'s step schedule
PRESETS = {"fast": N_("fast"), "paper": N_("paper")}


def preset_label(preset: str | None) -> Msg | str | None:
    """A preset's name as the student reads it (drawn in the session's language); other values as they are."""
    return Msg(PRESETS[preset]) if preset in PRESETS else preset


def twin_depth(model: str) -> int | None:
    """``plain56`` or ``resnet56`` -> 56; None for a model that is not one of a pair of twins."""
    m = TWIN_RE.match(model)
    return int(m.group(2)) if m else None


def data_label(run: Run) -> str:
    """What a run was trained on, as the student should read it."""
    return data_text(run.provenance.get("data_label") or run.config.get("data", "?"))


@dataclass
class TwinPair:
    """A plain run and its ResNet twin of the same depth and training set."""

    tag: str
    depth: int
    plain: Run
    resnet: Run
    shipped: bool

    def label(self) -> Msg:
        """The pair's name in a selectbox: a ``Msg`` (its value is English, a stable option; ``str()`` draws it)."""
        params = dict(depth=self.depth, tag=self.tag, data=data_label(self.resnet))
        if self.shipped:
            return Msg("Plain-{depth} vs ResNet-{depth}: {tag}, {data} (shipped)", **params)
        return Msg("Plain-{depth} vs ResNet-{depth}: {tag}, {data} (trained here)", **params)

    @property
    def runs(self) -> dict[str, Run]:
        return {f"plain{self.depth}": self.plain, f"resnet{self.depth}": self.resnet}


@dataclass
class RunSet:
    """The twin runs of one tag: model name -> run."""

    tag: str
    runs: dict[str, Run] = field(default_factory=dict)
    shipped: bool = False

    @property
    def depths(self) -> list[int]:
        """The depths with both a plain and a ResNet run."""
        ds = {twin_depth(m) for m in self.runs}
        return sorted(d for d in ds if f"plain{d}" in self.runs and f"resnet{d}" in self.runs)

    def pair(self, depth: int) -> TwinPair:
        return TwinPair(self.tag, depth, self.runs[f"plain{depth}"], self.runs[f"resnet{depth}"], self.shipped)

    def label(self) -> Msg:
        """The set's name in a selectbox: a ``Msg`` (its value is English, a stable option; ``str()`` draws it)."""
        any_run = next(iter(self.runs.values()))
        cfg = any_run.config
        params = dict(tag=self.tag, data=data_label(any_run), preset=preset_label(cfg.get("preset")),
                      epochs=cfg.get("epochs"))
        if self.shipped:
            return Msg("{tag}: {data}, {preset} preset, {epochs} epochs (shipped with the app)", **params)
        return Msg("{tag}: {data}, {preset} preset, {epochs} epochs (trained here)", **params)


def group_runs(runs: Iterable[Run]) -> list[RunSet]:
    """Twin runs grouped by (shipped, tag), shipped sets first; runs whose name is not ``<twin model>-<tag>``
    are left out."""
    sets: dict[tuple[bool, str], RunSet] = {}
    for run in runs:
        model, tag = split_run_name(run.name)
        if not tag or twin_depth(model) is None:
            continue
        sets.setdefault((run.shipped, tag), RunSet(tag=tag, shipped=run.shipped)).runs[model] = run
    return sorted(sets.values(), key=lambda s: (not s.shipped, s.tag))


def run_sets() -> list[RunSet]:
    """Every tag with runs in the run store and the shipped runs, shipped sets first."""
    return group_runs(list_runs())


def twin_pairs() -> list[TwinPair]:
    """Every finished pair of twins with checkpoints, shipped ones first, deepest first within a set."""
    out = []
    for rs in run_sets():
        for d in sorted(rs.depths, reverse=True):
            pair = rs.pair(d)
            if all(r.checkpoint and not r.active for r in (pair.plain, pair.resnet)):
                out.append(pair)
    return out


def twin_runs(root: Path) -> list[tuple[str, Run, Run]]:
    """(tag, ResNet run, plain run) of every pair with weights in a run store (a session's), newest first.
    A pair shows as soon as both have a checkpoint, while they still train."""
    runs = [Run(p) for p in root.iterdir() if (p / "model.safetensors").is_file()] if root.is_dir() else []
    pairs = [rs.pair(d) for rs in group_runs(runs) for d in rs.depths]
    pairs.sort(key=lambda p: (p.resnet.path / "model.safetensors").stat().st_mtime, reverse=True)
    return [(p.tag, p.resnet, p.plain) for p in pairs]


def run_label(run: Run) -> Msg:
    """``ResNet-18 (fine-tuned from ImageNet)``: the architecture and how it was trained (a ``Msg``)."""
    mode, model = run.config.get("mode", "scratch"), display_name(run.model)
    if mode == "finetune":
        return Msg("{model} (fine-tuned from ImageNet)", model=model)
    if mode == "probe":
        return Msg("{model} (linear probe on ImageNet features)", model=model)
    return Msg("{model} (from scratch)", model=model)


def common_epoch_errors(runs: dict[str, Run]) -> tuple[int, dict[str, dict]]:
    """Errors of every run at the last epoch *all* of them have finished, so that a set still
    training (or stopped) is compared at equal training time: ``(epoch, {model: record})``."""
    epochs = {name: run.metrics("epoch") for name, run in runs.items()}
    common = min((len(e) for e in epochs.values()), default=0)
    return common, {name: e[common - 1] for name, e in epochs.items() if common}


def run_responses(run: Run, data: str, n: int) -> dict:
    """Layer responses (paper Figure 7) of a run's model on the first ``n`` test images of ``data``
    (class-balanced), with the settings stored beside the numbers."""
    import torch

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.models.weights import load_model
    from resnet_viz.probes.responses import layer_responses

    lm = load_model(run.config["model"], run.checkpoint)
    ds = get_dataset(data, "test", transform=lm.transforms())
    step = max(1, len(ds) // n)
    x = torch.stack([ds[i][0] for i in range(0, len(ds), step)][:n])
    return {"data": data, "images": len(x), "layers": layer_responses(lm.model, x)}


def logged_gradients(run: Run) -> dict:
    """The per-layer gradient norms a training run logged, in the shape ``plots.gradient_heatmaps``
    takes: ``{"layers", "norms" (step x layer), "steps", "loss"}``."""
    names = next((r["names"] for r in run.metrics("layers")), [])
    grads = run.metrics("grads")
    return {"model": run.config.get("model"), "layers": names, "norms": [g["norms"] for g in grads],
            "steps": [g["step"] for g in grads], "loss": []}


def stored(run: Run, kind: str) -> dict | None:
    """A probe result stored in the run folder, or None."""
    return read_json(run.path / f"{kind}.json", None)


def store(run: Run, kind: str, result: dict) -> Path | None:
    """Keep a result beside a local run (shipped runs are read-only: nothing is written)."""
    if run.shipped:
        return None
    path = run.path / f"{kind}.json"
    write_json(path, result)
    return path


def data_for(run: Run) -> str:
    """The data a run was trained on (what its lesion/landscape should be measured on): its own spec when
    that folder exists here, else ``cifar10`` (torchvision's copy) for runs trained on a CIFAR-10 copy
    that is not on this machine."""
    data = run.config.get("data") or "cifar10"
    if data.startswith("imagefolder:") and not Path(data.split(":", 1)[1]).is_dir() and "cifar" in data.lower():
        return "cifar10"
    return data


def shipped_study(name: str) -> dict | None:
    """A precomputed study that ships in ``assets/why/<name>.json`` (``{"rows", "provenance"}``), or None."""
    return read_json(assets_dir() / "why" / f"{name}.json", None)
