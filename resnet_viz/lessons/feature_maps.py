"""The Feature maps page's sentences, read off the captured activations: the shape of a layer's maps and each
net's strongest channel and share of positive values (``describe_layer``), and how the maps shrink while the
channels grow from the stem to the last stage (``describe_stages``). Every number comes from the arrays passed in.
The sentences are ``Msg``: English values, drawn in the session's language.
"""

from __future__ import annotations

import numpy as np

from resnet_viz.i18n import Msg, joined
from resnet_viz.models.names import display_name


def describe_layer(layer: str, acts: dict[str, np.ndarray], means: dict[str, np.ndarray], input_px: int) -> Msg:
    """The takeaway of the channel grids: ``acts`` holds each net's (C, H, W) activations at ``layer`` and
    ``means`` their per-channel means."""
    a0 = next(iter(acts.values()))
    sentences = [Msg("At {layer} each net has {channels} channels of {h}x{w} (the input was {px}x{px} pixels).",
                     layer=layer, channels=a0.shape[0], h=a0.shape[1], w=a0.shape[2], px=input_px)]
    for arch, a in acts.items():
        frac = float((a > 0).mean())
        m = means[arch]
        sentences.append(Msg("{name}: strongest channel #{channel} (mean {mean:.3f}); {pct:.0f} % of its values are "
                             "above zero (the ReLU zeroes the rest).", name=display_name(arch),
                             channel=int(np.argmax(m)), mean=m.max(), pct=100 * frac))
    return joined(sentences)


def describe_stages(first: tuple[int, ...], last: tuple[int, ...]) -> Msg:
    """From the stem's (C, H, W) maps to the last stage's: the positions shrink, the channels grow."""
    return Msg("From the stem to the last stage the maps shrink from {h0}x{w0} to {h1}x{w1} positions while the "
               "channels grow from {c0} to {c1}: each position of a late map summarises a larger part of the image "
               "with more kinds of features.", h0=first[1], w0=first[2], h1=last[1], w1=last[2], c0=first[0],
               c1=last[0])
