"""The Degradation page's sentences (and the Home page's degradation step), read off the training errors
and layer responses of twin runs: whether the deeper plain net trains worse, whether the deeper ResNet trains
better, and how the layer responses order (He et al. 2015, Figures 1, 6 and 7). Nothing here is written by
hand: every number and every "as in the paper" / "here it does not show" comes from the data given.
The sentences are ``Msg``: English values, drawn in the session's language (the Home page's step is computed
once per process, in a background thread).
"""

from __future__ import annotations

from resnet_viz.i18n import Msg, PluralMsg, joined
from resnet_viz.models.names import display_name
from resnet_viz.runs.twins import twin_depth


def describe_degradation(finals: dict[str, dict], shallow: int, deep: int, epoch: int | None = None) -> Msg:
    """The takeaway, read off the training errors (the paper's claim is about *training* error)."""
    def te(name):
        v = finals.get(name, {}).get("train_error")
        return None if v is None else 100 * v

    p_s, p_d, r_s, r_d = te(f"plain{shallow}"), te(f"plain{deep}"), te(f"resnet{shallow}"), te(f"resnet{deep}")
    if None in (p_s, p_d, r_s, r_d):
        return Msg("Not all four runs have finished an epoch yet: the comparison appears when they have.")
    depths = dict(deep=deep, shallow=shallow)
    if p_d > p_s:
        plain = Msg("plain-{deep} has {diff:.1f} points *more* training error than plain-{shallow} ({p_d:.1f} % vs "
                    "{p_s:.1f} %): the deeper plain net trains worse, the degradation problem",
                    diff=p_d - p_s, p_d=p_d, p_s=p_s, **depths)
    else:
        plain = Msg("plain-{deep} has {diff:.1f} points less training error than plain-{shallow} ({p_d:.1f} % vs "
                    "{p_s:.1f} %): in these runs the degradation problem does not show",
                    diff=p_s - p_d, p_d=p_d, p_s=p_s, **depths)
    if r_d <= r_s:
        res = Msg("ResNet-{deep} is {diff:.1f} points *below* ResNet-{shallow} ({r_d:.1f} % vs {r_s:.1f} %): with "
                  "skip connections depth helps", diff=r_s - r_d, r_d=r_d, r_s=r_s, **depths)
    else:
        res = Msg("ResNet-{deep} is {diff:.1f} points above ResNet-{shallow} ({r_d:.1f} % vs {r_s:.1f} %)",
                  diff=r_d - r_s, r_d=r_d, r_s=r_s, **depths)
    if epoch:
        when = PluralMsg("After {n} epoch (all four runs), training error",
                         "After {n} epochs (all four runs), training error", epoch)
    else:
        when = Msg("Final training error")
    # TRANSLATORS: {when} is "After 3 epochs (all four runs), training error" or "Final training error"; {plain}
    # and {res} are the clauses about the plain nets and the ResNets.
    return Msg("{when}: {plain}. {res}.", when=when, plain=plain, res=res)


def describe_one_depth(finals: dict[str, dict], depth: int, epoch: int | None = None) -> Msg:
    """The takeaway for a set with twins at a single depth: how the two compare, and what is missing."""
    p, r = (finals.get(f"{k}{depth}", {}).get("train_error") for k in ("plain", "resnet"))
    if p is None or r is None:
        return Msg("Not both runs have finished an epoch yet: the comparison appears when they have.")
    diff = 100 * (p - r)
    params = dict(depth=depth, r=100 * r, p=100 * p, diff=abs(diff))
    if diff > 0:
        return PluralMsg(
            "After {n} epoch, ResNet-{depth} has {r:.1f} % training error and Plain-{depth} {p:.1f} % (the ResNet "
            "is {diff:.1f} points lower). These runs have one depth only: whether depth hurts the plain net needs a "
            "deeper pair.",
            "After {n} epochs, ResNet-{depth} has {r:.1f} % training error and Plain-{depth} {p:.1f} % (the ResNet "
            "is {diff:.1f} points lower). These runs have one depth only: whether depth hurts the plain net needs a "
            "deeper pair.", epoch, **params)
    return PluralMsg(
        "After {n} epoch, ResNet-{depth} has {r:.1f} % training error and Plain-{depth} {p:.1f} % (the ResNet "
        "is {diff:.1f} points higher). These runs have one depth only: whether depth hurts the plain net needs a "
        "deeper pair.",
        "After {n} epochs, ResNet-{depth} has {r:.1f} % training error and Plain-{depth} {p:.1f} % (the ResNet "
        "is {diff:.1f} points higher). These runs have one depth only: whether depth hurts the plain net needs a "
        "deeper pair.", epoch, **params)


