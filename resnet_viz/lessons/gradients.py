"""The gradient page's sentences, read off ``resnet_viz.probes.gradients`` measurements: how a first/last
gradient ratio reads (``fmt_ratio``, ``trend``), the takeaway of a plain/ResNet twin pair
(``describe_twins``) and of a depth sweep (``describe_sweep``, with its table ``sweep_table``). Every
number in a sentence comes from the measurement passed in; nothing is a canned claim.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sentences need no torch: a page can import them before any model is loaded
    from resnet_viz.probes.gradients import GradientFlow


def fmt_ratio(r: float) -> str:
    if not math.isfinite(r):
        return "a non-finite multiple of"
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.0f}x"
    if r >= 0.1:
        return f"{r:.2f}x"
    return f"{r:.2g}x"


def trend(r: float) -> str:
    """How a first/last ratio reads (thresholds at 1/100, 1/3, 3 and 100)."""
    if not math.isfinite(r):
        return "non-finite"
    if r >= 100:
        return "explodes towards the input"
    if r >= 3:
        return "grows moderately towards the input"
    if r > 1 / 3:
        return "nearly flat"
    if r > 1 / 100:
        return "shrinks towards the input"
    return "vanishes towards the input"


def fmt_factor(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def spread(gf: GradientFlow) -> float:
    """Largest / smallest conv weight-gradient norm across the network."""
    vals = [r.grad_norm for r in gf.layers if r.kind == "conv" and r.grad_norm > 0]
    return max(vals) / min(vals) if vals else float("nan")


def describe_twins(plain: GradientFlow, res: GradientFlow) -> str:
    """The takeaway sentence, computed from the two measurements (never a canned claim)."""
    from resnet_viz.models.names import display_name

    p, r = display_name(plain.model), display_name(res.model)
    text = (f"The first conv layer of {p} receives {fmt_ratio(plain.first_last_ratio)} the weight gradient of its "
            f"last conv layer: the gradient {trend(plain.first_last_ratio)}. In {r} the ratio is "
            f"{fmt_ratio(res.first_last_ratio)} ({trend(res.first_last_ratio)}). Across all conv layers the "
            f"gradient norm spans a factor {fmt_factor(spread(plain))} in {p} and {fmt_factor(spread(res))} in {r}.")
    for gf, label in ((plain, p), (res, r)):
        if not gf.finite:
            text += f" {label} produced non-finite values (overflow): its numbers cannot be trusted."
        elif gf.loss > 50:
            text += (f" But {label}'s forward pass blows up: its logits have a standard deviation of "
                     f"{gf.logit_std:,.3g} and the loss is {gf.loss:,.3g} (a well-scaled net starts near ln(classes), "
                     f"e.g. 2.3 for 10 classes), so its gradients are dominated by that blow-up.")
    return text


def sweep_table(rows: list[dict]) -> list[dict]:
    """One row per depth: the plain and ResNet ratios side by side with their min-max range."""
    out = []
    for d in sorted({r["depth"] for r in rows}):
        row: dict = {"depth": d}
        for r in rows:
            if r["depth"] == d:
                kind = "ResNet" if r["skip"] else "plain"
                row[f"{kind} ratio"] = r["ratio"]
                row[f"{kind} min-max"] = f"{r['min']:.3g} - {r['max']:.3g}"
        out.append(row)
    return out


def describe_sweep(rows: list[dict]) -> str:
    """The depth-sweep takeaway, read off the computed rows."""
    depths = sorted({r["depth"] for r in rows})
    lo, hi = depths[0], depths[-1]
    get = {(r["skip"], r["depth"]): r["ratio"] for r in rows}
    seeds = rows[0]["seeds"]
    return (f"From {lo} to {hi} layers the plain net's first/last ratio goes from {fmt_ratio(get[False, lo])} to "
            f"{fmt_ratio(get[False, hi])} (at {hi} layers the gradient {trend(get[False, hi])}); the ResNet's from "
            f"{fmt_ratio(get[True, lo])} to {fmt_ratio(get[True, hi])} ({trend(get[True, hi])}). Each point is the "
            f"geometric mean over {seeds} random initialisations; the bars show the smallest and largest.")


def describe_block_gradients(plain: GradientFlow, res: GradientFlow) -> str | None:
    """The takeaway of the block-output figure: how much the backward signal changes from the last block to the
    stem in each twin. None when a net has no blocks or no gradient at its last block (nothing to compare)."""
    from resnet_viz.models.names import display_name

    pb, rb = plain.blocks, res.blocks
    if not (pb and rb and pb[-1].grad_norm > 0 and rb[-1].grad_norm > 0):
        return None
    cp, cr = pb[0].grad_norm / pb[-1].grad_norm, rb[0].grad_norm / rb[-1].grad_norm
    distance = lambda c: abs(math.log(c)) if c > 0 else math.inf  # a stem gradient of 0: vanished entirely
    closer = distance(cr) < distance(cp)
    return (f"From the last block to the stem, the gradient of the loss with respect to the block outputs "
            f"changes by {fmt_ratio(cp)} in {display_name(plain.model)} and by {fmt_ratio(cr)} in "
            f"{display_name(res.model)}: "
            + ("the ResNet's backward signal stays closer to constant. " if closer else
               "here the ResNet's backward signal changes more than the plain net's. ")
            + "In a residual block H = F(x) + x, so dL/dx = dL/dH (1 + dF/dx) before the final ReLU: the "
            "identity term hands dL/dH down unchanged; the dF/dx term adds to it, and can make it grow.")


def flow_reading_guide(norm: str, init_label: str, batch: int, source_label: str, seed: int) -> str:
    """How to read the per-layer figure, ending with the settings it was measured with."""
    return (f"Each point is one convolution (or the final linear layer) in the order the data flows, input on "
            f"the left. Its height is the size of the gradient the loss sends to that layer's weights after one "
            f"forward/backward pass on the batch (a log scale: each grid line is 10x). A flat line means every "
            f"layer gets a gradient of similar size and learns at a similar pace. A line that rises to the left "
            f"means the early layers get much larger updates than the late ones (exploding); one that falls to "
            f"the left means the early layers barely learn (vanishing). Hover a point for the layer's name and "
            f"its ratio to the last conv layer. Settings: {norm.upper() if norm == 'bn' else 'no'} normalisation, "
            f"{init_label} initialisation, {batch} images of {source_label}, seed {seed}; BatchNorm uses batch "
            f"statistics (train mode), as during training.")


def describe_logged_norms(trajs: dict[str, dict]) -> str:
    """The takeaway of a finished run's logged gradient norms: the mean layer norm at its first and last step."""
    from resnet_viz.models.names import display_name

    def mean(norms: list[float]) -> float:
        return sum(norms) / len(norms)

    return " ".join(f"{display_name(n)}: the mean layer gradient norm goes from {mean(t['norms'][0]):.3g} at step "
                    f"{t['steps'][0]} to {mean(t['norms'][-1]):.3g} at step {t['steps'][-1]:,}."
                    for n, t in trajs.items())


def describe_short_run(trajs: dict[str, dict], plain: str, res: str) -> str:
    """The takeaway of a short training run of both twins: where each training loss started and ended."""
    from resnet_viz.models.names import display_name

    lp, lr = trajs[plain]["loss"], trajs[res]["loss"]
    return (f"After {len(lp)} steps the training loss of {display_name(plain)} went from {lp[0]:.3g} to "
            f"{lp[-1]:.3g}, that of {display_name(res)} from {lr[0]:.3g} to {lr[-1]:.3g}.")
