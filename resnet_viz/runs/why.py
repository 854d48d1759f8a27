""""Why it works" experiments on trained twins: which twins there are, and the lesion study and loss
landscape results stored beside their runs (the computations themselves are the CLI commands
``lesion`` and ``landscape``, run by the app as background jobs).

A probe result is stored beside the run it measured, as ``<run>/<kind>.json`` (``lesion.json``,
``landscape.json``): shipped runs carry precomputed ones (made by ``scripts/precompute_why.sh``),
local runs get theirs when the app or the CLI computes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resnet_viz.runs.store import Run, read_json, write_json
from resnet_viz.runs.twins import run_sets


@dataclass
class TwinPair:
    """A plain run and its ResNet twin of the same depth and training set."""

    tag: str
    depth: int
    plain: Run
    resnet: Run
    shipped: bool

    def label(self) -> str:
        data = self.resnet.provenance.get("data_label") or self.resnet.config.get("data", "?")
        where = "shipped" if self.shipped else "trained here"
        return f"Plain-{self.depth} vs ResNet-{self.depth}: {self.tag}, {data} ({where})"

    @property
    def runs(self) -> dict[str, Run]:
        return {f"plain{self.depth}": self.plain, f"resnet{self.depth}": self.resnet}


def twin_pairs() -> list[TwinPair]:
    """Every finished pair of twins with checkpoints, shipped ones first, deepest first within a set."""
    out = []
    for rs in run_sets():
        for d in sorted(rs.depths, reverse=True):
            p, r = rs.runs[f"plain{d}"], rs.runs[f"resnet{d}"]
            if p.checkpoint and r.checkpoint and not p.active and not r.active:
                out.append(TwinPair(rs.tag, d, p, r, rs.shipped))
    return out


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
    from resnet_viz.env import assets_dir

    return read_json(assets_dir() / "why" / f"{name}.json", None)
