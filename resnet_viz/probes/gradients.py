"""Where the gradient goes: per-layer weight-gradient norms and the backward signal per block.

``gradient_flow`` runs one forward/backward pass of a cross-entropy loss and returns tidy
per-layer records. Design choices:

* It works on a ``private_copy`` of the model (milliseconds for a CIFAR net), so a shared cached
  model never sees a hook, a ``.grad``, a train-mode BatchNorm update or a ``requires_grad_``
  change, and many threads can probe one model at once.
* Gradients come from ``torch.autograd.grad`` (never ``.backward()``): nothing is accumulated.
* BatchNorm runs in train mode by default (batch statistics, as during training), which is the
  setting of the paper and of the numbers in DESIGN.md section 3.
* ``first_last_ratio`` = ||dL/dW|| of the first conv layer / that of the last conv layer.
  > 1: the gradient grows towards the input (explodes); < 1: it shrinks (vanishes).

The sentences that read these numbers to students are in ``resnet_viz.lessons.gradients``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.i18n import _
from resnet_viz.probes._model import build_at_init, hooks, is_residual_block, private_copy


@dataclass
class LayerRecord:
    name: str  # module name, e.g. "layer2.0.conv1"
    index: int  # position among conv/linear layers in forward order (0 = first)
    kind: str  # "conv" or "linear"
    params: int
    grad_norm: float  # ||dL/dW|| (Frobenius)
    weight_norm: float
    act_rms: float  # root mean square of the layer's output (first RMS_SAMPLES images)
    ratio_to_last: float = float("nan")  # grad_norm / grad_norm of the last conv layer


@dataclass
class BlockRecord:
    name: str  # "stem", "layer1.0", ...
    index: int
    grad_norm: float  # ||dL/d(block output)||, the backward signal the block passes down
    out_rms: float


@dataclass
class GradientFlow:
    model: str
    layers: list[LayerRecord]
    blocks: list[BlockRecord]
    loss: float
    logit_std: float
    first_last_ratio: float
    finite: bool = True
    settings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"model": self.model, "loss": self.loss, "logit_std": self.logit_std,
                "first_last_ratio": self.first_last_ratio, "finite": self.finite, "settings": self.settings,
                "layers": [asdict(r) for r in self.layers], "blocks": [asdict(b) for b in self.blocks]}


def _keep_first(store: dict, name: str):
    """A forward hook that records a module's first output of the pass (returns None, so the
    output itself is never replaced)."""

    def hook(_module, _inputs, output) -> None:
        store.setdefault(name, output)

    return hook


RMS_SAMPLES = 16  # activation RMS from the first 16 images: >= 60k values per layer, 4x cheaper at batch 64


def _keep_rms(store: dict, name: str):
    """A forward hook that records the root mean square of the output (of the first
    ``RMS_SAMPLES`` images: the statistic is precise long before the whole batch, and reading every
    activation again would cost ~12 % of the forward/backward pass)."""

    def hook(_module, _inputs, output) -> None:
        o = output.detach()[:RMS_SAMPLES]
        store[name] = torch.linalg.vector_norm(o) / math.sqrt(o.numel())

    return hook


def gradient_flow(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    name: str = "model",
    bn_mode: str = "train",
    private: bool = False,
) -> GradientFlow:
    """One forward/backward pass of cross-entropy(model(x), y) on a private copy of ``model``.

    ``x``: (B, 3, H, W) input batch; ``y``: (B,) int labels. Returns per-layer weight-gradient
    norms in forward order and the gradient norm at every residual block's output.
    ``private=True`` skips the copy for a model nobody else holds (a freshly built one).
    """
    net = model if private else private_copy(model)
    net.train(bn_mode == "train")
    for p in net.parameters():
        p.requires_grad_(True)
    layers = [(n, m) for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    blocks = [("stem", net.relu)] if hasattr(net, "relu") and hasattr(net, "layer1") else []
    blocks += [(n, m) for n, m in net.named_modules() if is_residual_block(m)]
    acts: dict[str, torch.Tensor] = {}  # layer name -> RMS of its output (a 0-d tensor)
    outs: dict[str, torch.Tensor] = {}
    with hooks() as hk:  # on the private copy: every thread's passes are ours
        for n, m in layers:
            hk.forward(m, _keep_rms(acts, n))
        for n, m in blocks:
            hk.forward(m, _keep_first(outs, n))
        with torch.enable_grad():
            logits = net(x)
            loss = F.cross_entropy(logits.float(), y)
            weights = [m.weight for _n, m in layers]
            block_outs = [outs[n] for n, _m in blocks]
            grads = torch.autograd.grad(loss, weights + block_outs, allow_unused=True)
    wgrads, bgrads = grads[: len(weights)], grads[len(weights):]
    records = []
    for i, ((n, m), g) in enumerate(zip(layers, wgrads)):
        records.append(LayerRecord(
            name=n, index=i, kind="conv" if isinstance(m, nn.Conv2d) else "linear",
            params=sum(p.numel() for p in m.parameters()),
            grad_norm=float(g.norm()) if g is not None else 0.0, weight_norm=float(m.weight.detach().norm()),
            act_rms=float(acts[n]),
        ))
    convs = [r for r in records if r.kind == "conv"]
    last = convs[-1].grad_norm if convs else float("nan")
    for r in records:
        r.ratio_to_last = r.grad_norm / last if last else float("inf")
    brecs = [BlockRecord(name=n, index=i, grad_norm=float(g.norm()) if g is not None else 0.0,
                         out_rms=float(torch.linalg.vector_norm(outs[n].detach()) / math.sqrt(outs[n].numel())))
             for i, ((n, _m), g) in enumerate(zip(blocks, bgrads))]
    first_last = convs[0].grad_norm / last if convs and last else float("nan")
    loss_value = float(loss.detach())
    vals = [loss_value, first_last] + [r.grad_norm for r in records]
    return GradientFlow(model=name, layers=records, blocks=brecs, loss=loss_value,
                        finite=all(map(math.isfinite, vals)), logit_std=float(logits.detach().float().std()),
                        first_last_ratio=first_last)


def noise_batch(batch: int, size: int, num_classes: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard-normal images and uniform random labels, deterministic for a seed."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, size, size, generator=g)  # (B, 3, S, S)
    y = torch.randint(0, num_classes, (batch,), generator=g)
    return x, y


def random_labels(batch: int, num_classes: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, num_classes, (batch,), generator=torch.Generator().manual_seed(seed + 1))


# ----------------------------------------------------------------------------- batches

BATCH_SOURCES = ("noise", "shapes", "cifar10", "images")


def make_batch(
    source: str,
    *,
    batch: int,
    size: int,
    num_classes: int,
    seed: int = 0,
    images: list | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """An input batch (B, 3, size, size) and labels (B,) for a gradient probe, deterministic for a seed.

    noise    standard-normal pixels, uniform random labels
    shapes   the built-in ``shapes`` test images with their true labels (5 classes)
    cifar10  a seeded random sample of the CIFAR-10 test set or an ``imagefolder:PATH`` spec
             (``source="imagefolder:PATH"``), true labels; ``DataUnavailable`` offline
    images   the given PIL images (e.g. uploads), cycled with horizontal flips to fill the
             batch; labels are random (at initialisation any label is as good as another)
    All image sources are resized, centre-cropped and normalised with the ImageNet mean/std.
    """
    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.data.shapes import ShapesDataset
    from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD
    from resnet_viz.models.weights import ModelMeta, make_transform

    tf = make_transform(ModelMeta(arch="", num_classes=num_classes, categories=None, input_size=size,
                                  resize_size=size, mean=IMAGENET_MEAN, std=IMAGENET_STD))
    g = torch.Generator().manual_seed(seed)
    if source == "noise":
        return noise_batch(batch, size, num_classes, seed)
    if source == "shapes":
        ds = ShapesDataset(batch, size=max(size, 32), seed=seed, split="test")
        xs, ys = zip(*(ds[i] for i in range(batch)))
        return torch.stack([tf(im) for im in xs]), torch.tensor(ys) % num_classes
    if source == "images":
        if not images:
            raise ValueError(_("no images given for the 'images' batch source"))
        xs = [tf(images[i % len(images)]) for i in range(batch)]
        xs = [x.flip(-1) if (i // len(images)) % 2 else x for i, x in enumerate(xs)]
        return torch.stack(xs), torch.randint(0, num_classes, (batch,), generator=g)
    if source == "cifar10" or source.startswith("imagefolder:"):
        ds = get_dataset(source, "test", transform=tf)
        idx = torch.randperm(len(ds), generator=g)[:batch].tolist()
        xs, ys = zip(*(ds[i] for i in idx))
        return torch.stack(xs), torch.tensor(ys) % num_classes
    raise ValueError(_("unknown batch source {source!r}: use one of {sources}", source=source,
                       sources=", ".join(BATCH_SOURCES)))


def twin_gradient_flow(
    names: list[str],
    *,
    source: str = "noise",
    batch: int = 64,
    seed: int = 0,
    images: list | None = None,
    device: str | torch.device = "cpu",
    **options,
) -> dict[str, GradientFlow]:
    """``gradient_flow`` of several freshly initialised models on the *same* batch."""
    from resnet_viz.models.registry import get_info

    infos = [get_info(n) for n in names]
    size, classes = infos[0].input_size, infos[0].num_classes
    x, y = make_batch(source, batch=batch, size=size, num_classes=classes, seed=seed, images=images)
    x, y = x.to(device), y.to(device)
    out = {}
    for info in infos:
        opts = {k: v for k, v in options.items() if k in info.options}
        model = build_at_init(info.name, seed=seed, **opts).to(device)
        gf = gradient_flow(model, x, y, name=info.name, private=True)
        gf.settings = {"source": source, "batch": batch, "seed": seed, **opts}
        out[info.name] = gf
    return out


def depth_sweep(
    depths: list[int],
    *,
    seeds: int = 3,
    batch: int = 32,
    source: str = "noise",
    progress=None,
    **options,
) -> list[dict]:
    """First/last conv gradient ratio against depth for plain and residual CIFAR twins.

    A single random initialisation of a 16-channel-wide net is noisy (without normalisation the
    ratio of plain-56 ranges over 10x between seeds), so each point is the geometric mean over
    ``seeds`` initialisations (and batches), with the minimum and maximum.
    """
    rows = []
    total, done = len(depths) * seeds, 0
    for d in depths:
        per = {"plain": [], "resnet": []}
        for s in range(seeds):
            res = twin_gradient_flow([f"plain{d}", f"resnet{d}"], source=source, batch=batch, seed=s, **options)
            per["plain"].append(res[f"plain{d}"].first_last_ratio)
            per["resnet"].append(res[f"resnet{d}"].first_last_ratio)
            done += 1
            if progress:
                progress(done, total)
        for kind, vals in per.items():
            finite = [v for v in vals if math.isfinite(v) and v > 0]
            gmean = math.exp(sum(map(math.log, finite)) / len(finite)) if finite else float("nan")
            rows.append({"depth": d, "model": f"{kind}{d}", "skip": kind == "resnet", "ratio": gmean,
                         "min": min(finite, default=float("nan")), "max": max(finite, default=float("nan")),
                         "seeds": seeds})
    return rows


def gradient_trajectory(
    name: str,
    *,
    steps: int = 30,
    batch: int = 64,
    lr: float = 0.1,
    seed: int = 0,
    progress=None,
    **options,
) -> dict:
    """Per-layer weight-gradient norms during the first ``steps`` SGD steps on ``shapes``.

    Paper recipe for the optimiser (momentum 0.9, weight decay 1e-4, lr 0.1), on a fresh model of
    its own. Returns ``{"layers": [names], "norms": [[step x layer]], "loss": [per step]}``.
    """
    from resnet_viz.data.shapes import shapes_arrays
    from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD, get_info

    info = get_info(name)
    model = build_at_init(name, seed=seed, **{k: v for k, v in options.items() if k in info.options})
    model.train()
    imgs, labels = shapes_arrays(steps * batch, size=info.input_size, seed=seed, split="train")
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    norms, losses = [], []
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        sl = slice(step * batch, (step + 1) * batch)
        x = torch.from_numpy(imgs[sl]).permute(0, 3, 1, 2).float().div(255)  # (B, 3, S, S)
        x = torch.where(torch.rand(x.shape[0], 1, 1, 1, generator=g) < 0.5, x, x.flip(-1))
        x = (x - mean) / std
        y = torch.from_numpy(labels[sl])
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # a private model: its .grad is ours to write
        norms.append([float(m.weight.grad.norm()) for _n, m in layers])
        losses.append(float(loss.detach()))
        if not math.isfinite(losses[-1]):
            break
        opt.step()
        if progress:
            progress(step + 1, steps)
    return {"model": name, "layers": [n for n, _m in layers], "norms": norms, "loss": losses}


_sweeps: dict[tuple, list[dict]] = {}
_sweep_lock = threading.Lock()

DEFAULT_SWEEP = dict(depths=(20, 32, 44, 56, 110), seeds=3, batch=32, source="noise", norm="bn", init="kaiming")


def shared_depth_sweep(depths: tuple[int, ...], *, seeds: int, batch: int, source: str, norm: str,
                       init: str) -> list[dict]:
    """``depth_sweep`` remembered per process for every session (the rows are pure numbers of freshly
    seeded nets, so one computation serves everyone); the server computes the gradient page's default
    one at start-up (``DEFAULT_SWEEP``). Callers get a copy."""
    key = (tuple(depths), seeds, batch, source, norm, init)
    with _sweep_lock:  # one computation per key, even when a whole class asks at once
        if key not in _sweeps:
            _sweeps[key] = shipped_sweep(key) or depth_sweep(list(depths), seeds=seeds, batch=batch, source=source,
                                                              norm=norm, init=init)
        return [dict(r) for r in _sweeps[key]]


def shipped_sweep(key: tuple) -> list[dict] | None:
    """The default sweep as shipped in ``assets/why/gradflow-sweep.json`` (``python -m resnet_viz gradflow
    --sweep 20,32,44,56,110 --out ...``), used when it was made with this torch version and these settings."""
    import json

    from resnet_viz.env import assets_dir

    try:
        d = json.loads((assets_dir() / "why" / "gradflow-sweep.json").read_text())
        k = d["key"]
        same = (tuple(k["depths"]), k["seeds"], k["batch"], k["source"], k["norm"], k["init"]) == key
        if same and d["provenance"]["torch"].split("+")[0] == torch.__version__.split("+")[0]:
            return d["rows"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None
