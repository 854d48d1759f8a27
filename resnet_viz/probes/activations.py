"""What flows through a network: activations of chosen layers, and the anatomy of residual blocks.

Hooks and shared models: a forward hook registered on a model that many sessions share would also
fire during *other* threads' forward passes. Every hook here goes through ``hooks(own_thread=True)``
(``resnet_viz.probes._model``): it records only when it runs in the thread that registered it,
returns ``None`` (the output is never replaced), and is removed in ``finally``; passes run under
``inference_mode``. So a shared cached model can serve captures, anatomy probes and plain
predictions from many threads at once, and nothing is left behind. Only the requested layers are
captured.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.models.cifar import BasicBlock as CifarBlock
from resnet_viz.models.cifar import PadShortcut
from resnet_viz.probes._model import has_skip, hooks, residual_blocks


def _keep(store: dict, key: str, pre: bool = False):
    """A hook that stores a copy of the module's output (its input with ``pre``) in ``store[key]``."""

    def hook(_module, inputs, output=None) -> None:
        # a copy: torchvision blocks change their BN output in place afterwards (out += identity; ReLU)
        store[key] = (inputs[0] if pre else output).detach().clone()

    return hook


@torch.inference_mode()
def capture(model: nn.Module, x: torch.Tensor, layers: list[str]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Outputs of the named modules for input ``x``, and the logits. Unknown names raise KeyError."""
    modules = dict(model.named_modules())
    missing = [n for n in layers if n not in modules]
    if missing:
        raise KeyError(f"no layer named {missing[0]!r} in this model")
    store: dict[str, torch.Tensor] = {}
    with hooks(own_thread=True) as hk:
        for n in layers:
            hk.forward(modules[n], _keep(store, n))
        logits = model(x)
    return store, logits


def _last_norm(block: nn.Module) -> nn.Module:
    return getattr(block, "bn3", None) or block.bn2


@dataclass
class BlockAnatomy:
    name: str
    index: int
    skip: bool
    downsampling: bool
    residual_ratio: float  # ||F(x)|| / ||shortcut(x)||  (plain twin: ||F(x)|| / ||x matched||)
    cosine: float | None  # cosine(shortcut(x), H(x)), mean over images (None if shapes differ)
    x_norm: float
    f_norm: float
    h_norm: float

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _per_image_norm(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).norm(dim=1)  # (B,)


@torch.inference_mode()
def block_anatomy(model: nn.Module, x: torch.Tensor, *, keep: bool = False) -> tuple[list[BlockAnatomy], dict]:
    """For every block: the input x, the residual branch F(x) (the last norm layer's output, before
    the addition), the shortcut(x) it is added to, and the output H(x) = relu(F(x) + shortcut(x)).

    Norms are per image, then averaged over the batch. In a plain twin there is no shortcut: x is
    compared with H(x) after matching shapes with the option A mapping (stride-2 subsampling and
    zero channels) where the block changes the shape; for torchvision plain blocks that change the
    shape, the cosine is None. With ``keep=True`` the tensors are returned too:
    ``{block name: {"x", "f", "s", "h"}}`` (each (B, C, H, W)).
    """
    blocks = residual_blocks(model)
    store: dict[str, torch.Tensor] = {}
    with hooks(own_thread=True) as hk:
        for n, b in blocks:
            hk.forward(b, _keep(store, n + ":x", pre=True), pre=True)
            hk.forward(_last_norm(b), _keep(store, n + ":f"))
            hk.forward(b, _keep(store, n + ":h"))
            if b.downsample is not None:
                hk.forward(b.downsample, _keep(store, n + ":s"))
        model(x)
    out, tensors = [], {}
    for i, (n, b) in enumerate(blocks):
        xin, f, h = store[n + ":x"], store[n + ":f"], store[n + ":h"]
        if n + ":s" in store:
            s = store[n + ":s"]
        elif xin.shape == h.shape:
            s = xin
        elif xin.shape[1] <= h.shape[1] and isinstance(b, CifarBlock):  # plain twin of a downsampling block
            s = PadShortcut(xin.shape[1], h.shape[1], xin.shape[2] // h.shape[2])(xin)
        else:
            s = None
        f_norm = _per_image_norm(f)
        ratio = float((f_norm / _per_image_norm(s).clamp_min(1e-12)).mean()) if s is not None else float("nan")
        cos = float(F.cosine_similarity(s.flatten(1), h.flatten(1), dim=1, eps=1e-12).mean()) if s is not None \
            else None
        out.append(BlockAnatomy(name=n, index=i, skip=has_skip(b), downsampling=xin.shape[-1] != h.shape[-1],
                                residual_ratio=ratio, cosine=cos, x_norm=float(_per_image_norm(xin).mean()),
                                f_norm=float(f_norm.mean()), h_norm=float(_per_image_norm(h).mean())))
        if keep:
            tensors[n] = {"x": xin, "f": f, "s": s, "h": h}
    return out, tensors
