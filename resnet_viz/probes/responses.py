"""Layer responses (He et al. 2015, Figure 7): the standard deviation of each 3x3 layer's output,
after BatchNorm and before the addition or the ReLU, on test images.

The paper finds that ResNets respond less than their plain twins, and deeper ResNets less still:
the residual functions stay close to zero. Hooks go on the norm layer that follows each 3x3 conv
(``bn1``, ``bn2`` of every block, and the stem's ``bn1``) through ``hooks(own_thread=True)``: they
record only in their own thread (other sessions' passes on a shared model go through untouched) and
are removed in ``finally``; the pass runs under ``inference_mode``, and a model in train mode is
probed on an eval-mode ``private_copy``, so nothing about the model changes.
"""

from __future__ import annotations

import torch
from torch import nn

from resnet_viz.probes._model import hooks, model_device, private_copy


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
    if model.training:
        model = private_copy(model)
    layers = response_layers(model)
    sums = {n: torch.zeros(3, dtype=torch.float64) for n, _ in layers}  # count, sum, sum of squares

    def hook_for(name):
        def hook(_m, _i, out) -> None:
            o = out.detach().double()
            sums[name] += torch.stack([torch.tensor(float(o.numel()), dtype=torch.float64), o.sum(), (o * o).sum()])
        return hook

    dev = model_device(model)
    with hooks(own_thread=True) as hk:
        for n, m in layers:
            hk.forward(m, hook_for(n))
        for i in range(0, len(x), batch):
            model(x[i:i + batch].to(dev))
    out = []
    for i, (n, _) in enumerate(layers):
        cnt, s, ss = sums[n].tolist()
        var = max(ss / cnt - (s / cnt) ** 2, 0.0)
        out.append({"name": n, "index": i, "std": var ** 0.5})
    return out
