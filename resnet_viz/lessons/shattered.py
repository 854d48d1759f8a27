"""The shattered-gradients sentences (Why it works page, ``shattered`` command), read off the rows of
``resnet_viz.probes.shattered``'s studies: how a correlation length reads (``fmt_length``) and what the
plain and ResNet twins' lag-1 correlations show (``describe_shattering``). The verdict follows the
numbers, whichever way they come out.
"""

from __future__ import annotations

import math

CLEAR_GAP = 0.05  # lag-1 correlations closer than this read as "about the same"
WHITE = 0.1  # |lag-1 correlation| below this reads as white noise


def fmt_length(row: dict) -> str:
    """A row's correlation length in steps, e.g. 'under one step', '4.0 steps', 'more than 128 steps'."""
    v = row["corr_length"]
    if not math.isfinite(v):
        return "undefined"
    if row.get("corr_length_lower_bound") and row["corr_length_min"] >= row["corr_length_max"]:
        return f"more than {v:.0f} steps"
    if v < 1:
        text = "under one step"
    else:
        text = f"{v:.1f} steps" if v < 10 else f"{v:.0f} steps"
    return ("at least " + text) if row.get("corr_length_lower_bound") else text


def describe_shattering(rows: list[dict]) -> str:
    """The takeaway, read off the rows of ``depth_study`` / ``trained_study`` (plain and ResNet twins).

    Every number is from the rows and the verdict follows them: the plain net's gradients are called less
    correlated at a depth only where its lag-1 correlation is below the ResNet's by more than ``CLEAR_GAP``,
    and shattered (white noise) only where it is within ``WHITE`` of zero while the ResNet's is not.
    """
    by = {(r["depth"], r["skip"]): r for r in rows}
    depths = sorted({r["depth"] for r in rows if (r["depth"], True) in by and (r["depth"], False) in by})
    if not depths:
        return "No plain/ResNet twins to compare."
    lo, hi = depths[0], depths[-1]
    lag = {(d, skip): by[d, skip]["lag1"] for d in depths for skip in (False, True)}
    sentences = []
    for i, d in enumerate(depths):
        p, r = by[d, False], by[d, True]
        if i == 0:
            sentences.append(
                f"At {d} layers, gradients at neighbouring points of the line correlate {fmt_corr(r['lag1'])} in the "
                f"ResNet and {fmt_corr(p['lag1'])} in the plain net; the correlation length (the lag at which the "
                f"correlation drops below 1/e) is {fmt_length(r)} in the ResNet and {fmt_length(p)} in the plain net.")
        else:
            sentences.append(f"At {d} layers: {fmt_corr(r['lag1'])} vs {fmt_corr(p['lag1'])}, correlation length "
                             f"{fmt_length(r)} vs {fmt_length(p)}.")
    clear = [d for d in depths if lag[d, False] < lag[d, True] - CLEAR_GAP]
    reverse = [d for d in depths if lag[d, False] > lag[d, True] + CLEAR_GAP]
    if len(clear) == len(depths):
        verdict = ("The plain net's gradients are clearly less correlated than the ResNet's"
                   + (" at every depth measured" if len(depths) > 1 else ""))
        if len(depths) > 1 and lag[hi, False] < lag[lo, False] and (
                lag[lo, False] - lag[hi, False]) > (lag[lo, True] - lag[hi, True]):
            verdict += (f", and lose correlation faster with depth (from {lo} to {hi} layers: plain "
                        f"{fmt_corr(lag[lo, False])} to {fmt_corr(lag[hi, False])}, "
                        f"ResNet {fmt_corr(lag[lo, True])} to {fmt_corr(lag[hi, True])})")
        sentences.append(verdict + ".")
    elif not clear and not reverse:
        sentences.append("Here the plain net's gradients are about as correlated as the ResNet's (within "
                         f"{CLEAR_GAP}): these numbers do not show shattered gradients.")
    else:
        if clear:
            sentences.append("The plain net's gradients are clearly less correlated than the ResNet's at "
                             f"{_join(clear)} layers only.")
        if reverse:
            sentences.append(f"At {_join(reverse)} layers the plain net's gradients are the more correlated.")
    white = [d for d in depths if abs(lag[d, False]) < WHITE and lag[d, True] >= WHITE]
    if white:
        sentences.append(f"At {_join(white)} layers the plain net's gradient is shattered: along the line it looks "
                         "like white noise, the gradient at one point says almost nothing about the gradient one "
                         "step on.")
    seeds = rows[0].get("seeds", 1)
    if rows[0].get("weights", "init") == "init":
        where = f"at initialisation, averaged over {seeds} random seed{'s' if seeds > 1 else ''}"
    else:
        where = "for trained weights"
    sentences.append(f"Numbers {where}, on a line of {rows[0]['n']} points.")
    return " ".join(sentences)


def fmt_corr(x: float) -> str:
    """A correlation with two decimals, without a "-0.00"."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def _join(items: list) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def line_spinner(n: int) -> str:
    """What the page says while it measures the input gradients of both nets at ``n`` points of the line."""
    return f"Input gradients of both nets at {n} points (or waiting for a free compute slot)..."


def shipped_caption(study: dict) -> str:
    """Where a shipped study comes from: the command that made it and when."""
    prov = study.get("provenance", {})
    return f"Shipped with the app: `{prov.get('command', '?')}` ({prov.get('date', '?')})."
