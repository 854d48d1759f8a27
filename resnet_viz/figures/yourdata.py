"""Figures for the Your data page: confusion matrices and per-class accuracy of the two nets, and the
images per class and split. They take the numbers the caller computed (nothing here reads runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

from resnet_viz.figures.style import FONT, h_legend, tight_margin, twin_color
from resnet_viz.i18n import N_, _
from resnet_viz.models.names import display_name

if TYPE_CHECKING:
    import numpy as np

# TRANSLATORS: the split of a data set: the images a net trains on, and the held-out ones it is tested on
SPLITS = {"train": N_("train"), "test": N_("test")}
SPLIT_HOVERS = {"train": N_("{cls}: {n} train images"), "test": N_("{cls}: {n} test images")}


def confusion_figure(matrices: dict[str, np.ndarray], classes: list[str]) -> go.Figure:
    """One confusion matrix per net (``matrices``: net -> ``(K, K)`` counts, rows: true class, columns: predicted;
    ``classes``: the K class names), drawn as counts with row percentages."""
    import numpy as np
    from plotly.subplots import make_subplots

    names = list(matrices)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[display_name(n) for n in names],
                        horizontal_spacing=0.12)
    for c, n in enumerate(names, start=1):
        m = np.asarray(matrices[n])
        rows = np.maximum(m.sum(1, keepdims=True), 1)
        pct = 100 * m / rows
        fig.add_trace(go.Heatmap(
            z=pct, x=classes, y=classes, zmin=0, zmax=100, colorscale="Blues", showscale=c == len(names),
            colorbar=dict(title=_("% of row")), text=m, texttemplate="%{text}",
            # TRANSLATORS: the hover text of a cell of a confusion matrix; {pct} is a number, the % sign follows
            hovertemplate=_("true {true}<br>predicted {predicted}<br>{n} images ({pct} % of the row)", true="%{y}",
                            predicted="%{x}", n="%{text}", pct="%{z:.0f}")
            + f"<extra>{display_name(n)}</extra>"), row=1, col=c)
        fig.update_xaxes(title_text=_("predicted class"), row=1, col=c)
        fig.update_yaxes(title_text=_("true class") if c == 1 else None, autorange="reversed", row=1, col=c)
    for ann, n in zip(fig.layout.annotations, names):
        ann.font = dict(color=twin_color(n), size=16)
    fig.update_layout(font=FONT, height=max(360, 60 + 34 * len(classes)), margin=tight_margin())
    return fig


def class_accuracy_figure(accuracies: dict[str, dict[str, float | None]]) -> go.Figure:
    """Held-out accuracy per class, the two nets side by side (``accuracies``: net -> class -> fraction correct,
    None for a class without held-out images)."""
    fig = go.Figure()
    for n, acc in accuracies.items():
        fig.add_trace(go.Bar(x=list(acc), y=[None if v is None else 100 * v for v in acc.values()],
                             name=display_name(n),
                             marker_color=twin_color(n),
                             hovertemplate=_("{cls}: {pct} % correct", cls="%{x}", pct="%{y:.1f}")
                             + "<extra>" + display_name(n) + "</extra>"))
    fig.update_layout(barmode="group", font=FONT, height=380, yaxis=dict(title=_("held-out accuracy (%)"),
                      range=[0, 100]), margin=tight_margin(20), legend=h_legend(1.1))
    return fig


def class_counts_figure(counts: dict[str, dict[str, int]]) -> go.Figure:
    """Images per class and split (``{split: {class: n}}``)."""
    fig = go.Figure()
    colours = {"train": "#555555", "test": "#BBBBBB"}
    for split, per_class in counts.items():
        hover = _(SPLIT_HOVERS[split], cls="%{x}", n="%{y}") if split in SPLIT_HOVERS else \
            _("{cls}: {n} {split} images", cls="%{x}", n="%{y}", split=split)
        fig.add_trace(go.Bar(x=list(per_class), y=list(per_class.values()), name=_(SPLITS.get(split, split)),
                             marker_color=colours.get(split, "#777777"), hovertemplate=hover + "<extra></extra>"))
    fig.update_layout(barmode="stack", font=FONT, height=300, yaxis=dict(title=_("images")),
                      margin=tight_margin(20), legend=h_legend(1.15))
    return fig
