"""Lesion study (Veit, Wilber and Belongie 2016, "Residual networks behave like ensembles of
relatively shallow networks").

Delete one residual block of a trained ResNet and keep its shortcut: the block's output becomes
``relu(shortcut(x))`` (``x`` itself where the shape does not change; option A's subsample-and-pad
or option B's projection at a downsampling block). The paper finds that the test error barely moves,
except at downsampling blocks: the network behaves like an ensemble of many paths of different
lengths, and deleting a block only removes half of them. A plain net has no shortcut, so its block is
replaced by the identity where the shapes allow it (a downsampling block cannot be removed), and its
error jumps towards chance: every path goes through every layer.

Algorithm (fast on a CPU): the data are a fixed tensor of test images; per chunk of images the stem
and the intact blocks are run once, and each single-block lesion reuses the intact activation at the
block's input, so removing each of ``n`` blocks costs about ``n/2`` full forward passes instead of
``n``. Everything runs under ``inference_mode`` on the model as given (read-only: no hooks, no
mode change), so a shared cached model can be used.

Also here: delete ``k`` random removable blocks at once (error vs ``k``), and reorder blocks by
swapping random pairs of same-shape blocks inside a stage (error vs number of swaps), both from the
same paper. The sentences that read the errors to students are in ``resnet_viz.lessons.lesion``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.probes._model import autocast_for, has_skip, model_device, residual_blocks

Progress = Callable[[int, int], None]


@dataclass
class BlockLesion:
    """The test error with one block removed (``error`` is None where it cannot be removed)."""

    name: str  # module name, e.g. layer2.0
    index: int  # position in forward order (0 = first block)
    stage: int  # 1-based stage (layer1 -> 1)
    downsampling: bool  # changes resolution or width
    error: float | None  # fraction of test images misclassified


@dataclass
class LesionResult:
    model: str
    n_images: int
    intact_error: float
    blocks: list[BlockLesion]
    random: list[dict] = field(default_factory=list)  # {"k", "errors": [...], "mean"} per k
    reorder: list[dict] = field(default_factory=list)  # {"swaps", "errors": [...], "mean"} per count
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)  # provenance: weights, data, seed, ...

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> LesionResult:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["blocks"] = [BlockLesion(**b) for b in d["blocks"]]
        return cls(**known)

    def removable_errors(self, *, downsampling: bool | None = False) -> list[float]:
        return [b.error for b in self.blocks if b.error is not None
                and (downsampling is None or b.downsampling == downsampling)]


# ----------------------------------------------------------------------------- structure

def _convs(block: nn.Module) -> list[nn.Conv2d]:
    return [m for n, m in block.named_children() if isinstance(m, nn.Conv2d)]


def is_downsampling(block: nn.Module) -> bool:
    """True when the block changes the resolution or the number of channels."""
    convs = _convs(block)
    return (any(c.stride != (1, 1) for c in convs)
            or convs[0].in_channels != convs[-1].out_channels)


def removable(block: nn.Module) -> bool:
    """A ResNet block always (its shortcut stays); a plain block only where the shape is unchanged."""
    return has_skip(block) or not is_downsampling(block)


def without_block(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What a removed block passes on: its shortcut (``x`` for a plain block of unchanged shape)."""
    if not has_skip(block):
        return x
    if hasattr(block, "shortcut"):  # CIFAR block: identity or option A/B/C
        return F.relu(block.shortcut(x))
    return F.relu(x if block.downsample is None else block.downsample(x))  # torchvision block


