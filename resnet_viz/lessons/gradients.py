"""The gradient page's sentences, read off ``resnet_viz.probes.gradients`` measurements: how a first/last
gradient ratio reads (``fmt_ratio``, ``trend``), the takeaway of a plain/ResNet twin pair
(``describe_twins``) and of a depth sweep (``describe_sweep``, with its table ``sweep_table``). Every
number in a sentence comes from the measurement passed in; nothing is a canned claim. The sentences are
``Msg``: English values, drawn in the session's language (the Home page computes one in a background thread).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from resnet_viz.i18n import Msg, PluralMsg, joined, num

if TYPE_CHECKING:  # the sentences need no torch: a page can import them before any model is loaded
    from resnet_viz.probes.gradients import GradientFlow



def _number(x: float, spec: str) -> Msg:
    """A number alone, drawn with the session's separators (the template is made here: not a catalog message)."""
    template = "{x:" + spec + "}"
    return Msg(template, x=x)


def fmt_ratio(r: float) -> Msg:
    if not math.isfinite(r):
        # TRANSLATORS: stands where a ratio such as "12x" would, in "receives {ratio} the weight gradient of ..."
        return Msg("a non-finite multiple of")
    if r >= 100:
        # TRANSLATORS: a ratio: "12x" = 12 times (also the next three messages)
        return Msg("{r:,.0f}x", r=r)
    if r >= 10:
        return Msg("{r:.0f}x", r=r)
    if r >= 0.1:
        return Msg("{r:.2f}x", r=r)
    return Msg("{r:.2g}x", r=r)


def trend(r: float) -> Msg:
    """How a first/last ratio reads (thresholds at 1/100, 1/3, 3 and 100)."""
    if not math.isfinite(r):
        return Msg("non-finite")
    if r >= 100:
        # TRANSLATORS: this and the next phrases complete "the gradient ...": "the gradient explodes towards the input"
        return Msg("explodes towards the input")
    if r >= 3:
        return Msg("grows moderately towards the input")
    if r > 1 / 3:
        return Msg("nearly flat")
    if r > 1 / 100:
        return Msg("shrinks towards the input")
    return Msg("vanishes towards the input")


def fmt_factor(x: float) -> Msg:
    return _number(x, ",.0f") if x >= 100 else _number(x, ".3g")


def spread(gf: GradientFlow) -> float:
    """Largest / smallest conv weight-gradient norm across the network."""
    vals = [r.grad_norm for r in gf.layers if r.kind == "conv" and r.grad_norm > 0]
    return max(vals) / min(vals) if vals else float("nan")


def describe_twins(plain: GradientFlow, res: GradientFlow) -> Msg:
    """The takeaway sentence, computed from the two measurements (never a canned claim)."""
    from resnet_viz.models.names import display_name

    p, r = display_name(plain.model), display_name(res.model)
    parts = [Msg("The first conv layer of {p} receives {p_ratio} the weight gradient of its last conv layer: the "
                 "gradient {p_trend}. In {r} the ratio is {r_ratio} ({r_trend}). Across all conv layers the gradient "
                 "norm spans a factor {p_spread} in {p} and {r_spread} in {r}.",
                 p=p, r=r, p_ratio=fmt_ratio(plain.first_last_ratio), p_trend=trend(plain.first_last_ratio),
                 r_ratio=fmt_ratio(res.first_last_ratio), r_trend=trend(res.first_last_ratio),
                 p_spread=fmt_factor(spread(plain)), r_spread=fmt_factor(spread(res)))]
    for gf, label in ((plain, p), (res, r)):
        if not gf.finite:
            parts.append(Msg("{name} produced non-finite values (overflow): its numbers cannot be trusted.",
                             name=label))
        elif gf.loss > 50:
            parts.append(Msg("But {name}'s forward pass blows up: its logits have a standard deviation of {std:,.3g} "
                             "and the loss is {loss:,.3g} (a well-scaled net starts near ln(classes), e.g. 2.3 for 10 "
                             "classes), so its gradients are dominated by that blow-up.",
                             name=label, std=gf.logit_std, loss=gf.loss))
    return joined(parts)


def sweep_table(rows: list[dict]) -> list[dict]:
    """One row per depth: the plain and ResNet ratios side by side with their min-max range (the keys are
    English: the page translates the column headers, the CLI prints them)."""
    out = []
    for d in sorted({r["depth"] for r in rows}):
        row: dict = {"depth": d}
        for r in rows:
            if r["depth"] == d:
                kind = "ResNet" if r["skip"] else "plain"
                row[f"{kind} ratio"] = r["ratio"]
                row[f"{kind} min-max"] = f"{num(r['min'], '.3g')} - {num(r['max'], '.3g')}"
        out.append(row)
    return out


