"""Layer responses (He et al. 2015, Figure 7): the standard deviation of each 3x3 layer's output,
after BatchNorm and before the addition or the ReLU, on test images.

The paper finds that ResNets respond less than their plain twins, and deeper ResNets less still:
the residual functions stay close to zero. Hooks go on the norm layer that follows each 3x3 conv
(``bn1``, ``bn2`` of every block, and the stem's ``bn1``); they are removed in ``finally`` and the
pass runs under ``inference_mode``; hooks record only in their own thread (other sessions'
passes on a shared model go through untouched), and a model in train mode is probed on an eval
copy, so nothing about the model changes.
"""

from __future__ import annotations

import torch
from torch import nn


def response_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The module whose output is "the response" of each 3x3 conv: its norm layer, or the conv itself."""
    out = []
    modules = dict(model.named_modules())
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
            parent, _, leaf = name.rpartition(".")
            bn_name = (parent + "." if parent else "") + leaf.replace("conv", "bn")
            bn = modules.get(bn_name)
            out.append((bn_name, bn) if isinstance(bn, nn.BatchNorm2d) else (name, m))
    return out


@torch.inference_mode()
def layer_responses(model: nn.Module, x: torch.Tensor, batch: int = 250) -> list[dict]:
    """``[{"name", "index", "std"}]`` per 3x3 layer in forward order, over all images in ``x``.

    The std is taken over every value of the response (images, channels, positions), computed
    from running sums so any number of images fits in memory.
    """
    import copy
    import threading

    if model.training:
        model = copy.deepcopy(model).eval()
    layers = response_layers(model)
    sums = {n: torch.zeros(3, dtype=torch.float64) for n, _ in layers}  # count, sum, sum of squares
    owner = threading.get_ident()

    def hook_for(name):
        def hook(_m, _i, out) -> None:
            if threading.get_ident() == owner:
                o = out.detach().double()
                sums[name] += torch.stack([torch.tensor(float(o.numel()), dtype=torch.float64), o.sum(),
                                           (o * o).sum()])
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in layers]
    try:
        dev = next(model.parameters()).device
        for i in range(0, len(x), batch):
            model(x[i:i + batch].to(dev))
    finally:
        for h in handles:
            h.remove()
    out = []
    for i, (n, _) in enumerate(layers):
        cnt, s, ss = sums[n].tolist()
        var = max(ss / cnt - (s / cnt) ** 2, 0.0)
        out.append({"name": n, "index": i, "std": var ** 0.5})
    return out
