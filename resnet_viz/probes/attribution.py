"""Attributions (which pixels a prediction depends on) through captum, behind one call.

``explain(lm, x, method)`` works on a *private copy* of the model made for the call (``captum_copy``): captum
registers hooks (Grad-CAM on the target layer, Guided Backprop on every ReLU), and hooks on a
model shared by every session would fire during other sessions' forward passes. For Guided
Grad-CAM the copy's ReLUs are made non-inplace (torchvision blocks use ``inplace=True``, which
Guided Backprop's hooks cannot handle); predictions are unchanged by that. Gradients go to the
input only; nothing is written on the shared model. Copies come from a small pool per model
(one per concurrent call), so the copying cost (~50 ms for ResNet-50) is paid once, not per
request.

Methods:
  gradcam         Selvaraju et al. 2017: ReLU(sum_k alpha_k A^k) at the chosen layer, alpha_k the
                  spatially averaged gradient of the class score w.r.t. channel k (captum
                  ``LayerGradCam``, ``relu_attributions=True``), upsampled bilinearly to the input.
  guided-gradcam  Grad-CAM times Guided Backprop, |.| summed over colour channels.
  ig              Integrated Gradients (Sundararajan et al. 2017) from a black-after-normalisation
                  (all-zero) baseline, 32 steps, |.| summed over colour channels.
  saliency        |d score / d pixel| (Simonyan et al. 2013), max over colour channels.
  occlusion       drop in the class score when a square patch is replaced by zeros (Zeiler & Fergus
                  2014), window 1/4 of the input side, stride 1/8, averaged over colour channels.
Every map comes back as float32 (H, W) at the input's resolution, finite (constant images give
zeros, never NaN).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from resnet_viz.i18n import N_, Msg
from resnet_viz.models.weights import LoadedModel
from resnet_viz.probes._model import has_hooks, private_copy, residual_blocks

METHODS = ("gradcam", "guided-gradcam", "ig", "saliency", "occlusion")
# The methods' names, English (the CLI prints them); the app shows them through _()
METHOD_NAMES = {"gradcam": N_("Grad-CAM"), "guided-gradcam": N_("Guided Grad-CAM"),
                "ig": N_("Integrated Gradients"), "saliency": N_("Saliency"), "occlusion": N_("Occlusion")}


@dataclass
class Attribution:
    method: str
    target: int
    layer: str | None
    map: np.ndarray  # (H, W) float32 at input resolution, before any normalisation or colour mapping


def captum_copy(model: nn.Module, build=None) -> nn.Module:
    """A ``private_copy`` in eval mode with every ReLU made non-inplace (safe for captum's hooks).

    ``build``: a function returning a fresh model of the same architecture (see ``private_copy``).
    """
    net = private_copy(model, build=build)
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.inplace = False  # explain restores the shared model's flags for every method but Guided Grad-CAM
    return net


_pool_lock = threading.Lock()
_pool: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # shared model -> idle private copies


@contextlib.contextmanager
def borrowed_copy(model: nn.Module, build=None):
    """A private copy of ``model`` for one call, taken from a small pool: copies are made only when
    all existing ones are in use (as many as calls run at once), and given back afterwards with
    no hook left on them (captum removes its hooks in ``finally``)."""
    with _pool_lock:
        idle = _pool.setdefault(model, [])
        net = idle.pop() if idle else None
    if net is None:
        net = captum_copy(model, build)
    try:
        yield net
    finally:
        if not has_hooks(net):
            with _pool_lock:
                _pool.setdefault(model, []).append(net)


def default_layer(model: nn.Module) -> str:
    """The last residual block (the usual Grad-CAM layer: last conv features before pooling)."""
    blocks = residual_blocks(model)
    if blocks:
        return blocks[-1][0]
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    return convs[-1]


def resolve_target(lm: LoadedModel, target: int | str | None, x: torch.Tensor) -> int:
    """Class index from None (predicted), an int, a digit string or a class name (case-insensitive)."""
    if target is None or target == "":
        with torch.inference_mode():
            return int(lm.model(x.to(lm.device)).argmax(1)[0])
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        t = int(target)
        if not 0 <= t < lm.meta.num_classes:
            raise ValueError(Msg("class index {index} is outside 0..{last}", index=t, last=lm.meta.num_classes - 1))
        return t
    cats = list(lm.meta.categories or [])
    if target in cats:  # exact first: ImageNet has both "cardigan" (the sweater) and "Cardigan" (the corgi)
        return cats.index(target)
    lower = [c.lower() for c in cats]
    if target.lower() in lower:
        return lower.index(target.lower())
    close = [c for c in (lm.meta.categories or []) if target.lower() in c.lower()][:5]
    if close:
        raise ValueError(Msg("unknown class {target}; did you mean {close}?", target=repr(target),
                             close=", ".join(close)))
    raise ValueError(Msg("unknown class {target}", target=repr(target)))


def explain(lm: LoadedModel, x: torch.Tensor, method: str = "gradcam", *, target: int | str | None = None,
            layer: str | None = None) -> Attribution:
    """Attribution map of ``method`` for the class ``target`` (default: the predicted one).

    ``x``: one preprocessed image (1, 3, S, S). ``layer``: module name for Grad-CAM-based methods
    (default: the last residual block).
    """

    if method not in METHODS:
        raise ValueError(Msg("unknown method {method}: use one of {methods}", method=repr(method),
                             methods=", ".join(METHODS)))
    n = lm.meta.num_classes
    build = lambda: lm.info.build(**lm.meta.options, **({"num_classes": n} if n != lm.info.num_classes else {}))
    with borrowed_copy(lm.model, build) as net:
        # Guided Backprop's ReLU hooks need non-inplace ReLUs; every other method runs faster with
        # the model's own in-place ones (the copy is this call's alone, so switching is safe)
        inplace = method != "guided-gradcam"
        for m, own in zip(net.modules(), lm.model.modules()):  # the same architecture, module for module
            if isinstance(m, nn.ReLU):
                m.inplace = inplace and getattr(own, "inplace", False)
        return _explain(lm, net, x, method, target, layer)


def _explain(lm: LoadedModel, net: nn.Module, x: torch.Tensor, method: str, target, layer) -> Attribution:
    from captum.attr import (
        GuidedGradCam,
        IntegratedGradients,
        LayerAttribution,
        LayerGradCam,
        Occlusion,
        Saliency,
    )

    x = x.to(lm.device).float()
    t = resolve_target(lm, target, x)
    modules = dict(net.named_modules())
    layer = layer or default_layer(net)
    if method in ("gradcam", "guided-gradcam") and layer not in modules:
        raise ValueError(Msg("no layer named {layer} in {arch}; e.g. {example}", layer=repr(layer), arch=lm.meta.arch,
                             example=default_layer(net)))
    size = x.shape[-1]
    with torch.enable_grad():
        if method == "gradcam":
            cam = LayerGradCam(net, modules[layer]).attribute(x, target=t, relu_attributions=True)  # (1, 1, h, w)
            out = LayerAttribution.interpolate(cam, (x.shape[-2], x.shape[-1]), interpolate_mode="bilinear")[0, 0]
        elif method == "guided-gradcam":
            out = GuidedGradCam(net, modules[layer]).attribute(x, target=t)[0].abs().sum(0)
        elif method == "ig":
            out = IntegratedGradients(net).attribute(x, baselines=torch.zeros_like(x), target=t, n_steps=32,
                                                     internal_batch_size=16)[0].abs().sum(0)
        elif method == "saliency":
            out = Saliency(net).attribute(x, target=t, abs=True)[0].amax(0)
        else:
            w, s = max(2, size // 4), max(1, size // 8)
            with torch.no_grad():
                out = Occlusion(net).attribute(x, target=t, sliding_window_shapes=(3, w, w), strides=(3, s, s),
                                               baselines=0, perturbations_per_eval=16)[0].mean(0)
    arr = torch.nan_to_num(out.detach().float().cpu(), nan=0.0, posinf=0.0, neginf=0.0).numpy()
    return Attribution(method=method, target=t, layer=layer if "gradcam" in method else None,
                       map=arr.astype(np.float32))


def normalise(m: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Clip at zero and scale to [0, 1] by the maximum (with an epsilon: a zero map stays finite)."""
    m = np.maximum(m, 0)  # signed maps (occlusion): a negative effect is not importance
    return (m / (m.max() + eps)).astype(np.float32)


def _lut(name: str = "Inferno") -> np.ndarray:
    import plotly.colors as pc

    cols = pc.sample_colorscale(name, [i / 255 for i in range(256)], colortype="rgb")
    return np.array([[int(float(v)) for v in c[4:-1].split(",")] for c in cols], dtype=np.uint8)


def overlay_image(rgb: np.ndarray, amap: np.ndarray, opacity: float = 0.5, colorscale: str = "Inferno") -> np.ndarray:
    """Blend a [0, 1] map (resized to the image) coloured with ``colorscale`` over an RGB uint8 image."""
    from PIL import Image

    h, w = rgb.shape[:2]
    m = np.asarray(Image.fromarray((normalise(amap) * 255).astype(np.uint8)).resize((w, h), Image.BILINEAR))
    colour = _lut(colorscale)[m]
    return (rgb * (1 - opacity) + colour * opacity).clip(0, 255).astype(np.uint8)