def describe_depth_gaps(at: dict[str, dict], shallow: int, deep: int, epoch: int) -> Msg:
    """The Home page's degradation step: how much more (or less) training error each deeper net ends with."""
    te = {n: 100 * at[n]["train_error"] for n in at}
    d_plain, d_res = te[f"plain{deep}"] - te[f"plain{shallow}"], te[f"resnet{deep}"] - te[f"resnet{shallow}"]
    plain = dict(epoch=epoch, deep=deep, shallow=shallow, diff=abs(d_plain), a=te[f"plain{deep}"],
                 b=te[f"plain{shallow}"])
    res = dict(deep=deep, shallow=shallow, diff=abs(d_res), a=te[f"resnet{deep}"], b=te[f"resnet{shallow}"])
    if d_plain > 0:
        first = Msg("After {epoch} epochs on CIFAR-10, Plain-{deep} ends with {diff:.1f} points more training error "
                    "than Plain-{shallow} ({a:.1f} vs {b:.1f} %)", **plain)
    else:
        first = Msg("After {epoch} epochs on CIFAR-10, Plain-{deep} ends with {diff:.1f} points less training error "
                    "than Plain-{shallow} ({a:.1f} vs {b:.1f} %)", **plain)
    if d_res > 0:
        second = Msg("ResNet-{deep} ends with {diff:.1f} points more than ResNet-{shallow} ({a:.1f} vs {b:.1f} %)",
                     **res)
    else:
        second = Msg("ResNet-{deep} ends with {diff:.1f} points less than ResNet-{shallow} ({a:.1f} vs {b:.1f} %)",
                     **res)
    # TRANSLATORS: two clauses of one sentence: the plain nets' training errors, then the ResNets'.
    return Msg("{first}; {second}.", first=first, second=second)


def describe_responses(responses: dict[str, list[dict]]) -> Msg:
    """Read the ordering of the mean response std off the data and compare it with the paper's."""
    means = {n: sum(r["std"] for r in rows) / len(rows) for n, rows in responses.items() if rows}
    order = sorted(means, key=means.get)
    # TRANSLATORS: a network and the mean std of its layer responses, e.g. "ResNet-20 0.512".
    values = joined([Msg("{name} {std:.3f}", name=display_name(n), std=means[n]) for n in order], " < ")
    text = Msg("Mean std of the 3x3 layer responses, smallest first: {values}.", values=values)
    depths = sorted(d for d in {twin_depth(n) for n in means}
                    if f"plain{d}" in means and f"resnet{d}" in means)  # only complete twin pairs compare
    if not depths:
        return text
    below = all(means[f"resnet{d}"] < means[f"plain{d}"] for d in depths)
    deeper_lower = len(depths) > 1 and means[f"resnet{depths[-1]}"] < means[f"resnet{depths[0]}"]
    if len(depths) == 1:
        d = depths[0]
        if below:
            return joined([text, Msg("As in the paper, ResNet-{d} responds less than Plain-{d}: its residual "
                                     "functions stay closer to zero.", d=d)])
        return joined([text, Msg("The paper reports ResNets below their plain twins; here ResNet-{d} is not below "
                                 "Plain-{d}.", d=d)])
    if below and deeper_lower:
        return joined([text, Msg("As in the paper, the ResNets respond less than their plain twins and the deeper "
                                 "ResNet less still: its residual functions stay closer to zero.")])
    if below:
        extra = Msg("The paper reports ResNets below their plain twins and deeper ResNets lower still; here the "
                    "ResNets are below their twins and the deeper ResNet is not lower (short or small runs can "
                    "differ).")
    elif deeper_lower:
        extra = Msg("The paper reports ResNets below their plain twins and deeper ResNets lower still; here the "
                    "ResNets are not below their twins and the deeper ResNet is lower (short or small runs can "
                    "differ).")
    else:
        extra = Msg("The paper reports ResNets below their plain twins and deeper ResNets lower still; here the "
                    "ResNets are not below their twins and the deeper ResNet is not lower (short or small runs can "
                    "differ).")
    return joined([text, extra])


def one_depth_note(depth: int) -> Msg:
    """Why a set with twins at a single depth cannot show the degradation problem, and how to get a second pair."""
    return Msg("Only {depth}-layer twins in this set: the degradation problem needs a second, deeper pair. Train one "
               "below, or ship all four with scripts/train_shipped_runs.sh.", depth=depth)


def curves_reading_guide(batch: int) -> Msg:
    """How to read the training curves of a set trained with batches of ``batch`` images."""
    return Msg("Each curve is the classification error (% of images wrong) during training, against the number of "
               "training iterations (one iteration = one batch of {batch} images). **Solid**: training error, "
               "measured on the training images as they are seen (with augmentation). **Dashed**: test error on the "
               "held-out test images after each epoch. Thick, dark lines are the deeper net. The paper's point is "
               "about the *solid* lines: if the deep plain net's training error is higher than the shallow one's, the "
               "extra layers make the network harder to *optimise*; it is not overfitting (that would show as low "
               "training error and high test error).", batch=batch)
