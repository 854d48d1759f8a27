"""The loss-landscape sentences (Why it works page), read off ``resnet_viz.probes.landscape``'s statistics
of a plain net's slice and its ResNet twin's: the loss at the centre and on the rim, and which surface is
the smoother by three criteria (basin of the global minimum, local minima, non-convex points). The
verdict follows the numbers, whichever way they come out. The sentences are ``Msg``: English values, drawn
in the session's language.
"""

from __future__ import annotations

import math

from resnet_viz.i18n import Msg, joined
from resnet_viz.models.names import display_name
from resnet_viz.probes.landscape import LandscapeResult, landscape_stats

_SPAN = "{span:g}"  # a template made here, not marked: only a number (in the language's separators)
_LOSS = "{loss:.3g}"



def _smoother(a: dict, b: dict) -> int:
    """How many of the three smoothness criteria say surface ``a`` is smoother than ``b``: a larger
    basin of the global minimum, fewer local minima, fewer non-convex points. Differences in the
    fractions below 5 points of percentage count as ties (grid noise)."""
    return ((a["basin_fraction"] > b["basin_fraction"] + 0.05) + (a["local_minima"] < b["local_minima"])
            + (a["nonconvex_fraction"] < b["nonconvex_fraction"] - 0.05))


def _rim(s: dict) -> Msg:
    """The mean loss on the rim, and how many times the centre's it is (when that is a number)."""
    ratio = s["rim_ratio"]
    if not math.isfinite(ratio):
        return Msg(_LOSS, loss=s["rim_loss"])
    # TRANSLATORS: a loss and how many times the loss at the centre it is, e.g. "3 (1.5x the centre)"
    return Msg("{loss:.3g} ({ratio:.2g}x the centre)", loss=s["rim_loss"], ratio=ratio)


def _first(plain: LandscapeResult, res: LandscapeResult, sp: dict, sr: dict) -> Msg:
    """The loss at the centre, and where a step of the span takes it."""
    p, r = display_name(plain.model), display_name(res.model)
    if plain.span == res.span:
        span = Msg(_SPAN, span=res.span)
    else:
        # TRANSLATORS: two nets' spans, e.g. "1 (Plain-20) and 2 (ResNet-20)"
        span = Msg("{plain_span:g} ({plain}) and {res_span:g} ({resnet})", plain_span=plain.span, plain=p,
                   res_span=res.span, resnet=r)
    values = dict(plain=p, resnet=r, plain_centre=sp["centre_loss"], res_centre=sr["centre_loss"], span=span,
                  plain_rim=_rim(sp), res_rim=_rim(sr))
    rises = sp["rim_ratio"] > 1 and sr["rim_ratio"] > 1
    if res.dims == 2:
        if rises:
            return Msg("At the model's own weights (the centre) the loss is {plain_centre:.3g} for {plain} and "
                       "{res_centre:.3g} for {resnet}; a step of {span} along filter-normalised random directions "
                       "(the edge of the square) raises it on average to {plain_rim} and {res_rim}.", **values)
        return Msg("At the model's own weights (the centre) the loss is {plain_centre:.3g} for {plain} and "
                   "{res_centre:.3g} for {resnet}; a step of {span} along filter-normalised random directions "
                   "(the edge of the square) changes it on average to {plain_rim} and {res_rim}.", **values)
    if rises:
        return Msg("At the model's own weights (the centre) the loss is {plain_centre:.3g} for {plain} and "
                   "{res_centre:.3g} for {resnet}; a step of {span} along filter-normalised random directions "
                   "(both ends of the line) raises it on average to {plain_rim} and {res_rim}.", **values)
    return Msg("At the model's own weights (the centre) the loss is {plain_centre:.3g} for {plain} and "
               "{res_centre:.3g} for {resnet}; a step of {span} along filter-normalised random directions "
               "(both ends of the line) changes it on average to {plain_rim} and {res_rim}.", **values)


