"""Loss landscapes (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets").

A slice of the training loss around the trained weights ``theta`` along random directions::

    L(a)    = loss(theta + a * d1)                 1-D: a line
    L(a, b) = loss(theta + a * d1 + b * d2)        2-D: a surface, a and b in [-span, span]

The directions are *filter-normalised* so that plots of different networks can be compared: for
every weight tensor with more than one dimension (conv and linear weights) ``d ~ N(0, 1)`` is
drawn with the same shape and each filter (slice along dim 0) is rescaled so that
``||d_f|| = ||theta_f||``. A network with ReLUs and BatchNorm is nearly invariant to the scale of
a filter, so an unnormalised direction would move small-norm filters a lot and large-norm ones
hardly at all; after normalisation ``a = 1`` means "a step as large as every filter itself".
Parameters with one dimension or none (BatchNorm weight/bias, biases) get direction 0 (the paper's
``--xignore biasbn``) and BatchNorm running statistics are left as they are.

Design choices:

* ``loss_landscape`` never touches the model it is given (it may be a cached model shared with other
  sessions' threads): it works on a ``private_copy`` in eval mode (BatchNorm uses its running
  statistics, as in the paper's code), with any hooks copied along removed, and writes
  ``theta0 + a * d1 + b * d2`` into the copy's parameters in place for each grid point (no new model
  per point, no autograd: everything runs under ``torch.inference_mode``).
* Directions are drawn on the CPU from ``torch.Generator().manual_seed(seed)`` in parameter order,
  one ``randn`` per weight tensor (none for the skipped 1-D parameters): the same seed gives the same
  numbers on every device, and a plain net and its ResNet twin (same parameter names and shapes with
  option A shortcuts) get the very same random draws, each rescaled to its own filters.
* The images are evaluated in ``batch_size`` chunks; the loss of a grid point is the mean over all
  images (``loss_fn`` must return a batch mean; chunks are weighted by their size).
* Speed: a 21 x 21 grid is 441 forward passes over the images, so the pass is made cheap. Each
  eval-mode BatchNorm that directly follows a conv is folded into it (BatchNorm was 17 % of a
  ResNet-20 forward pass on the CPU; see ``resnet_viz.probes.folding``), and inputs and conv weights are in
  channels_last memory format (faster with oneDNN on the CPU and with cuDNN). Together about 1.5x
  the grid points per second of a plain eval-mode pass on a CPU (``benchmarks/landscape.py``).
  bf16 autocast on CUDA, fp32 elsewhere.
* The numbers that describe a surface (``landscape_stats``) are read off the grid: loss at the
  centre and on the rim, the share of interior points where the slice is not locally convex (its
  discrete 2 x 2 Hessian has a negative eigenvalue), the number of local minima, and the share of
  grid points from which "rolling downhill" to the lowest neighbour ends in the global minimum.
  The sentences that read them to students are in ``resnet_viz.lessons.landscape``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.probes._model import autocast_for, model_device, private_copy
from resnet_viz.probes.folding import fold_batchnorm

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Progress = Callable[[int, int], Any]


# ----------------------------------------------------------------------------- directions

def filter_normalized_direction(model: nn.Module, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """A random direction in parameter space, filter-normalised to ``model``'s weights.

    Returns ``{parameter name: direction}`` for every parameter of ``model`` (same shape, dtype and
    device). Weights with ``dim > 1``: ``d ~ N(0, 1)`` drawn from ``generator`` (a CPU generator,
    so the numbers do not depend on the device), then each filter ``d[f]`` is scaled to the norm of
    ``theta[f]``. Parameters with ``dim <= 1`` (BatchNorm, biases): zeros, and nothing is drawn for
    them. ``model`` is only read.
    """
    out: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            w = p.detach()
            if w.dim() <= 1:
                out[name] = torch.zeros_like(w)
                continue
            d = torch.randn(tuple(w.shape), generator=generator, dtype=torch.float32)  # same shape as w
            d_f = d.view(d.shape[0], -1)  # (filters, fan_in): a view, scaled in place
            w_f = w.float().reshape(w.shape[0], -1).cpu()  # (filters, fan_in)
            d_f.mul_(w_f.norm(dim=1, keepdim=True) / (d_f.norm(dim=1, keepdim=True) + 1e-10))
            out[name] = d.to(device=w.device, dtype=w.dtype)
    return out


def grid(span: float, steps: int) -> list[float]:
    """``steps`` evenly spaced coordinates from ``-span`` to ``span``, exactly symmetric; with an odd
    ``steps`` the middle one is exactly 0 (the trained weights)."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2, not {steps}")
    return [span * (2 * i - (steps - 1)) / (steps - 1) for i in range(steps)]