def describe_sweep(rows: list[dict]) -> Msg:
    """The depth-sweep takeaway, read off the computed rows."""
    depths = sorted({r["depth"] for r in rows})
    lo, hi = depths[0], depths[-1]
    get = {(r["skip"], r["depth"]): r["ratio"] for r in rows}
    seeds = rows[0]["seeds"]
    return Msg("From {lo} to {hi} layers the plain net's first/last ratio goes from {p_lo} to {p_hi} (at {hi} layers "
               "the gradient {p_trend}); the ResNet's from {r_lo} to {r_hi} ({r_trend}). Each point is the geometric "
               "mean over {seeds} random initialisations; the bars show the smallest and largest.",
               lo=lo, hi=hi, p_lo=fmt_ratio(get[False, lo]), p_hi=fmt_ratio(get[False, hi]),
               p_trend=trend(get[False, hi]), r_lo=fmt_ratio(get[True, lo]), r_hi=fmt_ratio(get[True, hi]),
               r_trend=trend(get[True, hi]), seeds=seeds)


def describe_block_gradients(plain: GradientFlow, res: GradientFlow) -> Msg | None:
    """The takeaway of the block-output figure: how much the backward signal changes from the last block to the
    stem in each twin. None when a net has no blocks or no gradient at its last block (nothing to compare)."""
    from resnet_viz.models.names import display_name

    pb, rb = plain.blocks, res.blocks
    if not (pb and rb and pb[-1].grad_norm > 0 and rb[-1].grad_norm > 0):
        return None
    cp, cr = pb[0].grad_norm / pb[-1].grad_norm, rb[0].grad_norm / rb[-1].grad_norm
    distance = lambda c: abs(math.log(c)) if c > 0 else math.inf  # a stem gradient of 0: vanished entirely
    closer = distance(cr) < distance(cp)
    params = dict(cp=fmt_ratio(cp), plain=display_name(plain.model), cr=fmt_ratio(cr), res=display_name(res.model))
    if closer:
        first = Msg("From the last block to the stem, the gradient of the loss with respect to the block outputs "
                    "changes by {cp} in {plain} and by {cr} in {res}: the ResNet's backward signal stays closer to "
                    "constant.", **params)
    else:
        first = Msg("From the last block to the stem, the gradient of the loss with respect to the block outputs "
                    "changes by {cp} in {plain} and by {cr} in {res}: here the ResNet's backward signal changes more "
                    "than the plain net's.", **params)
    return joined([first, Msg("In a residual block H = F(x) + x, so dL/dx = dL/dH (1 + dF/dx) before the final ReLU: "
                              "the identity term hands dL/dH down unchanged; the dF/dx term adds to it, and can make "
                              "it grow.")])


def flow_reading_guide(norm: str, init_label: str, batch: int, source_label: str, seed: int) -> Msg:
    """How to read the per-layer figure, ending with the settings it was measured with (``init_label`` and
    ``source_label`` as the page shows them)."""
    guide = Msg("Each point is one convolution (or the final linear layer) in the order the data flows, input on the "
                "left. Its height is the size of the gradient the loss sends to that layer's weights after one "
                "forward/backward pass on the batch (a log scale: each grid line is 10x). A flat line means every "
                "layer gets a gradient of similar size and learns at a similar pace. A line that rises to the left "
                "means the early layers get much larger updates than the late ones (exploding); one that falls to the "
                "left means the early layers barely learn (vanishing). Hover a point for the layer's name and its "
                "ratio to the last conv layer.")
    params = dict(init=init_label, batch=batch, source=source_label, seed=seed)
    if norm == "bn":
        settings = Msg("Settings: BN normalisation, {init} initialisation, {batch} images of {source}, seed {seed}; "
                       "BatchNorm uses batch statistics (train mode), as during training.", **params)
    else:
        settings = Msg("Settings: no normalisation, {init} initialisation, {batch} images of {source}, seed {seed}; "
                       "BatchNorm uses batch statistics (train mode), as during training.", **params)
    return joined([guide, settings])


def describe_logged_norms(trajs: dict[str, dict]) -> Msg:
    """The takeaway of a finished run's logged gradient norms: the mean layer norm at its first and last step."""
    from resnet_viz.models.names import display_name

    def mean(norms: list[float]) -> float:
        return sum(norms) / len(norms)

    return joined([Msg("{name}: the mean layer gradient norm goes from {first:.3g} at step {first_step} to {last:.3g} "
                       "at step {last_step:,}.", name=display_name(n), first=mean(t["norms"][0]),
                       first_step=t["steps"][0], last=mean(t["norms"][-1]), last_step=t["steps"][-1])
                   for n, t in trajs.items()])


def describe_short_run(trajs: dict[str, dict], plain: str, res: str) -> Msg:
    """The takeaway of a short training run of both twins: where each training loss started and ended."""
    from resnet_viz.models.names import display_name

    lp, lr = trajs[plain]["loss"], trajs[res]["loss"]
    return PluralMsg("After {n} step the training loss of {plain} went from {p0:.3g} to {p1:.3g}, that of {res} from "
                     "{r0:.3g} to {r1:.3g}.",
                     "After {n} steps the training loss of {plain} went from {p0:.3g} to {p1:.3g}, that of {res} from "
                     "{r0:.3g} to {r1:.3g}.", len(lp), plain=display_name(plain), p0=lp[0], p1=lp[-1],
                     res=display_name(res), r0=lr[0], r1=lr[-1])
