"""Gradient-flow figures: weight-gradient norms per layer and per block, the first/last gradient ratio
against depth, and layer x step heatmaps of the norms during training. ``twins_vs_depth`` (one value per
depth, plain vs ResNet, with bars over seeds) is shared with the shattered-gradients figure.
"""

from __future__ import annotations

import plotly.graph_objects as go

from resnet_viz.figures.style import FONT, h_legend, skip_color, tight_margin, twin_color
from resnet_viz.i18n import _
from resnet_viz.models.names import display_name


def layer_gradients(flows: dict) -> go.Figure:
    """Weight-gradient norm of every conv/linear layer in forward order, one trace per model."""
    fig = go.Figure()
    for name, gf in flows.items():
        recs = gf.layers
        fig.add_trace(go.Scatter(
            x=[r.index for r in recs], y=[max(r.grad_norm, 1e-30) for r in recs], mode="lines+markers",
            name=display_name(name), line=dict(color=twin_color(name), width=3), marker=dict(size=6),
            customdata=[[r.name, r.ratio_to_last, r.params] for r in recs],
            hovertemplate=("%{customdata[0]}<br>||dL/dW|| = %{y:.3g}<br>"
                           + _("{ratio}x the last conv layer<br>{params} parameters", ratio="%{customdata[1]:.3g}",
                               params="%{customdata[2]:,}")
                           + "<extra>" + display_name(name) + "</extra>"),
        ))
    fig.update_layout(xaxis_title=_("layer (forward order: input on the left, output on the right)"),
                      yaxis_title=_("weight-gradient norm ||dL/dW|| (log)"), font=FONT, height=430,
                      legend=h_legend(1.1), margin=tight_margin())
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def block_gradients(flows: dict) -> go.Figure:
    """Norm of dL/d(block output): the backward signal each block passes to the one before it."""
    fig = go.Figure()
    for name, gf in flows.items():
        fig.add_trace(go.Scatter(
            x=[b.name for b in gf.blocks], y=[max(b.grad_norm, 1e-30) for b in gf.blocks], mode="lines+markers",
            name=display_name(name), line=dict(color=twin_color(name), width=3),
            hovertemplate=_("{block}<br>||dL/d output|| = {norm}", block="%{x}", norm="%{y:.3g}")
            + "<extra>" + display_name(name) + "</extra>",
        ))
    fig.update_layout(xaxis_title=_("block (forward order)"), yaxis_title=_("||dL / d(block output)|| (log)"),
                      font=FONT, height=360, legend=h_legend(1.12), margin=tight_margin())
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=10))
    return fig


def twins_vs_depth(rows: list[dict], key: str, lo: str, hi: str, hover: str) -> go.Figure:
    """One value per depth for the plain and the ResNet twins (``key``), with ``lo``-``hi`` bars (over seeds).
    ``hover`` is the value's line of the hover text (a plotly template such as ``"first/last = %{y:.3g}"``)."""
    fig = go.Figure()
    # TRANSLATORS: legend name of the networks without skip connections ("plain" nets), next to "ResNet"
    for skip, label in ((False, _("plain")), (True, "ResNet")):
        pts = sorted((r for r in rows if r["skip"] == skip), key=lambda r: r["depth"])
        fig.add_trace(go.Scatter(
            x=[r["depth"] for r in pts], y=[r[key] for r in pts], mode="lines+markers", name=label,
            line=dict(color=skip_color(skip), width=3), marker=dict(size=10),
            error_y=dict(type="data", symmetric=False, array=[r[hi] - r[key] for r in pts],
                         arrayminus=[r[key] - r[lo] for r in pts], thickness=1.5),
            hovertemplate=_("depth {depth}<br>{value}", depth="%{x}", value=hover) + "<extra>" + label + "</extra>",
        ))
    return fig


def depth_sweep(rows: list[dict]) -> go.Figure:
    """First/last gradient ratio against depth, geometric mean with min-max bars, plain vs ResNet."""
    fig = twins_vs_depth(rows, "ratio", "min", "max", _("first/last = {ratio}", ratio="%{y:.3g}"))
    fig.add_hline(y=1, line=dict(color="#555", dash="dot"), annotation_text=_("flat (ratio 1)"),
                  annotation_position="bottom right")
    fig.update_layout(xaxis_title=_("depth (layers)"), yaxis_title=_("first / last conv gradient norm (log)"),
                      font=FONT, height=400, legend=h_legend(1.1), margin=tight_margin())
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def gradient_heatmaps(trajs: dict) -> go.Figure:
    """Layer x step heatmaps of log10 weight-gradient norms during training, one panel per model,
    on one shared colour scale."""
    import math

    from plotly.subplots import make_subplots

    names = list(trajs)
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[display_name(n) for n in names])
    zs = {n: [[math.log10(max(v, 1e-30)) for v in row] for row in trajs[n]["norms"]] for n in names}
    finite = [v for z in zs.values() for row in z for v in row if math.isfinite(v) and v > -30]
    lo, hi = (min(finite), max(finite)) if finite else (-3, 1)
    for i, n in enumerate(names, start=1):
        z = list(map(list, zip(*zs[n]))) if zs[n] else []  # (layers, steps)
        steps = trajs[n].get("steps") or list(range(1, len(zs[n]) + 1))
        fig.add_trace(go.Heatmap(
            z=z, x=steps, y=list(range(len(trajs[n]["layers"]))), zmin=lo, zmax=hi,
            colorscale="Viridis", showscale=i == len(names), colorbar=dict(title="log10 ||dL/dW||"),
            customdata=[[ln] * len(zs[n]) for ln in trajs[n]["layers"]],
            hovertemplate="%{customdata}<br>" + _("step {step}<br>log10 norm {norm}", step="%{x}", norm="%{z:.2f}")
            + "<extra>" + display_name(n) + "</extra>",
        ), row=1, col=i)
        fig.update_xaxes(title_text=_("training step"), row=1, col=i)
    fig.update_yaxes(title_text=_("layer (0 = input side)"), row=1, col=1)
    fig.update_layout(font=FONT, height=430, margin=tight_margin())
    return fig
