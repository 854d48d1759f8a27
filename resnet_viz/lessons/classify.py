"""The Classify and explain page's sentences, read off the predictions and attribution maps of the two
networks: what each one says the image shows (``describe_predictions``), the size of the image it saw
(``seen_caption``) and how far the two maps agree (``describe_agreement``: the overlap of their brightest
pixels and where each peaks). Every number comes from the results passed in.
"""

from __future__ import annotations

import numpy as np

from resnet_viz.models.names import display_name


def describe_predictions(preds: dict[str, list[dict]]) -> str:
    """Each network's top class and runner-up, with their probabilities."""
    return " ".join(f"{display_name(a)} says **{p[0]['label']}** ({100 * p[0]['prob']:.1f} %), then {p[1]['label']} "
                    f"({100 * p[1]['prob']:.1f} %)." for a, p in preds.items() if len(p) > 1)


def seen_caption(arch: str, seen: np.ndarray) -> str:
    """The caption of the preprocessed image a network saw (``seen`` is H x W x 3)."""
    return f"what {display_name(arch)} saw: {seen.shape[1]}x{seen.shape[0]} px"


def describe_agreement(maps: dict[str, np.ndarray]) -> str:
    """How two attribution maps (raw, by architecture) agree: the intersection over union of the brightest 20 % of
    each map's positive pixels and where each peaks; or which map is zero everywhere."""
    from resnet_viz.probes.attribution import normalise

    norm = [normalise(m) for m in maps.values()]
    if not all(n.max() > 0 for n in norm):
        empty = [display_name(a) for a, n in zip(maps, norm) if n.max() == 0]
        return (f"The map of {', '.join(empty)} is zero everywhere: no pixel raises that class's score "
                "through this layer.")
    # the top 20 % of each map's *positive* pixels (Grad-CAM is zero on much of the image)
    tops = [n >= np.quantile(n[n > 0], 0.8) for n in norm]
    iou = float((tops[0] & tops[1]).sum() / max(1, (tops[0] | tops[1]).sum()))
    peaks = {arch: np.unravel_index(int(np.argmax(m)), m.shape) for arch, m in maps.items()}
    return (f"The brightest 20 % of the two maps overlap by {100 * iou:.0f} % (intersection over union); "
            + "; ".join(f"{display_name(a)} peaks at x={c}, y={r}" for a, (r, c) in peaks.items()) + ".")
