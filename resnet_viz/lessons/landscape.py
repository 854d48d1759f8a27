"""The loss-landscape sentences (Why it works page), read off ``resnet_viz.probes.landscape``'s statistics
of a plain net's slice and its ResNet twin's: the loss at the centre and on the rim, and which surface is
the smoother by three criteria (basin of the global minimum, local minima, non-convex points). The
verdict follows the numbers, whichever way they come out.
"""

from __future__ import annotations

import math

from resnet_viz.models.names import display_name
from resnet_viz.probes.landscape import LandscapeResult, landscape_stats


def _smoother(a: dict, b: dict) -> int:
    """How many of the three smoothness criteria say surface ``a`` is smoother than ``b``: a larger
    basin of the global minimum, fewer local minima, fewer non-convex points. Differences in the
    fractions below 5 points of percentage count as ties (grid noise)."""
    return ((a["basin_fraction"] > b["basin_fraction"] + 0.05) + (a["local_minima"] < b["local_minima"])
            + (a["nonconvex_fraction"] < b["nonconvex_fraction"] - 0.05))


def describe_landscape(plain: LandscapeResult, res: LandscapeResult) -> str:
    """Two sentences for students about a plain net's slice and its ResNet twin's, every claim read
    off ``landscape_stats`` (the verdict follows the numbers, whichever way they come out)."""
    p, r = display_name(plain.model), display_name(res.model)
    sp, sr = landscape_stats(plain), landscape_stats(res)
    where = "the edge of the square" if res.dims == 2 else "both ends of the line"
    span = f"{res.span:g}" if plain.span == res.span else f"{plain.span:g} ({p}) and {res.span:g} ({r})"

    def rim(s: dict) -> str:
        ratio = s["rim_ratio"]
        if not math.isfinite(ratio):
            return f"{s['rim_loss']:.3g}"
        return f"{s['rim_loss']:.3g} ({ratio:.2g}x the centre)"

    rises = sp["rim_ratio"] > 1 and sr["rim_ratio"] > 1
    first = (f"At the model's own weights (the centre) the loss is {sp['centre_loss']:.3g} for {p} and "
             f"{sr['centre_loss']:.3g} for {r}; a step of {span} along filter-normalised random directions ({where}) "
             f"{'raises it' if rises else 'changes it'} on average to {rim(sp)} and {rim(sr)}.")

    better_r, better_p = _smoother(sr, sp), _smoother(sp, sr)
    if better_r > better_p:
        verdict = f"so {r}'s surface is the smoother, more bowl-like one"
    elif better_p > better_r:
        verdict = f"so on this grid {p}'s surface is the smoother one"
    else:
        verdict = "so on this grid the two surfaces are about equally smooth"
    second = (f"Rolling downhill from grid point to grid point ends at the lowest point from "
              f"{sp['basin_fraction']:.0%} of the grid for {p} and {sr['basin_fraction']:.0%} for {r} (local minima: "
              f"{sp['local_minima']} and {sr['local_minima']}; interior points where the surface is not locally "
              f"convex: {sp['nonconvex_fraction']:.0%} and {sr['nonconvex_fraction']:.0%}), {verdict}.")
    bad = [lab for lab, s in ((p, sp), (r, sr)) if not s["finite"]]
    if bad:
        second += f" Some points of {' and '.join(bad)} overflowed (non-finite loss)."
    return f"{first} {second}"


def landscape_job_caption(n_nets: int, points: int, images: int, stored: list[LandscapeResult]) -> str:
    """What computing ``n_nets`` landscapes of ``points`` grid points on ``images`` images involves, with the
    time it should take at the speed of the ``stored`` landscapes (one per net; no estimate without them)."""
    eta = ""
    if len(stored) == n_nets and all(r.points_per_second > 0 and r.n_images for r in stored):
        minutes = sum(points * images / (r.points_per_second * r.n_images) for r in stored) / 60
        eta = f" At the speed the stored landscapes were computed, about {minutes:.0f} minutes."
    return (f"{n_nets * points} grid points x {images} images.{eta} It runs in the background: "
            "you can leave the page and come back.")


def landscape_caption(r: LandscapeResult) -> str:
    """How a landscape was measured: grid, images, directions' seed, time and the command that reproduces it."""
    return (f"{r.steps} points per axis in [-{r.span:g}, {r.span:g}], {r.n_images} training "
            f"images of {r.settings.get('data', '?')}, directions from seed {r.seed}; "
            f"{r.seconds:.0f} s ({r.points_per_second:.1f} points/s). "
            f"Command: `{r.settings.get('command', '')}`")