def _stem(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = model.relu(model.bn1(model.conv1(x)))
    return model.maxpool(x) if hasattr(model, "maxpool") else x


def _head(model: nn.Module, h: torch.Tensor) -> torch.Tensor:
    return model.fc(torch.flatten(model.avgpool(h), 1))


def _blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    blocks = residual_blocks(model)
    if not blocks or not all(hasattr(model, a) for a in ("conv1", "bn1", "relu", "avgpool", "fc")):
        raise ValueError(f"{type(model).__name__} is not a ResNet-style model (stem, blocks, pool, fc)")
    return blocks


def block_table(model: nn.Module) -> list[dict]:
    """``[{"name", "index", "stage", "downsampling", "removable"}]`` in forward order."""
    return [{"name": n, "index": i, "stage": int(n.split(".")[0].removeprefix("layer") or 0),
             "downsampling": is_downsampling(b), "removable": removable(b)}
            for i, (n, b) in enumerate(_blocks(model))]


# ----------------------------------------------------------------------------- forward passes

@torch.inference_mode()
def forward_with(model: nn.Module, x: torch.Tensor, *, removed: Sequence[int] = (),
                 order: Sequence[int] | None = None) -> torch.Tensor:
    """Logits with the blocks at ``removed`` deleted and the blocks run in ``order`` (default: as built)."""
    blocks = [b for _, b in _blocks(model)]
    gone = set(removed)
    h = _stem(model, x)
    for i in (order if order is not None else range(len(blocks))):
        h = without_block(blocks[i], h) if i in gone else blocks[i](h)
    return _head(model, h)


def _chunks(x: torch.Tensor, y: torch.Tensor, batch_size: int, device: torch.device):
    for i in range(0, len(x), batch_size):
        yield x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)


def _wrong(logits: torch.Tensor, y: torch.Tensor) -> int:
    return int((logits.argmax(1) != y).sum())


@torch.inference_mode()
def single_block_lesions(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 250,
                         progress: Progress | None = None) -> tuple[float, list[BlockLesion]]:
    """Intact error and the error with each block removed in turn (prefix activations shared)."""
    named = _blocks(model)
    blocks = [b for _, b in named]
    ok = [removable(b) for b in blocks]
    n = len(blocks)
    wrong = [0] * n
    intact = 0
    dev = model_device(model)
    total = -(-len(x) // batch_size)
    for c, (xb, yb) in enumerate(_chunks(x, y, batch_size, dev)):
        with autocast_for(dev):
            h = _stem(model, xb)
            for i, block in enumerate(blocks):
                if ok[i]:
                    g = without_block(block, h)
                    for later in blocks[i + 1:]:
                        g = later(g)
                    wrong[i] += _wrong(_head(model, g), yb)
                h = block(h)
            intact += _wrong(_head(model, h), yb)
        if progress:
            progress(c + 1, total)
    m = len(x)
    rows = [BlockLesion(name=name, index=i, stage=int(name.split(".")[0].removeprefix("layer") or 0),
                        downsampling=is_downsampling(b), error=wrong[i] / m if ok[i] else None)
            for i, (name, b) in enumerate(named)]
    return intact / m, rows


@torch.inference_mode()
def error_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, removed: Sequence[int] = (),
             order: Sequence[int] | None = None, batch_size: int = 250) -> float:
    dev = model_device(model)
    wrong = 0
    for xb, yb in _chunks(x, y, batch_size, dev):
        with autocast_for(dev):
            wrong += _wrong(forward_with(model, xb, removed=removed, order=order), yb)
    return wrong / len(x)


def random_deletions(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, ks: Sequence[int] | None = None,
                     draws: int = 3, seed: int = 0, batch_size: int = 250,
                     progress: Progress | None = None) -> list[dict]:
    """Error with ``k`` random removable blocks deleted at once, ``draws`` random sets per ``k``.

    Downsampling blocks are left in (a plain net cannot lose them, and Veit et al. delete only the
    others), so both twins lose the same kind of block. ``ks`` defaults to 1..(number removable).
    """
    table = block_table(model)
    pool = [r["index"] for r in table if r["removable"] and not r["downsampling"]]
    ks = list(ks) if ks is not None else list(range(1, len(pool) + 1))
    ks = [k for k in ks if 1 <= k <= len(pool)]
    rng = random.Random(seed)
    out, done, total = [], 0, len(ks) * draws
    for k in ks:
        errors = []
        for _ in range(draws):
            gone = rng.sample(pool, k)
            errors.append(error_of(model, x, y, removed=gone, batch_size=batch_size))
            done += 1
            if progress:
                progress(done, total)
        out.append({"k": k, "errors": errors, "mean": sum(errors) / len(errors)})
    return out