# ----------------------------------------------------------------------------- result

def _finite_or_none(v):
    """JSON has no NaN/Infinity: non-finite floats (nested in dicts and lists) become null."""
    if isinstance(v, dict):
        return {k: _finite_or_none(u) for k, u in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite_or_none(u) for u in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _none_to_nan(v):
    if isinstance(v, list):
        return [_none_to_nan(u) for u in v]
    return float("nan") if v is None else v


@dataclass
class LandscapeResult:
    """A 1-D or 2-D loss slice. ``loss[j][i]`` is the loss at ``(alphas[i], betas[j])`` (2-D) and
    ``loss[i]`` the loss at ``alphas[i]`` (1-D, ``betas is None``); ``accuracy`` has the same shape
    (fractions), or is ``None`` when the targets are not class labels."""

    model: str  # label, e.g. "resnet56"
    alphas: list[float]
    betas: list[float] | None  # None for a 1-D slice
    loss: list  # [len(betas)][len(alphas)] or [len(alphas)]
    accuracy: list | None
    n_images: int
    seed: int  # directions come from torch.Generator().manual_seed(seed)
    span: float
    steps: int
    seconds: float = float("nan")  # wall time of the whole computation (copy, directions, all points)
    device: str = "cpu"
    settings: dict = field(default_factory=dict)  # provenance: weights, data, loss, ...

    @property
    def dims(self) -> int:
        return 1 if self.betas is None else 2

    @property
    def points(self) -> int:
        return len(self.alphas) * (1 if self.betas is None else len(self.betas))

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else float("nan")

    def loss_array(self) -> np.ndarray:
        """The loss as a float array, (len(betas), len(alphas)) or (len(alphas),)."""
        return np.asarray(_none_to_nan(self.loss), dtype=float)

    def to_json(self) -> dict:
        """A JSON-safe dict (non-finite numbers become ``null``)."""
        d = asdict(self)
        d["kind"] = "loss_landscape"
        return _finite_or_none(d)

    @classmethod
    def from_json(cls, d: dict | str) -> LandscapeResult:
        """Inverse of ``to_json`` (also takes the JSON text); ``null`` numbers come back as NaN."""
        if isinstance(d, str):
            d = json.loads(d)
        if d.get("kind", "loss_landscape") != "loss_landscape":
            raise ValueError(f"not a loss landscape: kind {d.get('kind')!r}")
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for k in ("loss", "accuracy"):
            if known.get(k) is not None:
                known[k] = _none_to_nan(known[k])
        if known.get("seconds") is None:
            known["seconds"] = float("nan")
        return cls(**known)

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``to_json()`` to ``path`` atomically (a temp file, then ``os.replace``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json()))
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> LandscapeResult:
        return cls.from_json(json.loads(Path(path).read_text()))


# ----------------------------------------------------------------------------- computation

def _like(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``t`` copied into a tensor with ``p``'s memory format (channels_last weights stay so)."""
    return torch.empty_like(p).copy_(t)


def _is_class_labels(y: torch.Tensor) -> bool:
    return y.dim() == 1 and not y.is_floating_point() and not y.is_complex()


class Moving(NamedTuple):
    """The tensors that move on the grid: the copy's weights, their values at theta0 and their
    directions (``vs`` empty for a 1-D slice). 1-D parameters are not here: they stay at theta0."""

    params: list[torch.Tensor]
    theta0s: list[torch.Tensor]
    us: list[torch.Tensor]
    vs: list[torch.Tensor]

    def place(self, a: float, b: float) -> None:
        """Write theta0 + a * d1 + b * d2 into the parameters (multi-tensor ops: 3 launches)."""
        torch._foreach_copy_(self.params, self.theta0s)
        torch._foreach_add_(self.params, self.us, alpha=a)
        if self.vs:
            torch._foreach_add_(self.params, self.vs, alpha=b)


def _check_args(x: torch.Tensor, y: torch.Tensor, dims: int, span: float) -> None:
    if dims not in (1, 2):
        raise ValueError(f"dims must be 1 or 2, not {dims}")
    if not span > 0:
        raise ValueError(f"span must be > 0, not {span}")
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"need as many targets as inputs (and at least one): {len(x)} inputs, {len(y)} targets")


