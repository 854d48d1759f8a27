"""Figures for why residual networks work: test error with blocks removed or reordered (lesion studies),
shattered gradients along a line between two images (derivative, autocorrelation, against depth) and
loss-landscape slices around the trained weights.
"""

from __future__ import annotations

import plotly.graph_objects as go

from resnet_viz.figures.gradients import twins_vs_depth
from resnet_viz.figures.style import FONT, h_legend, tight_margin, twin_color
from resnet_viz.i18n import _
from resnet_viz.models.names import display_name


def lesion_blocks(results: dict, *, chance: float = 90.0) -> go.Figure:
    """Test error with each block removed (Veit et al. 2016 Figure 3): one line per net, its intact error
    as a dotted line, downsampling blocks marked, blocks that cannot be removed left as gaps."""
    fig = go.Figure()
    for name, res in results.items():
        color = twin_color(name)
        blocks = res.blocks
        fig.add_trace(go.Scatter(
            x=[b.name for b in blocks], y=[None if b.error is None else 100 * b.error for b in blocks],
            mode="lines+markers", name=_("{name}: one block removed", name=display_name(name)), connectgaps=False,
            line=dict(color=color, width=3),
            marker=dict(size=[14 if b.downsampling else 8 for b in blocks],
                        symbol=["diamond" if b.downsampling else "circle" for b in blocks]),
            customdata=[[_("downsampling block") if b.downsampling else _("same-shape block")] for b in blocks],
            hovertemplate=_("without {block} ({kind})<br>test error {error} %", block="%{x}",
                            kind="%{customdata[0]}", error="%{y:.1f}") + "<extra>" + display_name(name) + "</extra>",
        ))
        fig.add_trace(go.Scatter(
            x=[blocks[0].name, blocks[-1].name], y=[100 * res.intact_error] * 2, mode="lines",
            name=_("{name}: intact ({error:.1f} %)", name=display_name(name), error=100 * res.intact_error),
            line=dict(color=color, width=2, dash="dot"),
            hovertemplate=_("intact net: {error} %", error="%{y:.1f}") + "<extra>" + display_name(name) + "</extra>",
        ))
        for b in blocks:
            if b.error is None:
                fig.add_annotation(x=b.name, y=100 * res.intact_error, text=_("cannot remove"), showarrow=True,
                                   arrowhead=0, ay=-30, font=dict(color=color, size=11))
    fig.add_hline(y=chance, line=dict(color="#555", dash="dash"),
                  annotation_text=_("chance ({chance:.0f} %)", chance=chance), annotation_position="top left")
    fig.update_layout(xaxis_title=_("removed block (forward order; diamonds change resolution/width)"),
                      yaxis_title=_("test error (%)"), font=FONT, height=440, yaxis=dict(range=[0, 100]),
                      legend=h_legend(1.18), margin=tight_margin(60))
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=11))
    return fig


def lesion_curve(results: dict, key: str, *, xtitle: str, chance: float = 90.0) -> go.Figure:
    """Mean test error (min-max bars over random draws) against k removed blocks or swapped pairs."""
    fig = go.Figure()
    field = "random" if key == "k" else "reorder"
    if key == "k":
        # TRANSLATORS: hover text; k is the number of blocks removed at random
        hover = _("k = {x}<br>mean test error {error} %", x="%{x}", error="%{y:.1f}")
    else:
        # TRANSLATORS: hover text; "swaps" is the number of pairs of blocks swapped
        hover = _("swaps = {x}<br>mean test error {error} %", x="%{x}", error="%{y:.1f}")
    for name, res in results.items():
        rows = getattr(res, field)
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[0] + [r[key] for r in rows], y=[100 * res.intact_error] + [100 * r["mean"] for r in rows],
            mode="lines+markers", name=display_name(name), line=dict(color=twin_color(name), width=3),
            error_y=dict(type="data", symmetric=False, thickness=1.5,
                         array=[0] + [100 * (max(r["errors"]) - r["mean"]) for r in rows],
                         arrayminus=[0] + [100 * (r["mean"] - min(r["errors"])) for r in rows]),
            hovertemplate=hover + "<extra>" + display_name(name) + "</extra>",
        ))
    fig.add_hline(y=chance, line=dict(color="#555", dash="dash"),
                  annotation_text=_("chance ({chance:.0f} %)", chance=chance), annotation_position="top left")
    fig.update_layout(xaxis_title=xtitle, yaxis_title=_("test error (%)"), font=FONT, height=380,
                      yaxis=dict(range=[0, 100]), legend=h_legend(1.12),
                      margin=tight_margin())
    return fig


def line_gradient_curves(lines: dict) -> go.Figure:
    """The directional derivative df/dt along the line, one panel per net (their scales differ by orders of
    magnitude, so each has its own y axis)."""
    from plotly.subplots import make_subplots

    names = list(lines)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[display_name(n) for n in names])
    for i, name in enumerate(names, start=1):
        lg = lines[name]
        fig.add_trace(go.Scatter(x=lg.t, y=lg.dfdt, mode="lines", name=display_name(name),
                                 line=dict(color=twin_color(name), width=2),
                                 hovertemplate="t = %{x:.3f}<br>df/dt = %{y:.3g}<extra>"
                                               + display_name(name) + "</extra>"),
                      row=i, col=1)
        fig.update_yaxes(title_text="df/dt", row=i, col=1, exponentformat="power")
    fig.update_xaxes(title_text=_("position on the line t (0 = first image, 1 = second)"), row=len(names), col=1)
    fig.update_layout(font=FONT, height=200 + 170 * len(names), showlegend=False,
                      margin=tight_margin())
    return fig


