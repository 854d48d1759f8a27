"""The Inside a block page's sentences, read off the block records of ``probes.activations.block_anatomy``: how
big each net's learned correction F(x) is next to the identity x (``describe_residuals``), how closely block
outputs follow their inputs (``describe_cosines``), and the labels of the three maps of one block
(``first_map_label``, ``three_maps_title``). Every number comes from the records passed in. The sentences are
``Msg``: English values, drawn in the session's language.
"""

from __future__ import annotations

import math
import statistics

from resnet_viz.i18n import Msg, joined
from resnet_viz.models.names import display_name


def describe_residuals(records: dict[str, list], skip: dict[str, bool], source: dict[str, str]) -> Msg:
    """One sentence per net: the median ||F(x)||/||x|| and, for a ResNet, in how many blocks F(x) is smaller."""
    sentences = []
    for arch, recs in records.items():
        ratios = [r.residual_ratio for r in recs if math.isfinite(r.residual_ratio)]
        med = statistics.median(ratios)
        small = sum(r < 1 for r in ratios)
        params = dict(name=display_name(arch), med=med)
        if skip[arch] and med < 1:
            sentences.append(Msg(
                "In {name} ({source}) the residual branch F(x) is smaller than the shortcut x in {small} of {total} "
                "blocks (median ||F(x)||/||x|| = {med:.2f}): the identity does most of the work, each block adds a "
                "correction.", source=source[arch], small=small, total=len(ratios), **params))
        elif skip[arch]:
            sentences.append(Msg(
                "In {name} ({source}) the residual branch F(x) is smaller than the shortcut x in {small} of {total} "
                "blocks (median ||F(x)||/||x|| = {med:.2f}): on this image the branches are not small compared with "
                "the identity.", source=source[arch], small=small, total=len(ratios), **params))
        else:
            sentences.append(Msg(
                "In {name}, which has no shortcut, each block's output must carry everything: its layers' output is "
                "{med:.2f}x the size of the block's input (median).", **params))
    return joined(sentences)


def describe_cosines(records: dict[str, list]) -> Msg:
    """The median cosine similarity between each block's input and output, per net."""
    cos = {arch: statistics.median([r.cosine for r in recs if r.cosine is not None] or [float("nan")])
           for arch, recs in records.items()}
    # "ResNet-20 0.80, Plain-20 0.95": names and numbers only, the numbers in the session's format
    template = ", ".join("{name" + str(i) + "} {cos" + str(i) + ":.2f}" for i in range(len(cos)))
    params = {**{"name" + str(i): display_name(a) for i, a in enumerate(cos)},
              **{"cos" + str(i): c for i, c in enumerate(cos.values())}}
    values = Msg(template, **params)
    return Msg("Median cosine similarity between a block's input and its output: {values}. Close to 1 means the block "
               "output still points where its input pointed.", values=values)


def first_map_label(skip: bool, downsampling: bool, shown: bool, zero: bool) -> str:
    """What the first of the three maps shows: x, or the shortcut's output where the block changes the shape
    (``shown`` is False when there is no map of the right shape; ``zero`` when that map is all zeros)."""
    if not shown:
        return Msg("x: shape changes, not shown")
    if skip and downsampling and zero:
        return Msg("shortcut(x): a zero-padded channel")
    if downsampling:
        return Msg("shortcut(x)") if skip else Msg("x, subsampled to match")
    return "x" if skip else Msg("x (input)")


def three_maps_title(arch: str, block: str, channel: int, skip: bool) -> Msg:
    """The title of the three maps of one channel of a block."""
    if skip:
        return Msg("{name} {block}, channel {channel}: H(x) = ReLU(F(x) + x)", name=display_name(arch), block=block,
                   channel=channel)
    return Msg("{name} {block}, channel {channel}: H(x) = ReLU(F(x)), no shortcut", name=display_name(arch),
               block=block, channel=channel)