def _prepare(model: nn.Module, sample: torch.Tensor, *, dims: int, seed: int, dev: torch.device, fold_bn: bool,
             channels_last: bool) -> tuple[nn.Module, Moving, int]:
    """The private copy to evaluate (folded where that is exact), its moving tensors, and the number
    of folded BatchNorms. The directions are drawn in the model's own parameters, before any folding."""
    net = private_copy(model, device=dev, requires_grad=False)
    gen = torch.Generator().manual_seed(seed)
    d1 = filter_normalized_direction(net, gen)
    d2 = filter_normalized_direction(net, gen) if dims == 2 else None
    scales: dict[str, torch.Tensor] | None = {}
    if fold_bn:
        scales = fold_batchnorm(net, sample.to(dev))
        if scales is None:  # folding changed the output: start again from a fresh copy, unfolded
            net, scales = private_copy(model, device=dev, requires_grad=False), {}
    if channels_last:
        net.to(memory_format=torch.channels_last)
    moving = Moving([], [], [], [])
    with torch.no_grad():
        for pname, p in net.named_parameters():
            if p.dim() > 1:
                s = scales.get(pname)
                s = 1.0 if s is None else s.to(p.dtype).view(-1, *([1] * (p.dim() - 1)))  # a folded conv: d * s
                moving.params.append(p)
                moving.theta0s.append(p.detach().clone())
                moving.us.append(_like(p, d1[pname] * s))
                if d2 is not None:
                    moving.vs.append(_like(p, d2[pname] * s))
    return net, moving, len(scales)


@torch.inference_mode()
def _evaluate_grid(net: nn.Module, moving: Moving, xs: list[torch.Tensor], ys: list[torch.Tensor], *,
                   alphas: list[float], betas: list[float] | None, loss_fn: LossFn, labels: bool,
                   progress: Progress | None) -> tuple[list[list[float]], list[list[float]]]:
    """Loss and accuracy rows (one per beta; one row for a 1-D slice) over all the chunks ``xs, ys``."""
    dev = xs[0].device
    n = sum(len(c) for c in ys)
    total = len(alphas) * (len(betas) if betas else 1)
    loss_grid: list[list[float]] = []
    acc_grid: list[list[float]] = []
    done = 0
    for b in betas if betas is not None else [0.0]:
        loss_row, acc_row = [], []
        for a in alphas:
            moving.place(a, b)
            loss_sum = torch.zeros((), dtype=torch.float64, device=dev)
            correct = torch.zeros((), dtype=torch.int64, device=dev)
            for xc, yc in zip(xs, ys):
                with autocast_for(dev):
                    out = net(xc)
                if out.dtype in (torch.float16, torch.bfloat16):
                    out = out.float()  # (B, classes): the loss in fp32 (fp64 models stay fp64)
                loss_sum += loss_fn(out, yc).double() * len(yc)
                if labels:
                    correct += (out.argmax(1) == yc).sum()
            loss_row.append(float(loss_sum) / n)
            acc_row.append(int(correct) / n if labels else float("nan"))
            done += 1
            if progress is not None:
                progress(done, total)
        loss_grid.append(loss_row)
        acc_grid.append(acc_row)
    return loss_grid, acc_grid