def autocorrelation(lines: dict, rows: list[dict] | None = None) -> go.Figure:
    """Correlation between input gradients ``lag`` steps apart, both nets (and, faintly, other depths)."""
    import math

    fig = go.Figure()
    for r in rows or []:
        name = r["model"]
        if name in lines:
            continue
        fig.add_trace(go.Scatter(x=list(range(len(r["corr"]))), y=r["corr"], mode="lines", name=display_name(name),
                                 line=dict(color=twin_color(name), width=1.5, dash="dot"), opacity=0.55,
                                 hovertemplate=_("lag {lag}: {corr}", lag="%{x}", corr="%{y:.2f}")
                                 + "<extra>" + display_name(name) + "</extra>"))
    for name, lg in lines.items():
        fig.add_trace(go.Scatter(x=list(range(len(lg.corr))), y=lg.corr, mode="lines", name=display_name(name),
                                 line=dict(color=twin_color(name), width=3),
                                 hovertemplate=_("lag {lag}: {corr}", lag="%{x}", corr="%{y:.2f}")
                                 + "<extra>" + display_name(name) + "</extra>"))
    fig.add_hline(y=math.exp(-1), line=dict(color="#555", dash="dash"), annotation_text="1/e",
                  annotation_position="top right")
    fig.update_layout(xaxis_title=_("lag (steps along the line)"), yaxis_title=_("gradient correlation"), font=FONT,
                      height=380, legend=h_legend(1.15), margin=tight_margin(50),
                      yaxis=dict(range=[-0.2, 1.02]))
    fig.update_xaxes(type="log")
    return fig


def shattering_vs_depth(rows: list[dict]) -> go.Figure:
    """Lag-1 gradient correlation against depth (mean over seeds, min-max bars), plain vs ResNet."""
    fig = twins_vs_depth(rows, "lag1", "lag1_min", "lag1_max", _("neighbour correlation {corr}", corr="%{y:.3f}"))
    fig.update_layout(xaxis_title=_("depth (layers)"), yaxis_title=_("correlation of neighbouring gradients"),
                      font=FONT, height=360, legend=h_legend(1.12), yaxis=dict(range=[-0.1, 1.05]),
                      margin=tight_margin())
    return fig


def landscape_figure(results: dict, *, view: str = "contour") -> go.Figure:
    """Loss slices around the trained weights, plain twin and ResNet side by side on one colour scale
    (log10 of the loss). 1-D results are drawn as lines on one plot; 2-D as contours (``view="contour"``)
    or 3-D surfaces (``view="surface"``)."""
    import numpy as np
    from plotly.subplots import make_subplots

    names = list(results)
    first = results[names[0]]
    if first.dims == 1:
        fig = go.Figure()
        for name, r in results.items():
            fig.add_trace(go.Scatter(x=r.alphas, y=r.loss, mode="lines+markers", name=display_name(name),
                                     line=dict(color=twin_color(name), width=3),
                                     hovertemplate=_("a = {a}<br>loss {loss}", a="%{x:.2f}", loss="%{y:.4g}")
                                     + "<extra>" + display_name(name) + "</extra>"))
        fig.update_layout(xaxis_title=_("step a along the filter-normalised direction (0 = trained weights)"),
                          yaxis_title=_("training loss (log)"), font=FONT, height=420,
                          legend=h_legend(1.1), margin=tight_margin())
        fig.update_yaxes(type="log")
        return fig
    zs = {n: np.log10(np.clip(np.asarray(r.loss_array(), dtype=float), 1e-6, None)) for n, r in results.items()}
    finite = np.concatenate([z[np.isfinite(z)] for z in zs.values()])
    zmin, zmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    surface = view == "surface"
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[display_name(n) for n in names],
                        specs=[[{"type": "surface" if surface else "xy"}] * len(names)], horizontal_spacing=0.06)
    for i, name in enumerate(names, start=1):
        r = results[name]
        loss = np.asarray(r.loss_array(), dtype=float)
        common = dict(x=r.alphas, y=r.betas, z=zs[name], zmin=zmin, zmax=zmax, colorscale="Viridis",
                      customdata=loss, showscale=i == len(names),
                      colorbar=dict(title=_("log10 loss")),
                      hovertemplate=_("a = {a}, b = {b}<br>loss {loss}", a="%{x:.2f}", b="%{y:.2f}",
                                      loss="%{customdata:.4g}") + "<extra>" + display_name(name) + "</extra>")
        if surface:
            fig.add_trace(go.Surface(cmin=zmin, cmax=zmax, **{k: v for k, v in common.items()
                                                               if k not in ("zmin", "zmax")}), row=1, col=i)
        else:
            fig.add_trace(go.Contour(contours=dict(coloring="heatmap", showlabels=False), ncontours=24,
                                     line=dict(width=0.6), **common), row=1, col=i)
            fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", marker=dict(symbol="x", size=12, color="white",
                                     line=dict(width=1, color="black")), showlegend=False,
                                     hovertemplate=_("the trained weights") + "<extra></extra>"), row=1, col=i)
            fig.update_xaxes(title_text=_("direction 1 (a)"), row=1, col=i)
            fig.update_yaxes(title_text=_("direction 2 (b)") if i == 1 else None, row=1, col=i, scaleanchor=f"x{i}"
                             if i > 1 else "x")
    fig.update_layout(font=FONT, height=520 if surface else 460, margin=tight_margin(50))
    if surface:
        for i in range(1, len(names) + 1):
            fig.layout[f"scene{'' if i == 1 else i}"].update(zaxis_title=_("log10 loss"), xaxis_title="a",
                                                             yaxis_title="b")
    return fig
