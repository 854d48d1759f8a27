"""The lesion study's sentences (Why it works page, ``lesion`` command, Home page), read off the errors that
``resnet_viz.probes.lesion`` measured: ``lesion_stats`` picks the numbers the sentences use (median and
largest rise from one removal), ``describe_lesions`` says what they show for a ResNet and its plain twin.
Errors are given in percent, differences in percentage points; the comparison follows the numbers. The
sentences are ``Msg``: English values, drawn in the session's language (the Home page computes them once per
server process).
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from resnet_viz.i18n import Msg, joined

if TYPE_CHECKING:  # the sentences need no torch
    from resnet_viz.probes.lesion import LesionResult



def lesion_stats(res: LesionResult) -> dict:
    """Numbers the page's sentences read off: median/max rise from one removal, excluding downsampling."""
    rises = [e - res.intact_error for e in res.removable_errors(downsampling=False)]
    down = [(b.name, b.error - res.intact_error) for b in res.blocks if b.downsampling and b.error is not None]
    worst = max(((b.error - res.intact_error, b.name) for b in res.blocks if b.error is not None and
                 not b.downsampling), default=(float("nan"), ""))
    return {"intact": res.intact_error, "median_rise": statistics.median(rises) if rises else float("nan"),
            "max_rise": worst[0], "max_block": worst[1], "n_removable": len(rises),
            "downsampling": down, "not_removable": [b.name for b in res.blocks if b.error is None]}


def rise_text(points: float) -> Msg:
    """How a median rise reads, e.g. 'raises its error by a median 1.2 points'."""
    if points >= 0:
        return Msg("raises its error by a median {points:.1f} points", points=100 * points)
    return Msg("lowers its error by a median {points:.1f} points", points=-100 * points)


def _removal_sentence(label: str, r: LesionResult, s: dict) -> Msg:
    """What removing one block does to one net: ``label`` is "ResNet" or "plain net"."""
    p = dict(model=r.model, intact=100 * s["intact"], block=s["max_block"], worst=100 * (s["intact"] + s["max_rise"]))
    up = s["median_rise"] >= 0
    p["points"] = 100 * abs(s["median_rise"])
    if label != "ResNet":
        if up:
            return Msg("Removing one block of the plain net ({model}, {intact:.1f} % error intact) raises its error "
                       "by a median {points:.1f} points (most at {block}: {worst:.1f} % error).", **p)
        return Msg("Removing one block of the plain net ({model}, {intact:.1f} % error intact) lowers its error "
                   "by a median {points:.1f} points (most at {block}: {worst:.1f} % error).", **p)
    if not s["downsampling"]:
        if up:
            return Msg("Removing one block of the ResNet ({model}, {intact:.1f} % error intact) raises its error by "
                       "a median {points:.1f} points (most at {block}: {worst:.1f} % error).", **p)
        return Msg("Removing one block of the ResNet ({model}, {intact:.1f} % error intact) lowers its error by "
                   "a median {points:.1f} points (most at {block}: {worst:.1f} % error).", **p)
    # TRANSLATORS: one item of a list such as "30.0 % (layer2.0), 41.2 % (layer3.0)": an error and the block removed
    p["errors"] = joined([Msg("{error:.1f} % ({block})", error=100 * (s["intact"] + d), block=n)
                           for n, d in s["downsampling"]], ", ")
    if up:
        return Msg("Removing one block of the ResNet ({model}, {intact:.1f} % error intact) raises its error by a "
                   "median {points:.1f} points (most at {block}: {worst:.1f} % error); without a downsampling "
                   "block its error is {errors}.", **p)
    return Msg("Removing one block of the ResNet ({model}, {intact:.1f} % error intact) lowers its error by a "
               "median {points:.1f} points (most at {block}: {worst:.1f} % error); without a downsampling block "
               "its error is {errors}.", **p)


def describe_lesions(plain: LesionResult | None, res: LesionResult | None, n_classes: int = 10) -> Msg:
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
        parts.append(_removal_sentence(label, r, s))
    if plain is not None and res is not None:
        sp, sr = lesion_stats(plain), lesion_stats(res)
        if sp["n_removable"] and sr["n_removable"]:
            tie = 2 / min(plain.n_images, res.n_images)  # two images
            mp, mr = sp["median_rise"], sr["median_rise"]
            p = dict(mr=100 * mr, mp=100 * mp)
            if mp > mr + tie:
                p.update(end=100 * (sp["intact"] + mp), chance=100 * chance, blocks=len(res.blocks))
                if mr > tie:
                    parts.append(Msg(
                        "A removal costs the ResNet {ratio:.0f}x fewer points than its plain twin (median {mr:.1f} "
                        "vs {mp:.1f} points); the plain net ends at a median {end:.1f} % error (chance is "
                        "{chance:.1f} %): its only path goes through every block, while a ResNet with {blocks} "
                        "blocks has 2^{blocks} paths and the half that skip the removed block still work.",
                        ratio=mp / mr, **p))
                else:
                    parts.append(Msg(
                        "A removal costs the ResNet almost nothing, far less than its plain twin (median {mr:.1f} "
                        "vs {mp:.1f} points); the plain net ends at a median {end:.1f} % error (chance is "
                        "{chance:.1f} %): its only path goes through every block, while a ResNet with {blocks} "
                        "blocks has 2^{blocks} paths and the half that skip the removed block still work.", **p))
            elif mr > mp + tie:
                parts.append(Msg("Here a removal hurts the ResNet more than the plain net (median {mr:.1f} vs "
                                 "{mp:.1f} points): the ensemble effect does not show in these numbers.", **p))
            else:
                parts.append(Msg("Here a removal hurts the two nets about equally (median {mr:.1f} vs {mp:.1f} "
                                 "points): the ensemble effect does not show in these numbers.", **p))
    return joined(parts)


def chance_error(n_classes: int) -> float:
    """The test error of guessing, in percent, for ``n_classes`` balanced classes."""
    return 100 * (1 - 1 / n_classes)


def chance_sentence(n_classes: int) -> Msg:
    """How the figure's chance line reads, e.g. 'Chance for 10 classes is 90 % error.'"""
    return Msg("Chance for {n} classes is {chance:.0f} % error.", n=n_classes, chance=chance_error(n_classes))


def lesion_job_caption(n_images: int) -> Msg:
    """What the background lesion study of both twins will do."""
    return Msg("Each net is evaluated once per removable block on {n} class-balanced test images, in the "
               "background: you can leave the page and come back.", n=n_images)


def measured_on(res: LesionResult) -> Msg:
    """Where a lesion study's numbers come from: how many test images of which data, which seed."""
    return Msg("Measured on {n} class-balanced test images of {data} (seed {seed}).", n=res.n_images,
               data=res.extra.get("data", "?"), seed=res.extra.get("seed", 0))