def loss_landscape(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    dims: int = 2,
    steps: int = 21,
    span: float = 1.0,
    seed: int = 0,
    batch_size: int = 256,
    loss_fn: LossFn | None = None,
    progress: Progress | None = None,
    device: str | torch.device | None = None,
    name: str = "model",
    channels_last: bool | None = None,
    fold_bn: bool = True,
) -> LandscapeResult:
    """The loss on the grid ``theta + a * d1 (+ b * d2)``, ``a, b`` in ``grid(span, steps)``.

    ``x``: (N, ...) inputs, already preprocessed (e.g. (N, 3, 32, 32) normalised training images);
    ``y``: (N,) class labels (or any targets ``loss_fn`` understands). ``loss_fn(output, y)`` must
    return the mean over its batch (default: cross-entropy); accuracy is recorded when ``y`` holds
    class labels. ``progress(done, total)`` is called after every grid point. ``device``: where to
    compute (default: the model's device). ``channels_last``: default on for 4-D inputs.
    ``fold_bn``: fold BatchNorm into the preceding conv (the same numbers up to rounding, faster).
    ``model`` is left exactly as it was (see the module docstring).
    """
    _check_args(x, y, dims, span)
    t_start = time.perf_counter()
    dev = torch.device(device) if device is not None else model_device(model)
    alphas = grid(span, steps)
    betas = grid(span, steps) if dims == 2 else None
    loss_fn = loss_fn or F.cross_entropy
    cl = (x.dim() == 4) if channels_last is None else channels_last
    fmt = torch.channels_last if cl else torch.contiguous_format
    labels = _is_class_labels(y)
    net, moving, folded = _prepare(model, x[:4], dims=dims, seed=seed, dev=dev, fold_bn=fold_bn, channels_last=cl)
    xs = [c.to(dev).contiguous(memory_format=fmt) if c.dim() == 4 else c.to(dev) for c in x.split(batch_size)]
    ys = [c.to(dev) for c in y.split(batch_size)]
    loss_grid, acc_grid = _evaluate_grid(net, moving, xs, ys, alphas=alphas, betas=betas, loss_fn=loss_fn,
                                         labels=labels, progress=progress)
    del net, moving
    loss_out = loss_grid if betas is not None else loss_grid[0]
    acc_out = (acc_grid if betas is not None else acc_grid[0]) if labels else None
    return LandscapeResult(
        model=name, alphas=alphas, betas=betas, loss=loss_out, accuracy=acc_out, n_images=len(x), seed=seed,
        span=float(span), steps=steps, seconds=time.perf_counter() - t_start, device=str(dev),
        settings={"loss": getattr(loss_fn, "__name__", type(loss_fn).__name__), "batch_size": batch_size,
                  "channels_last": cl, "folded_batchnorm": folded,
                  "directions": "filter-normalised, biasbn ignored"},
    )