def reorderings(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, swaps: Sequence[int] = (1, 2, 4, 8),
                draws: int = 3, seed: int = 0, batch_size: int = 250, progress: Progress | None = None) -> list[dict]:
    """Error after swapping ``s`` random pairs of same-shape (non-downsampling) blocks within a stage."""
    table = block_table(model)
    by_stage: dict[int, list[int]] = {}
    for r in table:
        if not r["downsampling"]:
            by_stage.setdefault(r["stage"], []).append(r["index"])
    pairs = [(a, b) for v in by_stage.values() for j, a in enumerate(v) for b in v[j + 1:]]
    swaps = [s for s in swaps if 1 <= s <= len(pairs)]
    rng = random.Random(seed)
    out, done, total = [], 0, len(swaps) * draws
    for s in swaps:
        errors, moved = [], []
        for _ in range(draws):
            order = list(range(len(table)))
            for a, b in rng.sample(pairs, s):  # s distinct pairs, so a swap is never undone by its repeat
                order[a], order[b] = order[b], order[a]
            moved.append(sum(i != o for i, o in enumerate(order)))
            errors.append(error_of(model, x, y, order=order, batch_size=batch_size))
            done += 1
            if progress:
                progress(done, total)
        out.append({"swaps": s, "errors": errors, "mean": sum(errors) / len(errors),
                    "blocks_moved": moved})
    return out


def lesion_study(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, name: str = "", random_draws: int = 0,
                 ks: Sequence[int] | None = None, swaps: Sequence[int] = (), seed: int = 0, batch_size: int = 250,
                 progress: Progress | None = None) -> LesionResult:
    """Single-block lesions, plus random multi-block deletions (``random_draws`` > 0) and reorderings."""
    t0 = time.perf_counter()
    n_blocks = len(_blocks(model))
    n_removable = sum(r["removable"] and not r["downsampling"] for r in block_table(model))
    n_ks = len([k for k in (ks if ks is not None else range(1, n_removable + 1)) if 1 <= k <= n_removable])
    # progress in units of "one full forward pass over x": the sweep costs about n_blocks / 2 of them
    parts = [max(1, n_blocks // 2), n_ks * random_draws if random_draws else 0,
             len(swaps) * max(1, random_draws or 3) if swaps else 0]
    total = sum(parts)

    def part(offset: int, size: int):
        if progress is None:
            return None
        return lambda done, of: progress(offset + round(size * done / max(1, of)), total)

    intact, rows = single_block_lesions(model, x, y, batch_size=batch_size, progress=part(0, parts[0]))
    res = LesionResult(model=name, n_images=len(x), intact_error=intact, blocks=rows)
    if random_draws:
        res.random = random_deletions(model, x, y, ks=ks, draws=random_draws, seed=seed, batch_size=batch_size,
                                      progress=part(parts[0], parts[1]))
    if swaps:
        res.reorder = reorderings(model, x, y, swaps=swaps, draws=max(1, random_draws or 3), seed=seed,
                                  batch_size=batch_size, progress=part(parts[0] + parts[1], parts[2]))
    res.seconds = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------- data

def balanced_subset(targets: Sequence[int], n: int, *, seed: int = 0) -> list[int]:
    """Indices of ``n`` items with (nearly) equal counts per class, fixed for a seed, in data order."""
    by_class: dict[int, list[int]] = {}
    for i, t in enumerate(targets):
        by_class.setdefault(int(t), []).append(i)
    rng = random.Random(seed)
    for idx in by_class.values():
        rng.shuffle(idx)
    classes = sorted(by_class)
    picked: list[int] = []
    r = 0
    while len(picked) < n and any(r < len(by_class[c]) for c in classes):
        for c in classes:
            if r < len(by_class[c]) and len(picked) < n:
                picked.append(by_class[c][r])
        r += 1
    return sorted(picked)


def load_tensors(dataset, indices: Sequence[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``dataset[i]`` (already transformed to tensors) into ``x (N, C, H, W)`` and ``y (N,)``."""
    idx = range(len(dataset)) if indices is None else indices
    xs, ys = [], []
    for i in idx:
        xi, yi = dataset[i]
        xs.append(xi)
        ys.append(int(yi))
    return torch.stack(xs), torch.tensor(ys)
