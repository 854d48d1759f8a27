"""The Classify and explain page's sentences, read off the predictions and attribution maps of the two
networks: what each one says the image shows (``describe_predictions``), the size of the image it saw
(``seen_caption``) and how far the two maps agree (``describe_agreement``: the overlap of their brightest
pixels and where each peaks). Every number comes from the results passed in.
"""

from __future__ import annotations

import numpy as np

from resnet_viz.i18n import Msg, joined
from resnet_viz.models.names import display_name


def describe_predictions(preds: dict[str, list[dict]]) -> Msg:
    """Each network's top class and runner-up, with their probabilities."""
    return joined([Msg("{model} says **{top}** ({top_pct:.1f} %), then {second} ({second_pct:.1f} %).",
                        model=display_name(a), top=p[0]["label"], top_pct=100 * p[0]["prob"], second=p[1]["label"],
                        second_pct=100 * p[1]["prob"]) for a, p in preds.items() if len(p) > 1], " ")


def seen_caption(arch: str, seen: np.ndarray) -> Msg:
    """The caption of the preprocessed image a network saw (``seen`` is H x W x 3)."""
    # TRANSLATORS: the caption of the small image the network was given (width x height in pixels)
    return Msg("what {model} saw: {width}x{height} px", model=display_name(arch), width=seen.shape[1],
               height=seen.shape[0])


def describe_agreement(maps: dict[str, np.ndarray]) -> Msg:
    """How two attribution maps (raw, by architecture) agree: the intersection over union of the brightest 20 % of
    each map's positive pixels and where each peaks; or which map is zero everywhere."""
    from resnet_viz.probes.attribution import normalise

    norm = [normalise(m) for m in maps.values()]
    if not all(n.max() > 0 for n in norm):
        empty = [display_name(a) for a, n in zip(maps, norm) if n.max() == 0]
        return Msg("The map of {models} is zero everywhere: no pixel raises that class's score through this layer.",
                   models=", ".join(empty))
    # the top 20 % of each map's *positive* pixels (Grad-CAM is zero on much of the image)
    tops = [n >= np.quantile(n[n > 0], 0.8) for n in norm]
    iou = float((tops[0] & tops[1]).sum() / max(1, (tops[0] | tops[1]).sum()))
    peaks = {arch: np.unravel_index(int(np.argmax(m)), m.shape) for arch, m in maps.items()}
    where = [Msg("{model} peaks at x={x}, y={y}", model=display_name(a), x=int(c), y=int(r))
             for a, (r, c) in peaks.items()]
    return Msg("The brightest 20 % of the two maps overlap by {iou_pct:.0f} % (intersection over union); {peaks}.",
               iou_pct=100 * iou, peaks=joined(where, "; "))