def landscape_batch(
    spec: str,
    n: int,
    meta: Any = None,
    *,
    seed: int = 0,
    split: str = "train",
) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed, seeded random subset of ``n`` training images ``(x (n, 3, S, S), y (n,))``.

    ``spec``: ``shapes``, ``cifar10`` or ``imagefolder:PATH``; ``meta``: the model's ``ModelMeta``
    (input size and normalisation; default: 32 px and the ImageNet mean/std the CIFAR nets use).
    No augmentation: the landscape is the loss of the images as they are.
    """
    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD
    from resnet_viz.models.weights import ModelMeta, make_transform

    if meta is None:
        meta = ModelMeta(arch="", num_classes=10, categories=None, input_size=32, resize_size=32,
                         mean=IMAGENET_MEAN, std=IMAGENET_STD)
    ds = get_dataset(spec, split, transform=make_transform(meta))
    idx = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed))[:n].tolist()
    xs, ys = zip(*(ds[i] for i in idx))
    return torch.stack(xs), torch.tensor(ys)


# ----------------------------------------------------------------------------- numbers from a surface

_NEIGHBOURS_2D = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
_NEIGHBOURS_1D = [(0, -1), (0, 1)]


def _basin_fraction(z: np.ndarray, neighbours: list[tuple[int, int]]) -> float:
    """Share of grid points from which stepping to the lowest lower neighbour, again and again, ends
    at the global minimum (a ball rolling downhill on the grid). NaN counts as +inf."""
    rows, cols = z.shape
    target = np.unravel_index(int(np.argmin(z)), z.shape)
    end: dict[tuple[int, int], tuple[int, int]] = {}

    def next_point(j: int, i: int) -> tuple[int, int]:
        best, at = z[j, i], (j, i)
        for dj, di in neighbours:
            jj, ii = j + dj, i + di
            if 0 <= jj < rows and 0 <= ii < cols and z[jj, ii] < best:
                best, at = z[jj, ii], (jj, ii)
        return at

    hits = 0
    for j in range(rows):
        for i in range(cols):
            path, at = [], (j, i)
            while at not in end:
                path.append(at)
                nxt = next_point(*at)
                if nxt == at:
                    end[at] = at
                    break
                at = nxt
            for q in path:
                end[q] = end[at]
            hits += end[(j, i)] == target
    return hits / z.size


def landscape_stats(result: LandscapeResult) -> dict:
    """Numbers that describe a slice, all read off the grid.

    centre_loss / centre_accuracy  at the grid point nearest (0, 0): the model's own weights
    min_loss, min_at, max_loss     lowest and highest loss on the grid; min_at = (alpha, beta)
    rim_loss, rim_ratio            mean loss on the edge of the square (|a| or |b| = span; the two
                                   ends in 1-D), and rim_loss / centre_loss
    nonconvex_fraction             share of interior points where the slice is not locally convex:
                                   the discrete 2 x 2 Hessian has a negative eigenvalue (1-D: the
                                   second difference is negative)
    concave_fraction               share of interior points with a negative discrete Laplacian
                                   (curving down on average: a ridge or a cap)
    local_minima                   interior points lower than all 8 neighbours (2 in 1-D)
    basin_fraction                 share of all points from which rolling downhill to the lowest
                                   neighbour ends at the global minimum (1.0 for a single bowl)
    Tiny curvatures (below 1e-5 of the largest loss, in grid units) count as flat, not non-convex.
    """
    z = result.loss_array()
    one_d = z.ndim == 1
    z2 = z[None, :] if one_d else z  # (rows = betas, cols = alphas)
    a = np.asarray(result.alphas, dtype=float)
    b = np.asarray(result.betas if result.betas is not None else [0.0], dtype=float)
    jc, ic = int(np.argmin(np.abs(b))), int(np.argmin(np.abs(a)))
    centre = float(z2[jc, ic])
    acc = result.accuracy
    centre_acc = float("nan") if acc is None else float(np.asarray(_none_to_nan(acc), dtype=float).reshape(
        z2.shape)[jc, ic])
    finite = np.isfinite(z2)
    zf = np.where(np.isnan(z2), np.inf, z2)  # NaN (overflow) ranks above every number
    rim_mask = np.zeros(z2.shape, dtype=bool)
    rim_mask[:, [0, -1]] = True
    if not one_d:
        rim_mask[[0, -1], :] = True
    rim = float(np.mean(z2[rim_mask]))
    tol = 1e-5 * max(1.0, float(np.max(np.abs(z2[finite])))) if finite.any() else 0.0
    jm, im = np.unravel_index(int(np.argmin(zf)), z2.shape)
    c = z2[:, 1:-1] if one_d else z2[1:-1, 1:-1]  # interior values
    if one_d:
        d2 = z2[:, 2:] + z2[:, :-2] - 2 * c  # second difference (grid units)
        nonconvex = d2 < -tol
        concave = nonconvex
        neighbours = _NEIGHBOURS_1D
    else:
        haa = z2[1:-1, 2:] + z2[1:-1, :-2] - 2 * c  # along alpha (grid units)
        hbb = z2[2:, 1:-1] + z2[:-2, 1:-1] - 2 * c
        hab = (z2[2:, 2:] - z2[2:, :-2] - z2[:-2, 2:] + z2[:-2, :-2]) / 4
        with np.errstate(invalid="ignore"):
            lam_min = (haa + hbb) / 2 - np.sqrt(((haa - hbb) / 2) ** 2 + hab ** 2)
        nonconvex = lam_min < -tol
        concave = haa + hbb < -tol
        neighbours = _NEIGHBOURS_2D
    interior = max(c.size, 1)
    rows, cols = z2.shape
    inner = zf[:, 1:-1] if one_d else zf[1:-1, 1:-1]
    is_min = np.isfinite(inner)
    for dj, di in neighbours:
        nb = zf[:, 1 + di: cols - 1 + di] if one_d else zf[1 + dj: rows - 1 + dj, 1 + di: cols - 1 + di]
        is_min &= inner < nb
    return {
        "centre_loss": centre,
        "centre_accuracy": centre_acc,
        "min_loss": float(z2[jm, im]),
        "min_at": (float(a[im]), float(b[jm]) if not one_d else None),
        "max_loss": float(np.max(zf)),
        "rim_loss": rim,
        "rim_ratio": rim / centre if centre > 0 else float("nan"),
        "nonconvex_fraction": float(np.sum(nonconvex)) / interior,
        "concave_fraction": float(np.sum(concave)) / interior,
        "local_minima": int(np.sum(is_min)),
        "basin_fraction": _basin_fraction(zf, neighbours),
        "finite": bool(finite.all()),
    }
