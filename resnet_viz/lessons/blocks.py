"""The Inside a block page's sentences, read off the block records of ``probes.activations.block_anatomy``: how
big each net's learned correction F(x) is next to the identity x (``describe_residuals``), how closely block
outputs follow their inputs (``describe_cosines``), and the labels of the three maps of one block
(``first_map_label``, ``three_maps_title``). Every number comes from the records passed in.
"""

from __future__ import annotations

import math
import statistics

from resnet_viz.models.names import display_name


def describe_residuals(records: dict[str, list], skip: dict[str, bool], source: dict[str, str]) -> str:
    """One sentence per net: the median ||F(x)||/||x|| and, for a ResNet, in how many blocks F(x) is smaller."""
    sentences = []
    for arch, recs in records.items():
        ratios = [r.residual_ratio for r in recs if math.isfinite(r.residual_ratio)]
        med = statistics.median(ratios)
        small = sum(r < 1 for r in ratios)
        if skip[arch]:
            sentences.append(
                f"In {display_name(arch)} ({source[arch]}) the residual branch F(x) is smaller than the "
                f"shortcut x in "
                f"{small} of {len(ratios)} blocks (median ||F(x)||/||x|| = {med:.2f})"
                + (": the identity does most of the work, each block adds a correction." if med < 1 else
                   ": on this image the branches are not small compared with the identity."))
        else:
            sentences.append(
                f"In {display_name(arch)}, which has no shortcut, each block's output must carry "
                f"everything: its layers' "
                f"output is {med:.2f}x the size of the block's input (median).")
    return " ".join(sentences)


def describe_cosines(records: dict[str, list]) -> str:
    """The median cosine similarity between each block's input and output, per net."""
    cos = {arch: statistics.median([r.cosine for r in recs if r.cosine is not None] or [float("nan")])
           for arch, recs in records.items()}
    return ("Median cosine similarity between a block's input and its output: "
            + ", ".join(f"{display_name(a)} {c:.2f}" for a, c in cos.items())
            + ". Close to 1 means the block output still points where its input pointed.")


def first_map_label(skip: bool, downsampling: bool, shown: bool, zero: bool) -> str:
    """What the first of the three maps shows: x, or the shortcut's output where the block changes the shape
    (``shown`` is False when there is no map of the right shape; ``zero`` when that map is all zeros)."""
    if not shown:
        return "x: shape changes, not shown"
    if skip and downsampling and zero:
        return "shortcut(x): a zero-padded channel"
    if downsampling:
        return "shortcut(x)" if skip else "x, subsampled to match"
    return "x" if skip else "x (input)"


def three_maps_title(arch: str, block: str, channel: int, skip: bool) -> str:
    """The title of the three maps of one channel of a block."""
    return (f"{display_name(arch)} {block}, channel {channel}: H(x) = ReLU(F(x) + x)" if skip
            else f"{display_name(arch)} {block}, channel {channel}: H(x) = ReLU(F(x)), no shortcut")