def describe_landscape(plain: LandscapeResult, res: LandscapeResult) -> Msg:
    """Two sentences for students about a plain net's slice and its ResNet twin's, every claim read
    off ``landscape_stats`` (the verdict follows the numbers, whichever way they come out)."""
    p, r = display_name(plain.model), display_name(res.model)
    sp, sr = landscape_stats(plain), landscape_stats(res)
    values = dict(plain=p, resnet=r, plain_basin=sp["basin_fraction"], res_basin=sr["basin_fraction"],
                  plain_minima=sp["local_minima"], res_minima=sr["local_minima"],
                  plain_nonconvex=sp["nonconvex_fraction"], res_nonconvex=sr["nonconvex_fraction"])
    better_r, better_p = _smoother(sr, sp), _smoother(sp, sr)
    if better_r > better_p:
        second = Msg("Rolling downhill from grid point to grid point ends at the lowest point from {plain_basin:.0%} "
                     "of the grid for {plain} and {res_basin:.0%} for {resnet} (local minima: {plain_minima} and "
                     "{res_minima}; interior points where the surface is not locally convex: {plain_nonconvex:.0%} "
                     "and {res_nonconvex:.0%}), so {resnet}'s surface is the smoother, more bowl-like one.", **values)
    elif better_p > better_r:
        second = Msg("Rolling downhill from grid point to grid point ends at the lowest point from {plain_basin:.0%} "
                     "of the grid for {plain} and {res_basin:.0%} for {resnet} (local minima: {plain_minima} and "
                     "{res_minima}; interior points where the surface is not locally convex: {plain_nonconvex:.0%} "
                     "and {res_nonconvex:.0%}), so on this grid {plain}'s surface is the smoother one.", **values)
    else:
        second = Msg("Rolling downhill from grid point to grid point ends at the lowest point from {plain_basin:.0%} "
                     "of the grid for {plain} and {res_basin:.0%} for {resnet} (local minima: {plain_minima} and "
                     "{res_minima}; interior points where the surface is not locally convex: {plain_nonconvex:.0%} "
                     "and {res_nonconvex:.0%}), so on this grid the two surfaces are about equally smooth.", **values)
    parts = [_first(plain, res, sp, sr), second]
    bad = [lab for lab, s in ((p, sp), (r, sr)) if not s["finite"]]
    if len(bad) == 1:
        parts.append(Msg("Some points of {name} overflowed (non-finite loss).", name=bad[0]))
    elif bad:
        parts.append(Msg("Some points of {first} and {second} overflowed (non-finite loss).", first=bad[0],
                         second=bad[1]))
    return joined(parts)


def landscape_job_caption(n_nets: int, points: int, images: int, stored: list[LandscapeResult]) -> Msg:
    """What computing ``n_nets`` landscapes of ``points`` grid points on ``images`` images involves, with the
    time it should take at the speed of the ``stored`` landscapes (one per net; no estimate without them)."""
    if len(stored) == n_nets and all(r.points_per_second > 0 and r.n_images for r in stored):
        minutes = sum(points * images / (r.points_per_second * r.n_images) for r in stored) / 60
        return Msg("{points} grid points x {images} images. At the speed the stored landscapes were computed, "
                   "about {minutes:.0f} minutes. It runs in the background: you can leave the page and come back.",
                   points=n_nets * points, images=images, minutes=minutes)
    return Msg("{points} grid points x {images} images. It runs in the background: you can leave the page and "
               "come back.", points=n_nets * points, images=images)


def landscape_caption(r: LandscapeResult) -> Msg:
    """How a landscape was measured: grid, images, directions' seed, time and the command that reproduces it."""
    return Msg("{steps} points per axis in [-{span:g}, {span:g}], {images} training images of {data}, directions "
               "from seed {seed}; {seconds:.0f} s ({speed:.1f} points/s). Command: `{command}`", steps=r.steps,
               span=r.span, images=r.n_images, data=r.settings.get("data", "?"), seed=r.seed, seconds=r.seconds,
               speed=r.points_per_second, command=r.settings.get("command", ""))
