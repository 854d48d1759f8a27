"""The lesion study's sentences (Why it works page, ``lesion`` command, Home page), read off the errors that
``resnet_viz.probes.lesion`` measured: ``lesion_stats`` picks the numbers the sentences use (median and
largest rise from one removal), ``describe_lesions`` says what they show for a ResNet and its plain twin.
Errors are given in percent, differences in percentage points; the comparison follows the numbers.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sentences need no torch
    from resnet_viz.probes.lesion import LesionResult


def _pts(v: float) -> str:
    return f"{100 * v:.1f}"


def lesion_stats(res: LesionResult) -> dict:
    """Numbers the page's sentences read off: median/max rise from one removal, excluding downsampling."""
    rises = [e - res.intact_error for e in res.removable_errors(downsampling=False)]
    down = [(b.name, b.error - res.intact_error) for b in res.blocks if b.downsampling and b.error is not None]
    worst = max(((b.error - res.intact_error, b.name) for b in res.blocks if b.error is not None and
                 not b.downsampling), default=(float("nan"), ""))
    return {"intact": res.intact_error, "median_rise": statistics.median(rises) if rises else float("nan"),
            "max_rise": worst[0], "max_block": worst[1], "n_removable": len(rises),
            "downsampling": down, "not_removable": [b.name for b in res.blocks if b.error is None]}


def rise_text(points: float) -> str:
    """How a median rise reads, e.g. 'raises its error by a median 1.2 points'."""
    return f"raises its error by a median {_pts(points)} points" if points >= 0 else \
        f"lowers its error by a median {_pts(-points)} points"


def describe_lesions(plain: LesionResult | None, res: LesionResult | None, n_classes: int = 10) -> str:
    """Sentences computed from the measured errors (in percentage points); the comparison follows the
    numbers (a difference within two images of the test subset counts as none)."""
    parts = []
    chance = 1 - 1 / n_classes
    for r, label in ((res, "ResNet"), (plain, "plain net")):
        if r is None:
            continue
        s = lesion_stats(r)
        if s["n_removable"] == 0:
            continue
        worst = _pts(s["intact"] + s["max_rise"])
        text = (f"Removing one block of the {label} ({r.model}, {_pts(s['intact'])} % error intact) "
                f"{rise_text(s['median_rise'])} (most at {s['max_block']}: {worst} % error)")
        if s["downsampling"] and label == "ResNet":
            text += "; without a downsampling block its error is " + ", ".join(
                f"{_pts(s['intact'] + d)} % ({n})" for n, d in s["downsampling"])
        parts.append(text + ".")
    if plain is not None and res is not None:
        sp, sr = lesion_stats(plain), lesion_stats(res)
        if sp["n_removable"] and sr["n_removable"]:
            tie = 2 / min(plain.n_images, res.n_images)  # two images
            mp, mr = sp["median_rise"], sr["median_rise"]
            if mp > mr + tie:
                ratio = (f"{mp / mr:.0f}x fewer points than its plain twin" if mr > tie else
                         "almost nothing, far less than its plain twin")
                parts.append(
                    f"A removal costs the ResNet {ratio} (median {_pts(mr)} vs {_pts(mp)} points); the plain net ends "
                    f"at a median {_pts(sp['intact'] + mp)} % error (chance is {_pts(chance)} %): its only path goes "
                    f"through every block, while a ResNet with {len(res.blocks)} blocks has 2^{len(res.blocks)} paths "
                    "and the half that skip the removed block still work.")
            elif mr > mp + tie:
                parts.append(f"Here a removal hurts the ResNet more than the plain net (median {_pts(mr)} vs "
                             f"{_pts(mp)} points): the ensemble effect does not show in these numbers.")
            else:
                parts.append(f"Here a removal hurts the two nets about equally (median {_pts(mr)} vs {_pts(mp)} "
                             "points): the ensemble effect does not show in these numbers.")
    return " ".join(parts)


def chance_error(n_classes: int) -> float:
    """The test error of guessing, in percent, for ``n_classes`` balanced classes."""
    return 100 * (1 - 1 / n_classes)


def chance_sentence(n_classes: int) -> str:
    """How the figure's chance line reads, e.g. 'Chance for 10 classes is 90 % error.'"""
    return f"Chance for {n_classes} classes is {chance_error(n_classes):.0f} % error."


def lesion_job_caption(n_images: int) -> str:
    """What the background lesion study of both twins will do."""
    return (f"Each net is evaluated once per removable block on {n_images} class-balanced test images, in "
            "the background: you can leave the page and come back.")


def measured_on(res: LesionResult) -> str:
    """Where a lesion study's numbers come from: how many test images of which data, which seed."""
    return (f"Measured on {res.n_images} class-balanced test images of "
            f"{res.extra.get('data', '?')} (seed {res.extra.get('seed', 0)}).")
