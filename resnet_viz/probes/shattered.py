"""Shattered gradients (Balduzzi et al. 2017): how fast the input gradient changes along a line of inputs.

Walk along the straight line x(t) = (1 - t) a + t b, t in [0, 1], between two images and take the
gradient g(t) = d f(x(t)) / dx of one scalar output f (a logit) at each of ``n`` evenly spaced points.
In a shallow or residual net, g(t) changes slowly: nearby inputs get nearly the same gradient (the paper
calls such a gradient "brown noise"). In a deep plain net it changes so fast that gradients at
neighbouring points are nearly unrelated ("white noise"). The paper shows that the correlation
decays exponentially with depth without skip connections and sublinearly with them.

What is measured (``line_gradients``):

* ``corr[k]``: the autocorrelation of the gradient along the line, the Pearson correlation between
  the flattened gradients g(t_i) and g(t_{i+k}) (over the C*H*W input coordinates), averaged over
  all pairs i, for lags k = 0 .. n // 2. ``corr[0] = 1``; a linear model has ``corr[k] = 1`` for all k.
* ``lag1 = corr[1]``: how alike the gradients of neighbouring points are.
* ``correlation_length``: the lag (in steps, and in units of t) at which ``corr`` first falls below
  1/e, linearly interpolated between the two lags around the crossing; ``math.inf`` when it never does
  within n // 2 lags ("longer than half the line"). A value below 1 only says "shorter than one step":
  the line is too coarse to resolve it (zoom in with ``span`` in the studies).
* Two 1-D curves to plot: the directional derivative df/dt = g(t) . (b - a), and one input
  coordinate's gradient (default: channel 0 of the centre pixel).

BatchNorm and per-input gradients. In train mode BatchNorm normalises with the statistics of the batch,
so the output at one point (and its gradient) would depend on the other points of the batch, and on
how the line is cut into chunks. Every gradient here is taken in eval mode, on a private copy of the
model, so each point's gradient is that of a fixed function of that point alone. A trained model is
used with its own running statistics. A model whose BatchNorm layers have never seen data (fresh
from initialisation: running mean 0, variance 1) is first *calibrated*: its running statistics are
reset and set, in one train-mode forward pass with ``momentum=None`` under ``no_grad``, to the exact
statistics of a calibration batch, by default the line itself. We chose the line rather than noise
because those are the statistics train-mode BatchNorm would use if the line were the batch (the paper's
setting of a net at initialisation, without the coupling between points); statistics of other images
would leave the activations on the line unnormalised, by a factor that can compound layer after layer.

Measured here at initialisation (3 seeds, 256 points between the photos "cat (chelsea)" and "coffee cup"
at 32x32, logit of the class predicted at the cat): lag-1 correlation plain / ResNet 0.72 / 0.94 at 20
layers, 0.00 / 0.85 at 56, 0.00 / 0.75 at 110; correlation length 3.5 / 21, <1 / 7.8, <1 / 4.3 steps.
Zooming in (``span``), plain-56's correlation length is about 1e-5 of the line, ResNet-56's 0.03.
The shipped trained plain-20 and ResNet-20 both give 0.99 (lengths 78 and 71 steps): no difference.

Safety on a shared model: the given model is never modified. The work happens on a
``private_copy`` (milliseconds for a CIFAR net) with ``requires_grad`` switched off on the copy's
parameters; input gradients come from ``torch.autograd.grad``, so no ``.grad`` is written, no hook
is registered and the caller's BatchNorm statistics, train/eval flag and ``requires_grad`` flags
stay as they were. The sentences that read the rows to students are in ``resnet_viz.lessons.shattered``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

import torch
from torch import nn

from resnet_viz.probes._model import build_at_init, model_device, private_copy

INV_E = math.exp(-1.0)  # the correlation-length threshold
BNMode = Literal["auto", "eval", "calibrate"]
DEFAULT_PHOTOS = ("cat (chelsea)", "coffee cup")  # endpoints of the default line (resnet_viz.data.samples)


# ----------------------------------------------------------------------------- the line

def line_inputs(a: torch.Tensor, b: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` evenly spaced points ``(1 - t) a + t b``, t = 0, 1/(n-1), ..., 1, stacked as (n, C, H, W).

    ``a`` and ``b`` are single images, (C, H, W) or (1, C, H, W).
    """
    a, b = _single(a), _single(b)
    if a.shape != b.shape:
        raise ValueError(f"the two ends of the line differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    if n < 2:
        raise ValueError(f"a line needs at least 2 points, got n={n}")
    t = torch.linspace(0.0, 1.0, n, dtype=a.dtype).view(n, *([1] * a.dim()))  # (n, 1, 1, 1)
    return (1 - t) * a.unsqueeze(0) + t * b.unsqueeze(0)  # (n, C, H, W)


def _single(x: torch.Tensor) -> torch.Tensor:
    if x.dim() == 4 and x.shape[0] == 1:
        x = x[0]
    if x.dim() != 3:
        raise ValueError(f"expected one image (C, H, W) or (1, C, H, W), got shape {tuple(x.shape)}")
    return x.detach().float()


def photo_endpoints(
    names: tuple[str, str] = DEFAULT_PHOTOS,
    *,
    size: int = 32,
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    transform: Callable | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two sample photos (``resnet_viz.data.samples`` names) as normalised (3, size, size) tensors.

    ``transform`` (e.g. a ``LoadedModel.transforms()``) wins; otherwise resize the shorter side to
    ``size``, centre-crop and normalise with ``mean``/``std`` (default: the ImageNet statistics the
    CIFAR nets use).
    """
    from resnet_viz.data.samples import load_sample
    from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD
    from resnet_viz.models.weights import ModelMeta, make_transform

    if transform is None:
        transform = make_transform(ModelMeta(arch="", num_classes=0, categories=None, input_size=size,
                                             resize_size=size, mean=mean or IMAGENET_MEAN, std=std or IMAGENET_STD))
    a, b = (transform(load_sample(n)) for n in names)
    return a, b


def noise_endpoints(size: int = 32, *, seed: int = 0, channels: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Two standard-normal images (channels, size, size), deterministic for a seed."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, channels, size, size, generator=g)  # (2, C, S, S)
    return x[0], x[1]


# ----------------------------------------------------------------------------- the measurement

@dataclass
class LineGradients:
    """Input gradients of one scalar output along a line, and how fast they decorrelate."""

    model: str
    target: int  # the class whose logit is differentiated
    t: list[float]  # (n,) positions on the line, 0 .. 1
    output: list[float]  # (n,) the differentiated logit f(x(t))
    dfdt: list[float]  # (n,) directional derivative g(t) . (b - a)
    coord_grad: list[float]  # (n,) gradient of one input coordinate, ``coord`` = (channel, row, col)
    coord: tuple[int, int, int]
    corr: list[float]  # (n // 2 + 1,) autocorrelation of the flattened gradients, lags 0 .. n // 2
    lag1: float  # corr[1]
    correlation_length: float  # steps at which corr first falls below 1/e; inf if not within n // 2
    grad_norm: list[float]  # (n,) ||g(t)||
    bn: str = "eval"  # how BatchNorm was run: "eval" (own statistics), "calibrated" or "none" (no BN)
    settings: dict = field(default_factory=dict)
    grads: torch.Tensor | None = field(default=None, repr=False)  # (n, C, H, W), not written to JSON

    @property
    def n(self) -> int:
        return len(self.t)

    @property
    def step(self) -> float:
        """Distance in t between neighbouring points."""
        return 1.0 / (self.n - 1)

    @property
    def correlation_length_t(self) -> float:
        """The correlation length in units of t (the whole line is 1)."""
        return self.correlation_length * self.step

    @property
    def max_lag(self) -> int:
        return len(self.corr) - 1

    def to_json(self) -> dict:
        """A JSON-able dict (no tensors; an infinite correlation length is written as ``None``)."""
        d = {k: v for k, v in asdict(self).items() if k != "grads"}
        d["coord"] = list(self.coord)
        d["correlation_length"] = _finite_or_none(self.correlation_length)
        d["lag1"] = _finite_or_none(self.lag1)
        d["corr"] = [_finite_or_none(c) for c in self.corr]
        return d

    @classmethod
    def from_json(cls, d: dict) -> LineGradients:
        d = {k: d[k] for k in cls.__dataclass_fields__ if k in d and k != "grads"}
        d["coord"] = tuple(d["coord"])
        d["correlation_length"] = math.inf if d["correlation_length"] is None else d["correlation_length"]
        d["lag1"] = math.nan if d["lag1"] is None else d["lag1"]
        d["corr"] = [math.nan if c is None else c for c in d["corr"]]
        return cls(**d)


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def gradient_autocorrelation(grads: torch.Tensor, max_lag: int | None = None) -> list[float]:
    """``corr[k]`` = mean over i of Pearson(g_i, g_{i+k}) for k = 0 .. max_lag (default n // 2).

    ``grads``: (n, ...) one gradient per point, flattened per point. A point whose gradient is
    constant over its coordinates (e.g. all zero) has no correlation and is left out of the mean;
    a lag with no valid pair gives NaN.
    """
    n = grads.shape[0]
    max_lag = n // 2 if max_lag is None else min(max_lag, n - 1)
    g = grads.reshape(n, -1).double()  # (n, D)
    g = g - g.mean(dim=1, keepdim=True)
    norm = g.norm(dim=1, keepdim=True)  # (n, 1)
    z = torch.where(norm > 0, g / norm.clamp_min(1e-300), torch.full_like(g, math.nan))  # (n, D) unit rows
    sim = z @ z.T  # (n, n) Pearson correlation of every pair
    out = []
    for k in range(max_lag + 1):
        diag = torch.diagonal(sim, offset=k)  # (n - k,)
        diag = diag[~torch.isnan(diag)]
        out.append(float(diag.mean()) if diag.numel() else math.nan)
    return out


def gradient_similarity(grads: torch.Tensor) -> torch.Tensor:
    """(n, n) Pearson correlation between the flattened gradients of every pair of points (a heatmap)."""
    n = grads.shape[0]
    g = grads.reshape(n, -1).double()
    g = g - g.mean(dim=1, keepdim=True)
    z = g / g.norm(dim=1, keepdim=True).clamp_min(1e-300)
    return (z @ z.T).float()


def correlation_length(corr: list[float], threshold: float = INV_E) -> float:
    """The first lag at which ``corr`` falls below ``threshold``, linearly interpolated between the
    last lag above it and the first below; ``math.inf`` if it never does (NaN lags are skipped)."""
    prev_k, prev_c = 0, corr[0] if corr else math.nan
    for k, c in enumerate(corr):
        if math.isnan(c):
            continue
        if c < threshold:
            if k == 0 or math.isnan(prev_c):
                return float(k)
            return prev_k + (prev_c - threshold) / (prev_c - c) * (k - prev_k)
        prev_k, prev_c = k, c
    return math.inf


def _bn_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def bn_untouched(model: nn.Module) -> bool:
    """True when the model has BatchNorm layers and none has ever seen data (running mean 0, var 1)."""
    bns = [m for m in _bn_layers(model) if m.track_running_stats and m.running_mean is not None]
    return bool(bns) and all(bool((m.running_mean == 0).all()) and bool((m.running_var == 1).all()) for m in bns)


@torch.no_grad()
def calibrate_bn(model: nn.Module, x: torch.Tensor, *, chunk: int = 512) -> nn.Module:
    """Set the BatchNorm running statistics of ``model`` (in place: pass a private copy) to those of ``x``.

    One train-mode pass with ``momentum=None`` (a cumulative average) per chunk of ``x``; with a single
    chunk (``len(x) <= chunk``) these are exactly the batch statistics train mode would use. Returns the
    model in eval mode with the original momenta restored.
    """
    bns = _bn_layers(model)
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    try:
        for i in range(0, x.shape[0], chunk):
            model(x[i:i + chunk])
    finally:
        for m, mom in zip(bns, momenta):
            m.momentum = mom
        model.eval()
    return model


def line_gradients(
    model: nn.Module,
    xs: torch.Tensor,
    *,
    target: int | None = None,
    chunk: int = 64,
    bn: BNMode = "auto",
    calibration: torch.Tensor | None = None,
    coord: tuple[int, int, int] | None = None,
    name: str = "model",
    private: bool = False,
    keep_grads: bool = True,
) -> LineGradients:
    """Per-point input gradients of the logit of ``target`` along the line ``xs`` and their autocorrelation.

    ``xs``: (n, C, H, W), n >= 2 evenly spaced points of a line (``line_inputs``); its first and last
    points are the ends a and b. ``target``: the class whose logit is differentiated; default the class
    the model predicts at ``xs[0]``. ``bn``: ``"eval"`` uses the model's BatchNorm statistics as they are,
    ``"calibrate"`` sets them on ``calibration`` (default: ``xs``) first, ``"auto"`` calibrates only a model
    whose BatchNorm has never seen data (see the module docstring). Each gradient depends on its own
    point only: the same computed alone, in any chunk or batch. ``coord`` = (channel, row, col) of the
    input coordinate whose gradient is returned as a curve (default: channel 0, centre pixel).
    ``private=True`` skips the copy for a model nobody else holds (it is then put in eval mode and its
    parameters stop requiring gradients). ``keep_grads=False`` drops the (n, C, H, W) gradients.
    """
    if xs.dim() != 4 or xs.shape[0] < 2:
        raise ValueError(f"xs must be (n, C, H, W) with n >= 2 points, got shape {tuple(xs.shape)}")
    if bn not in ("auto", "eval", "calibrate"):
        raise ValueError(f"unknown bn mode {bn!r}: use 'auto', 'eval' or 'calibrate'")
    # only the input gradient is needed: the copy's requires_grad flags are ours to switch off
    net = model.requires_grad_(False) if private else private_copy(model, requires_grad=False)
    device = model_device(net)
    xs = xs.detach().to(device=device, dtype=torch.float32)
    has_bn = bool(_bn_layers(net))
    do_calibrate = has_bn and (bn == "calibrate" or (bn == "auto" and bn_untouched(net)))
    if do_calibrate:
        calibrate_bn(net, (xs if calibration is None else calibration.detach().to(device, torch.float32)))
    net.eval()
    if target is None:
        with torch.no_grad():
            target = int(net(xs[:1]).argmax(dim=1)[0])
    n = xs.shape[0]
    outputs, grads = [], []
    with torch.enable_grad():
        for i in range(0, n, chunk):
            x = xs[i:i + chunk].clone().requires_grad_(True)  # (c, C, H, W)
            f = net(x)[:, target]  # (c,) one logit per point; points do not interact in eval mode
            (g,) = torch.autograd.grad(f.sum(), x)  # (c, C, H, W): d f_j / d x_j for each j
            outputs.append(f.detach())
            grads.append(g.detach())
    g = torch.cat(grads).float()  # (n, C, H, W)
    f = torch.cat(outputs).float()  # (n,)
    direction = (xs[-1] - xs[0]).reshape(-1)  # (C*H*W,) b - a
    dfdt = g.reshape(n, -1) @ direction  # (n,)
    _, H, W = g.shape[1:]
    coord = coord or (0, H // 2, W // 2)
    corr = gradient_autocorrelation(g)
    lag1 = corr[1] if len(corr) > 1 else math.nan
    return LineGradients(
        model=name, target=target, t=torch.linspace(0, 1, n).tolist(), output=f.tolist(), dfdt=dfdt.tolist(),
        coord_grad=g[:, coord[0], coord[1], coord[2]].tolist(), coord=tuple(coord), corr=corr, lag1=lag1,
        correlation_length=correlation_length(corr), grad_norm=g.reshape(n, -1).norm(dim=1).tolist(),
        bn=("calibrated" if do_calibrate else "eval") if has_bn else "none",
        settings={"n": n, "chunk": chunk, "bn": bn,
                  "calibration": ("line" if calibration is None else "given") if do_calibrate else None},
        grads=g.cpu() if keep_grads else None,
    )


# ----------------------------------------------------------------------------- studies

def summarise(name: str, results: list[LineGradients], **extra) -> dict:
    """One row of the studies' format from measured lines (also the page's own ones): seed-averaged
    lag-1 correlation (arithmetic mean) and correlation length (geometric mean; a seed whose
    correlation never fell below 1/e counts as ``max_lag``, and the row is then marked
    ``corr_length_lower_bound``)."""
    lag1 = [r.lag1 for r in results if math.isfinite(r.lag1)]
    max_lag = min(r.max_lag for r in results)
    lengths = [min(r.correlation_length, max_lag) for r in results]
    pos = [v for v in lengths if v > 0]
    glen = math.exp(sum(map(math.log, pos)) / len(pos)) if pos else math.nan
    n = results[0].n
    curves = [r.corr[: max_lag + 1] for r in results]
    mean_corr = [sum(c[k] for c in curves) / len(curves) for k in range(max_lag + 1)]
    return {
        "model": name, **extra,
        "lag1": sum(lag1) / len(lag1) if lag1 else math.nan,
        "lag1_min": min(lag1, default=math.nan), "lag1_max": max(lag1, default=math.nan),
        "corr_length": glen, "corr_length_t": glen / (n - 1),
        "corr_length_lower_bound": any(math.isinf(r.correlation_length) for r in results),
        "corr_length_min": min(lengths), "corr_length_max": max(lengths),
        "n": n, "seeds": len(results), "corr": mean_corr,
        "per_seed": [{"lag1": r.lag1, "corr_length": _finite_or_none(r.correlation_length), "target": r.target}
                     for r in results],
    }


def depth_study(
    depths: tuple[int, ...] | list[int] = (20, 56, 110),
    *,
    seeds: tuple[int, ...] | list[int] = (0, 1, 2),
    n: int = 256,
    line: str = "photos",
    photos: tuple[str, str] = DEFAULT_PHOTOS,
    span: float = 1.0,
    target: int | None = None,
    chunk: int = 64,
    progress: Callable[[int, int], None] | None = None,
    **options,
) -> list[dict]:
    """Plain-d and ResNet-d twins at initialisation on the same line, averaged over ``seeds``.

    ``line="photos"``: the line between two sample photos (32x32, ImageNet-normalised), the same for
    every seed; ``line="noise"``: between two standard-normal images drawn from the seed. ``span`` < 1
    zooms in on the first part of the line, from a to a + span (b - a) (a magnifying glass for a
    correlation length shorter than one step), still with ``n`` points. Each seed
    builds both twins from the same random stream (same weights: option A twins have the same
    parameters) and calibrates their BatchNorm on the line (see the module docstring). ``options``
    go to the model builder (``norm``, ``init``, ``shortcut``). Returns one row per model:
    ``{model, depth, skip, lag1, corr_length, corr_length_t, corr_length_lower_bound, corr, ...}``.
    """
    if line == "photos":
        fixed = photo_endpoints(photos)
    elif line != "noise":
        raise ValueError(f"unknown line {line!r}: use 'photos' or 'noise'")
    rows = []
    total, done = 2 * len(depths) * len(seeds), 0
    for d in depths:
        for skip in (False, True):
            name = f"{'resnet' if skip else 'plain'}{d}"
            results = []
            for s in seeds:
                a, b = fixed if line == "photos" else noise_endpoints(32, seed=s)
                xs = line_inputs(a, a + span * (b - a), n)  # (n, 3, 32, 32)
                model = build_at_init(name, seed=s, **options)
                results.append(line_gradients(model, xs, target=target, chunk=chunk, bn="calibrate", name=name,
                                              private=True, keep_grads=False))
                done += 1
                if progress:
                    progress(done, total)
            rows.append(summarise(name, results, depth=d, skip=skip, weights="init", line=line,
                                   line_ends=list(photos) if line == "photos" else "noise", span=span,
                                   options=dict(options)))
    return rows


def trained_study(
    archs: tuple[str, ...] | list[str] = ("plain20", "resnet20"),
    *,
    weights: str = "shipped",
    n: int = 256,
    photos: tuple[str, str] = DEFAULT_PHOTOS,
    span: float = 1.0,
    target: int | None = None,
    chunk: int = 64,
    models: dict | None = None,
) -> list[dict]:
    """Trained checkpoints (eval mode, their own BatchNorm statistics) on the line between two photos,
    each preprocessed with its model's own ``transforms()``. ``models`` maps arch -> an already loaded
    ``LoadedModel`` (e.g. the app's cached one, which is not modified); others are loaded with ``weights``.
    Same row format as ``depth_study`` (one "seed": the checkpoint; ``span`` as there)."""
    from resnet_viz.models.registry import get_info
    from resnet_viz.models.weights import load_model

    rows = []
    for arch in archs:
        loaded = (models or {}).get(arch) or load_model(arch, weights)
        a, b = photo_endpoints(photos, transform=loaded.transforms())
        xs = line_inputs(a, a + span * (b - a), n)  # (n, 3, S, S)
        res = line_gradients(loaded.model, xs, target=target, chunk=chunk, bn="eval", name=arch, keep_grads=False)
        info = get_info(arch)
        rows.append(summarise(arch, [res], depth=info.depth, skip=info.skip, weights=loaded.meta.source or weights,
                               line="photos", line_ends=list(photos), span=span, options={}))
    return rows


def rows_to_json(rows: list[dict]) -> list[dict]:
    """The rows with non-finite floats written as ``None`` (strict JSON)."""
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return [clean(r) for r in rows]
