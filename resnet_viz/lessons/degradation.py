"""The Degradation page's sentences (and the Home page's degradation step), read off the training errors
and layer responses of twin runs: whether the deeper plain net trains worse, whether the deeper ResNet trains
better, and how the layer responses order (He et al. 2015, Figures 1, 6 and 7). Nothing here is written by
hand: every number and every "as in the paper" / "here it does not show" comes from the data given.
"""

from __future__ import annotations

from resnet_viz.models.names import display_name
from resnet_viz.runs.twins import twin_depth


def _epochs(epoch: int) -> str:
    return f"{epoch} epoch{'s' if epoch != 1 else ''}"


def describe_degradation(finals: dict[str, dict], shallow: int, deep: int, epoch: int | None = None) -> str:
    """The takeaway, read off the training errors (the paper's claim is about *training* error)."""
    def te(name):
        v = finals.get(name, {}).get("train_error")
        return None if v is None else 100 * v

    p_s, p_d, r_s, r_d = te(f"plain{shallow}"), te(f"plain{deep}"), te(f"resnet{shallow}"), te(f"resnet{deep}")
    if None in (p_s, p_d, r_s, r_d):
        return "Not all four runs have finished an epoch yet: the comparison appears when they have."
    plain = (f"plain-{deep} has {p_d - p_s:.1f} points *more* training error than plain-{shallow} "
             f"({p_d:.1f} % vs {p_s:.1f} %): the deeper plain net trains worse, the degradation problem"
             if p_d > p_s else
             f"plain-{deep} has {p_s - p_d:.1f} points less training error than plain-{shallow} "
             f"({p_d:.1f} % vs {p_s:.1f} %): in these runs the degradation problem does not show")
    res = (f"ResNet-{deep} is {r_s - r_d:.1f} points *below* ResNet-{shallow} ({r_d:.1f} % vs {r_s:.1f} %): "
           "with skip connections depth helps" if r_d <= r_s else
           f"ResNet-{deep} is {r_d - r_s:.1f} points above ResNet-{shallow} ({r_d:.1f} % vs {r_s:.1f} %)")
    when = f"After {_epochs(epoch)} (all four runs), training error" if epoch else "Final training error"
    return f"{when}: {plain}. {res}."


def describe_one_depth(finals: dict[str, dict], depth: int, epoch: int | None = None) -> str:
    """The takeaway for a set with twins at a single depth: how the two compare, and what is missing."""
    p, r = (finals.get(f"{k}{depth}", {}).get("train_error") for k in ("plain", "resnet"))
    if p is None or r is None:
        return "Not both runs have finished an epoch yet: the comparison appears when they have."
    diff = 100 * (p - r)
    return (f"After {_epochs(epoch)}, ResNet-{depth} has {100 * r:.1f} % training error and "
            f"Plain-{depth} {100 * p:.1f} % (the ResNet is {abs(diff):.1f} points "
            f"{'lower' if diff > 0 else 'higher'}). "
            "These runs have one depth only: whether depth hurts the plain net needs a deeper pair.")


def describe_depth_gaps(at: dict[str, dict], shallow: int, deep: int, epoch: int) -> str:
    """The Home page's degradation step: how much more (or less) training error each deeper net ends with."""
    te = {n: 100 * at[n]["train_error"] for n in at}
    d_plain, d_res = te[f"plain{deep}"] - te[f"plain{shallow}"], te[f"resnet{deep}"] - te[f"resnet{shallow}"]

    def word(d: float) -> str:
        return f"{abs(d):.1f} points {'more' if d > 0 else 'less'}"

    return (f"After {epoch} epochs on CIFAR-10, Plain-{deep} ends with {word(d_plain)} training error than "
            f"Plain-{shallow} ({te[f'plain{deep}']:.1f} vs {te[f'plain{shallow}']:.1f} %); ResNet-{deep} ends with "
            f"{word(d_res)} than ResNet-{shallow} ({te[f'resnet{deep}']:.1f} vs {te[f'resnet{shallow}']:.1f} %).")


def describe_responses(responses: dict[str, list[dict]]) -> str:
    """Read the ordering of the mean response std off the data and compare it with the paper's."""
    means = {n: sum(r["std"] for r in rows) / len(rows) for n, rows in responses.items() if rows}
    order = sorted(means, key=means.get)
    text = ("Mean std of the 3x3 layer responses, smallest first: "
            + " < ".join(f"{display_name(n)} {means[n]:.3f}" for n in order) + ".")
    depths = sorted(d for d in {twin_depth(n) for n in means}
                    if f"plain{d}" in means and f"resnet{d}" in means)  # only complete twin pairs compare
    if not depths:
        return text
    below = all(means[f"resnet{d}"] < means[f"plain{d}"] for d in depths)
    deeper_lower = len(depths) > 1 and means[f"resnet{depths[-1]}"] < means[f"resnet{depths[0]}"]
    if len(depths) == 1:
        d = depths[0]
        return text + (f" As in the paper, ResNet-{d} responds less than Plain-{d}: its residual functions stay "
                       "closer to zero." if below else
                       f" The paper reports ResNets below their plain twins; here ResNet-{d} is not below Plain-{d}.")
    if below and deeper_lower:
        return text + (" As in the paper, the ResNets respond less than their plain twins and the deeper ResNet "
                       "less still: its residual functions stay closer to zero.")
    return text + (" The paper reports ResNets below their plain twins and deeper ResNets lower still; "
                   f"here the ResNets are {'' if below else 'not '}below their twins and the deeper ResNet is "
                   f"{'' if deeper_lower else 'not '}lower (short or small runs can differ).")


def one_depth_note(depth: int) -> str:
    """Why a set with twins at a single depth cannot show the degradation problem, and how to get a second pair."""
    return (f"Only {depth}-layer twins in this set: the degradation problem needs a second, deeper "
            "pair. Train one below, or ship all four with scripts/train_shipped_runs.sh.")


def curves_reading_guide(batch: int) -> str:
    """How to read the training curves of a set trained with batches of ``batch`` images."""
    return ("Each curve is the classification error (% of images wrong) during training, against the number of "
            f"training iterations (one iteration = one batch of {batch} images). **Solid**: training error, measured "
            "on the training images as they are seen (with augmentation). **Dashed**: test error on the held-out test "
            "images after each epoch. Thick, dark lines are the deeper net. The paper's point is about the *solid* "
            "lines: if the deep plain net's training error is higher than the shallow one's, the extra layers make "
            "the network harder to *optimise*; it is not overfitting (that would show as low training error and "
            "high test error).")
