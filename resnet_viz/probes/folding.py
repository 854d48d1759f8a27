"""BatchNorm folding for fast evaluation of a private model copy: every eval-mode BatchNorm that directly
follows a conv is merged into that conv, so a forward pass skips the BatchNorm (17 % of a ResNet-20
forward pass on the CPU). The loss landscape uses it for its hundreds of passes over the same images
(``resnet_viz.probes.landscape``); it changes the copy in place, so never call it on a shared model.
"""

from __future__ import annotations

import torch
from torch import nn

from resnet_viz.probes._model import hooks


def conv_bn_pairs(net: nn.Module, sample: torch.Tensor) -> dict[str, str]:
    """``{bn name: conv name}`` for every BatchNorm (with running statistics) whose input *is* a conv's
    output, found in one forward pass on ``sample``; only pairs whose conv and BatchNorm run once and
    whose conv feeds no other BatchNorm. (A ``torch.fx`` trace would find the pairs too, but it patches
    ``nn.Module.__call__`` for every thread while it runs, which a server shared by many sessions
    cannot allow.)"""
    convs = {m: n for n, m in net.named_modules() if type(m) is nn.Conv2d}
    bns = {m: n for n, m in net.named_modules()
           if isinstance(m, nn.BatchNorm2d) and m.running_mean is not None and m.running_var is not None}
    if not convs or not bns:
        return {}
    outputs: dict[int, tuple[str, torch.Tensor]] = {}  # id(conv output) -> (conv name, the output, kept alive)
    pairs: dict[str, str] = {}
    calls: dict[str, int] = {}

    def conv_hook(m: nn.Module, _inputs, out: torch.Tensor) -> None:
        calls[convs[m]] = calls.get(convs[m], 0) + 1
        outputs[id(out)] = (convs[m], out)

    def bn_hook(m: nn.Module, inputs) -> None:
        calls[bns[m]] = calls.get(bns[m], 0) + 1
        hit = outputs.get(id(inputs[0]))
        if hit is not None and hit[1] is inputs[0]:
            pairs[bns[m]] = hit[0]

    with hooks() as hk, torch.inference_mode():  # a private copy: every pass through it is ours
        for m in convs:
            hk.forward(m, conv_hook)
        for m in bns:
            hk.forward(m, bn_hook, pre=True)
        net(sample)
    outputs.clear()
    paired = list(pairs.values())
    return {bn: conv for bn, conv in pairs.items() if calls[bn] == calls[conv] == 1 and paired.count(conv) == 1}


def fold_batchnorm(net: nn.Module, sample: torch.Tensor) -> dict[str, torch.Tensor] | None:
    """Fold every eval-mode BatchNorm that directly follows a conv into that conv, in place on a
    private ``net``; returns ``{conv weight name: s (C_out,)}`` (empty when nothing was folded).

    With running statistics, ``bn(conv(x, W))`` is ``conv(x, W * s) + c`` per output channel, with
    ``s = gamma / sqrt(var + eps)``; BatchNorm parameters never move in the landscape, so ``s`` and
    ``c`` are constants and the folded weight at a grid point is ``(theta0 + a d1 + b d2) * s``.
    The pairs come from ``conv_bn_pairs``, then each BatchNorm becomes ``nn.Identity`` and the
    folded model must reproduce the unfolded output on ``sample``: if it does not (a conv output
    that is also used elsewhere), the caller gets ``None`` and evaluates unfolded.
    """
    pairs = conv_bn_pairs(net, sample)
    if not pairs:
        return {}
    with torch.inference_mode():
        ref = net(sample).float()  # unfolded, to check the folded model against
    scales: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for bn_name, conv_name in pairs.items():
            bn, conv = net.get_submodule(bn_name), net.get_submodule(conv_name)
            s = torch.rsqrt(bn.running_var.float() + bn.eps)  # (C_out,)
            shift = -bn.running_mean.float() * s
            if bn.affine:
                s = s * bn.weight.float()
                shift = shift * bn.weight.float() + bn.bias.float()
            if conv.bias is not None:
                shift = shift + conv.bias.float() * s
            conv.weight.mul_(s.to(conv.weight.dtype).view(-1, *([1] * (conv.weight.dim() - 1))))
            conv.bias = nn.Parameter(shift.to(conv.weight.dtype), requires_grad=False)
            parent, _, leaf = bn_name.rpartition(".")
            setattr(net.get_submodule(parent), leaf, nn.Identity())
            scales[f"{conv_name}.weight"] = s
        with torch.inference_mode():
            out = net(sample).float()
    tol = 1e-3 * (1.0 + float(ref.abs().max()))
    return scales if out.shape == ref.shape and float((out - ref).abs().max()) <= tol else None
