"""The Feature maps page's sentences, read off the captured activations: the shape of a layer's maps and each
net's strongest channel and share of positive values (``describe_layer``), and how the maps shrink while the
channels grow from the stem to the last stage (``describe_stages``). Every number comes from the arrays passed in.
"""

from __future__ import annotations

import numpy as np

from resnet_viz.models.names import display_name


def describe_layer(layer: str, acts: dict[str, np.ndarray], means: dict[str, np.ndarray], input_px: int) -> str:
    """The takeaway of the channel grids: ``acts`` holds each net's (C, H, W) activations at ``layer`` and
    ``means`` their per-channel means."""
    a0 = next(iter(acts.values()))
    sentences = [f"At {layer} each net has {a0.shape[0]} channels of {a0.shape[1]}x{a0.shape[2]} "
                 f"(the input was {input_px}x{input_px} pixels)."]
    for arch, a in acts.items():
        frac = float((a > 0).mean())
        m = means[arch]
        sentences.append(f"{display_name(arch)}: strongest channel #{int(np.argmax(m))} (mean {m.max():.3f}); "
                         f"{100 * frac:.0f} % of its values are above zero (the ReLU zeroes the rest).")
    return " ".join(sentences)


def describe_stages(first: tuple[int, ...], last: tuple[int, ...]) -> str:
    """From the stem's (C, H, W) maps to the last stage's: the positions shrink, the channels grow."""
    return (f"From the stem to the last stage the maps shrink from {first[1]}x{first[2]} to "
            f"{last[1]}x{last[2]} positions while the channels grow from {first[0]} to "
            f"{last[0]}: each position of a late map summarises a larger part of the image with more "
            "kinds of features.")
