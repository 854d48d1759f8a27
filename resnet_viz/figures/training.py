"""Figures of the degradation problem from training runs: training and test error against iterations
(paper Figure 6) and the spread of each layer's response (paper Figure 7), plain nets against ResNets.
"""

from __future__ import annotations

import plotly.graph_objects as go

from resnet_viz.figures.style import FONT, PLAIN_COLOR, RESNET_COLOR, h_legend, tight_margin
from resnet_viz.i18n import _
from resnet_viz.models.names import display_name


def _shade(skip: bool, deep: bool) -> str:
    """The plain/ResNet colour, darker for the deeper net."""
    if skip:
        return "#003F63" if deep else RESNET_COLOR
    return "#A35F00" if deep else PLAIN_COLOR


def training_curves(curves: dict[str, list[dict]], depths: tuple[int, int]) -> go.Figure:
    """Paper Figure 6: training error (solid) and test error (dashed) against iterations, plain nets
    on the left, ResNets on the right, shared axes. ``curves`` maps model name -> epoch records."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=[_("plain nets (no skip)"), _("ResNets (skip)")])
    for col, skip in ((1, False), (2, True)):
        for d in depths:
            name = f"{'resnet' if skip else 'plain'}{d}"
            recs = curves.get(name) or []
            if not recs:
                continue
            deep = len(set(depths)) > 1 and d == max(depths)  # one depth: the app's usual two colours
            color = _shade(skip, deep)
            x = [r["step"] for r in recs]
            model = display_name(name)
            hover = dict(model=model, error="%{y:.2f}", iteration="%{x:,}", epoch="%{customdata}")
            # TRANSLATORS: legend names: a model's training error curve, then its test error curve (Plain-20 train)
            traces = (("train_error", "solid", _("{model} train", model=model),
                       _("{model}<br>train error {error} %<br>iteration {iteration}<br>epoch {epoch}", **hover)),
                      ("test_error", "dash", _("{model} test", model=model),
                       _("{model}<br>test error {error} %<br>iteration {iteration}<br>epoch {epoch}", **hover)))
            for key, dash, label, hovertext in traces:
                fig.add_trace(go.Scatter(
                    x=x, y=[100 * r[key] for r in recs], mode="lines+markers" if len(x) < 30 else "lines",
                    name=label, legendgroup=name,
                    line=dict(color=color, width=4 if deep else 2.5, dash=dash), marker=dict(size=5),
                    hovertemplate=hovertext + "<extra></extra>",
                    customdata=[r["epoch"] for r in recs],
                ), row=1, col=col)
        fig.update_xaxes(title_text=_("iterations"), row=1, col=col)
    fig.update_yaxes(title_text=_("error (%)"), row=1, col=1)
    fig.update_layout(font=FONT, height=460, margin=tight_margin(),
                      legend=h_legend(-0.18))
    return fig


def responses_figure(responses: dict[str, list[dict]]) -> go.Figure:
    """Paper Figure 7: std of each 3x3 layer's response, in layer order (left) and sorted (right)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=[_("in layer order"), _("sorted by magnitude")])
    depths = sorted({int("".join(c for c in n if c.isdigit())) for n in responses})
    for name, rows in responses.items():
        skip = name.startswith("resnet")
        deep = len(depths) > 1 and int("".join(c for c in name if c.isdigit())) == max(depths)
        color = _shade(skip, deep)
        stds = [r["std"] for r in rows]
        common = dict(mode="lines+markers", legendgroup=name, line=dict(color=color, width=3.5 if deep else 2,
                                                                         dash="solid" if skip else "dot"))
        extra = "<extra>" + display_name(name) + "</extra>"
        fig.add_trace(go.Scatter(x=list(range(1, len(stds) + 1)), y=stds, name=display_name(name),
                                 customdata=[r["name"] for r in rows],
                                 # TRANSLATORS: std = standard deviation (of a layer's response)
                                 hovertemplate="%{customdata}<br>" + _("std {std}", std="%{y:.3f}") + extra,
                                 **common), row=1, col=1)
        fig.add_trace(go.Scatter(x=list(range(1, len(stds) + 1)), y=sorted(stds, reverse=True), name=display_name(name),
                                 showlegend=False,
                                 hovertemplate=_("rank {rank}<br>std {std}", rank="%{x}", std="%{y:.3f}") + extra,
                                 **common), row=1, col=2)
    fig.update_xaxes(title_text=_("layer index (original)"), row=1, col=1)
    fig.update_xaxes(title_text=_("layer index (sorted)"), row=1, col=2)
    fig.update_yaxes(title_text=_("std of the response"), row=1, col=1)
    fig.update_layout(font=FONT, height=420, margin=tight_margin(), legend=h_legend(1.15))
    return fig
