"""The shattered-gradients sentences (Why it works page, ``shattered`` command), read off the rows of
``resnet_viz.probes.shattered``'s studies: how a correlation length reads (``fmt_length``) and what the
plain and ResNet twins' lag-1 correlations show (``describe_shattering``). The verdict follows the
numbers, whichever way they come out. The sentences are ``Msg``: English values, drawn in the session's
language.
"""

from __future__ import annotations

import math

from resnet_viz.i18n import Msg, PluralMsg, joined

CLEAR_GAP = 0.05  # lag-1 correlations closer than this read as "about the same"
WHITE = 0.1  # |lag-1 correlation| below this reads as white noise
_NUMBER = "{x:.2f}"  # a template made here, not marked: only a number (in the language's separators)



def fmt_length(row: dict) -> Msg:
    """A row's correlation length in steps, e.g. 'under one step', '4.0 steps', 'more than 128 steps'."""
    v = row["corr_length"]
    if not math.isfinite(v):
        # TRANSLATORS: a correlation length that could not be measured
        return Msg("undefined")
    if row.get("corr_length_lower_bound") and row["corr_length_min"] >= row["corr_length_max"]:
        return Msg("more than {steps:.0f} steps", steps=v)
    if v < 1:
        text = Msg("under one step")
    else:
        text = Msg("{steps:.1f} steps", steps=v) if v < 10 else Msg("{steps:.0f} steps", steps=v)
    # TRANSLATORS: {length} is a correlation length such as "4.0 steps" or "under one step"
    return Msg("at least {length}", length=text) if row.get("corr_length_lower_bound") else text


def _corr(x: float) -> float:
    """A correlation for a ``:.2f`` placeholder, without a "-0.00"."""
    return 0.0 if f"{x:.2f}" == "-0.00" else x


def fmt_corr(x: float) -> Msg:
    """A correlation with two decimals, without a "-0.00"."""
    return Msg(_NUMBER, x=_corr(x))


def _join(items: list) -> Msg | str:
    """Depths as "20", "20 and 56", "20, 56 and 110"."""
    items = [str(i) for i in items]
    if len(items) == 1:
        return items[0]
    # TRANSLATORS: the end of a list of depths, e.g. "20, 56 and 110" ({items} is "20, 56", {last} is "110")
    return Msg("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])


def _verdict(depths: list[int], lag: dict) -> Msg:
    """The plain net's gradients clearly less correlated at every depth: how much, and whether faster with depth."""
    lo, hi = depths[0], depths[-1]
    if len(depths) == 1:
        return Msg("The plain net's gradients are clearly less correlated than the ResNet's.")
    if lag[hi, False] < lag[lo, False] and (lag[lo, False] - lag[hi, False]) > (lag[lo, True] - lag[hi, True]):
        return Msg("The plain net's gradients are clearly less correlated than the ResNet's at every depth "
                   "measured, and lose correlation faster with depth (from {lo} to {hi} layers: plain "
                   "{plain_lo:.2f} to {plain_hi:.2f}, ResNet {res_lo:.2f} to {res_hi:.2f}).", lo=lo, hi=hi,
                   plain_lo=_corr(lag[lo, False]), plain_hi=_corr(lag[hi, False]), res_lo=_corr(lag[lo, True]),
                   res_hi=_corr(lag[hi, True]))
    return Msg("The plain net's gradients are clearly less correlated than the ResNet's at every depth measured.")


def describe_shattering(rows: list[dict]) -> Msg:
    """The takeaway, read off the rows of ``depth_study`` / ``trained_study`` (plain and ResNet twins).

    Every number is from the rows and the verdict follows them: the plain net's gradients are called less
    correlated at a depth only where its lag-1 correlation is below the ResNet's by more than ``CLEAR_GAP``,
    and shattered (white noise) only where it is within ``WHITE`` of zero while the ResNet's is not.
    """
    by = {(r["depth"], r["skip"]): r for r in rows}
    depths = sorted({r["depth"] for r in rows if (r["depth"], True) in by and (r["depth"], False) in by})
    if not depths:
        return Msg("No plain/ResNet twins to compare.")
    lag = {(d, skip): by[d, skip]["lag1"] for d in depths for skip in (False, True)}
    sentences = []
    for i, d in enumerate(depths):
        p, r = by[d, False], by[d, True]
        values = dict(depth=d, res=_corr(r["lag1"]), plain=_corr(p["lag1"]), res_length=fmt_length(r),
                      plain_length=fmt_length(p))
        if i == 0:
            sentences.append(Msg(
                "At {depth} layers, gradients at neighbouring points of the line correlate {res:.2f} in the ResNet "
                "and {plain:.2f} in the plain net; the correlation length (the lag at which the correlation drops "
                "below 1/e) is {res_length} in the ResNet and {plain_length} in the plain net.", **values))
        else:
            # TRANSLATORS: the ResNet's numbers first, then the plain net's ("0.90 vs 0.05")
            sentences.append(Msg("At {depth} layers: {res:.2f} vs {plain:.2f}, correlation length {res_length} vs "
                                 "{plain_length}.", **values))
    clear = [d for d in depths if lag[d, False] < lag[d, True] - CLEAR_GAP]
    reverse = [d for d in depths if lag[d, False] > lag[d, True] + CLEAR_GAP]
    if len(clear) == len(depths):
        sentences.append(_verdict(depths, lag))
    elif not clear and not reverse:
        sentences.append(Msg("Here the plain net's gradients are about as correlated as the ResNet's (within "
                             "{gap}): these numbers do not show shattered gradients.", gap=CLEAR_GAP))
    else:
        if clear:
            sentences.append(Msg("The plain net's gradients are clearly less correlated than the ResNet's at "
                                 "{depths} layers only.", depths=_join(clear)))
        if reverse:
            sentences.append(Msg("At {depths} layers the plain net's gradients are the more correlated.",
                                 depths=_join(reverse)))
    white = [d for d in depths if abs(lag[d, False]) < WHITE and lag[d, True] >= WHITE]
    if white:
        sentences.append(Msg("At {depths} layers the plain net's gradient is shattered: along the line it looks "
                             "like white noise, the gradient at one point says almost nothing about the gradient "
                             "one step on.", depths=_join(white)))
    if rows[0].get("weights", "init") == "init":
        sentences.append(PluralMsg("Numbers at initialisation, averaged over {n} random seed, on a line of {points} "
                                   "points.",
                                   "Numbers at initialisation, averaged over {n} random seeds, on a line of "
                                   "{points} points.", rows[0].get("seeds", 1), points=rows[0]["n"]))
    else:
        sentences.append(Msg("Numbers for trained weights, on a line of {points} points.", points=rows[0]["n"]))
    return joined(sentences)


def line_spinner(n: int) -> Msg:
    """What the page says while it measures the input gradients of both nets at ``n`` points of the line."""
    return Msg("Input gradients of both nets at {n} points (or waiting for a free compute slot)...", n=n)


def shipped_caption(study: dict) -> Msg:
    """Where a shipped study comes from: the command that made it and when."""
    prov = study.get("provenance", {})
    return Msg("Shipped with the app: `{command}` ({date}).", command=prov.get("command", "?"),
               date=prov.get("date", "?"))
