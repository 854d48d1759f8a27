"""Figures drawn over images and activation maps: grids of feature maps, one map per stage, a heatmap
overlaid on the input image, per-block anatomy lines and the top predicted classes.
"""

from __future__ import annotations

import plotly.graph_objects as go

from resnet_viz.figures.style import FONT, h_legend, tight_margin, twin_color
from resnet_viz.i18n import _, num
from resnet_viz.models.names import display_name


def _tiled(tiles: list[tuple[int, int, object, str, str, dict]], *, rows: int, cols: int, gap_x: float,
           gap_y: float, layout: dict, toward: tuple[str, str] = ("center", "middle")) -> go.Figure:
    """Maps drawn as equal square tiles on ONE pair of hidden axes (a subplot per map made the browser draw
    dozens of axes). ``tiles``: ``(row, col, map (H, W), label, hovertemplate, heatmap options)``. Each map is
    its own heatmap trace named after its label (it keeps its own colour scale, and the CSV export names it);
    hover can show the map's own pixel coordinates as ``customdata[0]`` (x) and ``customdata[1]`` (y). The
    labels are ``fig.layout.annotations``, in the order of ``tiles``, in the gutter above each row. The tiles keep
    square pixels; ``toward`` says where they sit (x, y) when the figure is wider or taller than they need."""
    import numpy as np

    traces, labels = [], []
    for r, k, m, label, hover, opts in tiles:
        m = np.asarray(m)
        h, w = m.shape
        left, top = k * (1 + gap_x), gap_y + r * (1 + gap_y)
        yy, xx = np.mgrid[0:h, 0:w]
        traces.append(go.Heatmap(z=m, x0=left + 0.5 / w, dx=1 / w, y0=top + 0.5 / h, dy=1 / h, name=label,
                                 customdata=np.stack([xx, yy], axis=-1).astype(np.int16), hovertemplate=hover,
                                 colorscale="Viridis", **opts))
        labels.append(dict(x=left + 0.5, y=top, text=label, showarrow=False, yanchor="bottom", font=dict(size=12)))
    return go.Figure(traces, layout=dict(
        annotations=labels, plot_bgcolor="white", font=dict(size=12), **layout,
        xaxis=dict(visible=False, range=[0, cols + (cols - 1) * gap_x], constrain="domain", constraintoward=toward[0]),
        yaxis=dict(visible=False, range=[rows * (1 + gap_y), 0], scaleanchor="x", constrain="domain",
                   constraintoward=toward[1])))


def feature_grid(maps, channels: list[int], *, title: str, color: str, zrange: tuple[float, float] | None = None,
                 cols: int = 4) -> go.Figure:
    """A grid of activation maps (one heatmap per channel, hover shows values). ``maps``: (C, H, W) array.

    With ``zrange`` every map shares that colour scale; without, each map has its own (the colour bar is the
    first map's). ``fig.layout.annotations`` are the maps' labels, in order."""
    z = dict(zmin=zrange[0], zmax=zrange[1]) if zrange else {}
    # TRANSLATORS: "ch 5": the short label of channel 5 of a layer's activation maps
    tiles = [(*divmod(i, cols), maps[c], _("ch {c}", c=c),
              _("channel {c}", c=c) + "<br>x %{customdata[0]}, y %{customdata[1]}<br>%{z:.3f}<extra></extra>",
              dict(showscale=i == 0, colorbar=dict(thickness=14), **z)) for i, c in enumerate(channels)]
    rows = (len(channels) + cols - 1) // cols
    return _tiled(tiles, rows=rows, cols=cols, gap_x=0.06, gap_y=0.22, toward=("left", "top"), layout=dict(
        title=dict(text=title, font=dict(color=color, size=17)), height=max(230, 130 * rows + 60),
        margin=dict(l=5, r=5, t=50, b=5)))


def stage_strip(strips: dict[str, list[tuple[str, object]]]) -> go.Figure:
    """One channel-averaged map per stage, one row per model: resolution shrinks, channels grow.

    Every map is drawn at the same size with its own colour scale; hover gives its own pixel coordinates."""
    tiles = [(r, k, m, f"{display_name(n)} {stage}",
              f"{stage}<br>x %{{customdata[0]}}, y %{{customdata[1]}}<br>%{{z:.3f}}<extra>{display_name(n)}</extra>",
              dict(showscale=False)) for r, n in enumerate(strips) for k, (stage, m) in enumerate(strips[n])]
    return _tiled(tiles, rows=len(strips), cols=max(len(v) for v in strips.values()), gap_x=0.08, gap_y=0.2,
                  layout=dict(height=190 * len(strips) + 40, margin=dict(l=5, r=5, t=10, b=5)))


def overlay(image, heat, *, opacity: float = 0.5, title: str = "") -> go.Figure:
    """The input image with a heatmap (upsampled to the image size) on top; hover shows the map's values."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    h, w = image.shape[:2]
    up = F.interpolate(torch.as_tensor(np.asarray(heat, dtype=np.float32))[None, None], size=(h, w),
                       mode="bilinear", align_corners=False)[0, 0].numpy()
    fig = go.Figure(go.Image(z=image, hoverinfo="skip"))
    fig.add_trace(go.Heatmap(z=up, opacity=opacity, colorscale="Inferno", showscale=True,
                             hovertemplate="x %{x}, y %{y}<br>%{z:.3f}<extra></extra>"))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed", scaleanchor="x")
    fig.update_layout(title=title, height=420, margin=dict(l=5, r=5, t=40, b=5), font=FONT)
    return fig


def anatomy_lines(records: dict[str, list], key: str, *, ytitle: str, log: bool = False) -> go.Figure:
    """A per-block line plot (``residual_ratio`` or ``cosine``), one trace per model."""
    fig = go.Figure()
    for name, recs in records.items():
        fig.add_trace(go.Scatter(
            x=[r.name for r in recs], y=[getattr(r, key) for r in recs], mode="lines+markers", name=display_name(name),
            line=dict(color=twin_color(name), width=3), marker=dict(size=[12 if r.downsampling else 7 for r in recs]),
            hovertemplate="%{x}<br>%{y:.3f}<extra>" + display_name(name) + "</extra>"))
    if key == "residual_ratio":
        fig.add_hline(y=1, line=dict(color="#555", dash="dot"), annotation_text="||F(x)|| = ||x||",
                      annotation_position="top right")
    fig.update_layout(xaxis_title=_("block (big markers: downsampling)"), yaxis_title=ytitle, font=FONT, height=380,
                      legend=h_legend(1.12), margin=tight_margin())
    if log:
        fig.update_yaxes(type="log")
    fig.update_xaxes(tickangle=-45)
    return fig


def top_classes(preds: dict[str, list[dict]]) -> go.Figure:
    """Top-k probabilities as horizontal bars, one panel per model."""
    from plotly.subplots import make_subplots

    names = list(preds)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[display_name(n) for n in names],
                        horizontal_spacing=0.25)
    for i, n in enumerate(names, start=1):
        top = preds[n][::-1]
        # the labels are the class names (CIFAR-10's are marked in models.registry), shown translated
        fig.add_trace(go.Bar(x=[100 * t["prob"] for t in top], y=[_(t["label"]) for t in top], orientation="h",
                             marker_color=twin_color(n), showlegend=False,
                             text=[f"{num(100 * t['prob'], '.1f')} %" for t in top], textposition="auto",
                             hovertemplate="%{y}: %{x:.2f} %<extra>" + display_name(n) + "</extra>"), row=1, col=i)
        fig.update_xaxes(range=[0, 100], title_text=_("probability (%)"), row=1, col=i)
    fig.update_layout(height=300, margin=tight_margin(), font=FONT)
    return fig
