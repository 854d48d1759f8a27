"""Figure builders: data in, ``plotly.graph_objects.Figure`` (or a Graphviz DOT string) out.

The plain twin and the ResNet have the same two colours everywhere in the app (Okabe-Ito,
colour-blind safe): orange for plain, blue for residual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# plotly looks pandas up in sys.modules without the import lock: while the start-up warm-up thread is still
# importing pandas, a page building a figure saw a half-initialised module ("partially initialized module
# 'pandas' has no attribute 'Series'"). Importing it here goes through the lock and waits for the whole module.
import pandas  # noqa: F401
import plotly.graph_objects as go

from resnet_viz.models.names import display_name

if TYPE_CHECKING:  # torch is imported where it is used: the app's sidebar (every page) needs no torch
    from torch import nn

PLAIN_COLOR = "#E69F00"  # Okabe-Ito orange
RESNET_COLOR = "#0072B2"  # Okabe-Ito blue
OTHER_COLOR = "#7F7F7F"
FONT = dict(size=15)


def skip_color(skip: bool) -> str:
    return RESNET_COLOR if skip else PLAIN_COLOR


def params_vs_depth(rows: list[dict], *, family: str = "cifar") -> go.Figure:
    """Parameters against depth, residual and plain twins as two coloured series."""
    fig = go.Figure()
    for skip, label in ((False, "plain (no skip)"), (True, "ResNet (skip)")):
        pts = sorted((r for r in rows if r["family"] == family and r["skip"] == skip), key=lambda r: r["depth"])
        fig.add_trace(go.Scatter(
            x=[r["depth"] for r in pts], y=[r["params"] for r in pts], mode="lines+markers", name=label,
            line=dict(color=skip_color(skip), width=3, dash="dash" if skip else "solid"),
            marker=dict(size=11 if not skip else 8),
            customdata=[[r["name"], r["flops"] / 1e9] for r in pts],
            hovertemplate="%{customdata[0]}<br>%{y:,} parameters<br>%{customdata[1]:.3f} GFLOP<extra></extra>",
        ))
    fig.update_layout(
        xaxis_title="depth (weight layers on the main path)", yaxis_title="parameters",
        font=FONT, legend=dict(orientation="h", y=1.12), margin=dict(l=10, r=10, t=40, b=10), height=380,
    )
    fig.update_xaxes(type="log") if family == "cifar" else None
    fig.update_yaxes(type="log")
    return fig


def count(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def _node(name: str, label: str, fill: str = "#FFFFFF", shape: str = "box") -> str:
    return f'  {name} [label="{label}", shape={shape}, fillcolor="{fill}"];'


def block_dot(block: nn.Module, *, title: str, skip: bool, shortcut_label: str | None = None) -> str:
    """A Graphviz diagram of one residual (or plain) block, labelled from the real module:
    each conv's shape and parameter count, the norm layers, where the ReLUs sit, and the
    shortcut (identity, option A padding or a projection) with its parameter count.

    Both twins get the same two-column layout (layers on the left, the shortcut on the right,
    drawn dashed and grey in the plain twin), so they render at the same scale side by side.
    """
    from torch import nn

    convs = [(n, m) for n, m in block.named_children() if isinstance(m, nn.Conv2d)]
    color = skip_color(skip)
    lines = [
        "digraph {",
        '  rankdir=TB; bgcolor="transparent"; nodesep=0.5; ranksep=0.22;',
        '  node [style="rounded,filled", fontname="Helvetica", fontsize=14, penwidth=1.5, width=2.4];',
        '  edge [penwidth=1.6];',
        f'  labelloc=t; fontname="Helvetica-Bold"; fontsize=17; fontcolor="{color}"; label="{title}";',
        _node("x", f"x  ({convs[0][1].in_channels} channels)", "#EEEEEE", "box"),
    ]
    prev = "x"
    mid = None
    for i, (name, conv) in enumerate(convs):
        k = conv.kernel_size[0]
        stride = f", stride {conv.stride[0]}" if conv.stride[0] != 1 else ""
        lines.append(_node(name, f"{k}x{k} conv, {conv.out_channels}{stride}\\n{count(conv):,} params", "#FFFFFF"))
        bn = getattr(block, f"bn{i + 1}", None)
        bn_name = f"bn{i + 1}"
        bn_label = "BatchNorm" if isinstance(bn, nn.BatchNorm2d) else "(no norm)"
        lines.append(_node(bn_name, f"{bn_label}\\n{count(bn):,} params", "#F5F5F5"))
        lines.append(f"  {prev} -> {name} -> {bn_name};")
        prev = bn_name
        if i < len(convs) - 1:
            lines.append(_node(f"relu{i + 1}", "ReLU", "#F5F5F5", "box"))
            lines.append(f"  {prev} -> relu{i + 1};")
            prev = f"relu{i + 1}"
            mid = mid or f"relu{i + 1}"
    if skip:
        sc = (shortcut_label or "identity x (0 params)").replace(" (", "\\n(")
        lines.append(f'  shortcut [label="{sc}", shape=box, fillcolor="#FFFFFF", color="{color}", '
                     f'fontcolor="{color}", penwidth=2.5];')
        lines.append(f'  add [label="+", shape=circle, fillcolor="{color}", fontcolor="white", fontsize=26, '
                     'width=0.5, fixedsize=true];')
        lines.append(f'  {prev} -> add [label=" F(x)", fontsize=13];')
        lines.append(f'  x -> shortcut -> add [color="{color}", penwidth=3.5];')
        prev = "add"
        out = "H(x) = ReLU(F(x) + x)"
    else:
        lines.append('  shortcut [label="no shortcut:\\nx is not added", shape=box, style="rounded,dashed", '
                     'color="#AAAAAA", fontcolor="#888888"];')
        lines.append('  x -> shortcut [style=dashed, color="#AAAAAA", arrowhead=none];')
        out = "H(x) = ReLU(F(x))"
    if mid:
        lines.append(f"  {{rank=same; {mid}; shortcut;}}")
    lines.append(_node("relu_out", "ReLU", "#F5F5F5"))
    lines.append(f'  out [label="{out}", shape=box, fillcolor="{color}", fontcolor="white"];')
    lines.append(f"  {prev} -> relu_out -> out;")
    lines.append("}")
    return "\n".join(lines)


def _twin_color(name: str) -> str:
    return PLAIN_COLOR if name.startswith("plain") else RESNET_COLOR


def layer_gradients(flows: dict) -> go.Figure:
    """Weight-gradient norm of every conv/linear layer in forward order, one trace per model."""
    fig = go.Figure()
    for name, gf in flows.items():
        recs = gf.layers
        fig.add_trace(go.Scatter(
            x=[r.index for r in recs], y=[max(r.grad_norm, 1e-30) for r in recs], mode="lines+markers",
            name=display_name(name), line=dict(color=_twin_color(name), width=3), marker=dict(size=6),
            customdata=[[r.name, r.ratio_to_last, r.params] for r in recs],
            hovertemplate=("%{customdata[0]}<br>||dL/dW|| = %{y:.3g}<br>%{customdata[1]:.3g}x the last conv layer"
                           "<br>%{customdata[2]:,} parameters<extra>" + display_name(name) + "</extra>"),
        ))
    fig.update_layout(xaxis_title="layer (forward order: input on the left, output on the right)",
                      yaxis_title="weight-gradient norm ||dL/dW|| (log)", font=FONT, height=430,
                      legend=dict(orientation="h", y=1.1), margin=dict(l=10, r=10, t=40, b=10))
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def block_gradients(flows: dict) -> go.Figure:
    """Norm of dL/d(block output): the backward signal each block passes to the one before it."""
    fig = go.Figure()
    for name, gf in flows.items():
        fig.add_trace(go.Scatter(
            x=[b.name for b in gf.blocks], y=[max(b.grad_norm, 1e-30) for b in gf.blocks], mode="lines+markers",
            name=display_name(name), line=dict(color=_twin_color(name), width=3),
            hovertemplate="%{x}<br>||dL/d output|| = %{y:.3g}<extra>" + display_name(name) + "</extra>",
        ))
    fig.update_layout(xaxis_title="block (forward order)", yaxis_title="||dL / d(block output)|| (log)",
                      font=FONT, height=360, legend=dict(orientation="h", y=1.12), margin=dict(l=10, r=10, t=40, b=10))
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=10))
    return fig


def _twins_vs_depth(rows: list[dict], key: str, lo: str, hi: str, hover: str) -> go.Figure:
    """One value per depth for the plain and the ResNet twins (``key``), with ``lo``-``hi`` bars (over seeds)."""
    fig = go.Figure()
    for skip, label in ((False, "plain"), (True, "ResNet")):
        pts = sorted((r for r in rows if r["skip"] == skip), key=lambda r: r["depth"])
        fig.add_trace(go.Scatter(
            x=[r["depth"] for r in pts], y=[r[key] for r in pts], mode="lines+markers", name=label,
            line=dict(color=skip_color(skip), width=3), marker=dict(size=10),
            error_y=dict(type="data", symmetric=False, array=[r[hi] - r[key] for r in pts],
                         arrayminus=[r[key] - r[lo] for r in pts], thickness=1.5),
            hovertemplate="depth %{x}<br>" + hover + "<extra>" + label + "</extra>",
        ))
    return fig


def depth_sweep(rows: list[dict]) -> go.Figure:
    """First/last gradient ratio against depth, geometric mean with min-max bars, plain vs ResNet."""
    fig = _twins_vs_depth(rows, "ratio", "min", "max", "first/last = %{y:.3g}")
    fig.add_hline(y=1, line=dict(color="#555", dash="dot"), annotation_text="flat (ratio 1)",
                  annotation_position="bottom right")
    fig.update_layout(xaxis_title="depth (layers)", yaxis_title="first / last conv gradient norm (log)",
                      font=FONT, height=400, legend=dict(orientation="h", y=1.1), margin=dict(l=10, r=10, t=40, b=10))
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
            hovertemplate="%{customdata}<br>step %{x}<br>log10 norm %{z:.2f}<extra>" + display_name(n) + "</extra>",
        ), row=1, col=i)
        fig.update_xaxes(title_text="training step", row=1, col=i)
    fig.update_yaxes(title_text="layer (0 = input side)", row=1, col=1)
    fig.update_layout(font=FONT, height=430, margin=dict(l=10, r=10, t=40, b=10))
    return fig


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
                        subplot_titles=["plain nets (no skip)", "ResNets (skip)"])
    for col, skip in ((1, False), (2, True)):
        for d in depths:
            name = f"{'resnet' if skip else 'plain'}{d}"
            recs = curves.get(name) or []
            if not recs:
                continue
            deep = len(set(depths)) > 1 and d == max(depths)  # one depth: the app's usual two colours
            color = _shade(skip, deep)
            x = [r["step"] for r in recs]
            for key, dash, label in (("train_error", "solid", "train"), ("test_error", "dash", "test")):
                fig.add_trace(go.Scatter(
                    x=x, y=[100 * r[key] for r in recs], mode="lines+markers" if len(x) < 30 else "lines",
                    name=f"{display_name(name)} {label}", legendgroup=name,
                    line=dict(color=color, width=4 if deep else 2.5, dash=dash), marker=dict(size=5),
                    hovertemplate=f"{display_name(name)}<br>{label} error %{{y:.2f}} %<br>iteration %{{x:,}}"
                                  "<br>epoch %{customdata}<extra></extra>",
                    customdata=[r["epoch"] for r in recs],
                ), row=1, col=col)
        fig.update_xaxes(title_text="iterations", row=1, col=col)
    fig.update_yaxes(title_text="error (%)", row=1, col=1)
    fig.update_layout(font=FONT, height=460, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.18))
    return fig


def responses_figure(responses: dict[str, list[dict]]) -> go.Figure:
    """Paper Figure 7: std of each 3x3 layer's response, in layer order (left) and sorted (right)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=["in layer order", "sorted by magnitude"])
    depths = sorted({int("".join(c for c in n if c.isdigit())) for n in responses})
    for name, rows in responses.items():
        skip = name.startswith("resnet")
        deep = len(depths) > 1 and int("".join(c for c in name if c.isdigit())) == max(depths)
        color = _shade(skip, deep)
        stds = [r["std"] for r in rows]
        common = dict(mode="lines+markers", legendgroup=name, line=dict(color=color, width=3.5 if deep else 2,
                                                                         dash="solid" if skip else "dot"))
        fig.add_trace(go.Scatter(x=list(range(1, len(stds) + 1)), y=stds, name=display_name(name),
                                 customdata=[r["name"] for r in rows],
                                 hovertemplate="%{customdata}<br>std %{y:.3f}<extra>" + display_name(name) + "</extra>",
                                 **common), row=1, col=1)
        fig.add_trace(go.Scatter(x=list(range(1, len(stds) + 1)), y=sorted(stds, reverse=True), name=display_name(name),
                                 showlegend=False, hovertemplate="rank %{x}<br>std %{y:.3f}<extra>"
                                 + display_name(name) + "</extra>", **common), row=1, col=2)
    fig.update_xaxes(title_text="layer index (original)", row=1, col=1)
    fig.update_xaxes(title_text="layer index (sorted)", row=1, col=2)
    fig.update_yaxes(title_text="std of the response", row=1, col=1)
    fig.update_layout(font=FONT, height=420, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=1.15))
    return fig


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
    tiles = [(*divmod(i, cols), maps[c], f"ch {c}",
              f"channel {c}<br>x %{{customdata[0]}}, y %{{customdata[1]}}<br>%{{z:.3f}}<extra></extra>",
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
            line=dict(color=_twin_color(name), width=3), marker=dict(size=[12 if r.downsampling else 7 for r in recs]),
            hovertemplate="%{x}<br>%{y:.3f}<extra>" + display_name(name) + "</extra>"))
    if key == "residual_ratio":
        fig.add_hline(y=1, line=dict(color="#555", dash="dot"), annotation_text="||F(x)|| = ||x||",
                      annotation_position="top right")
    fig.update_layout(xaxis_title="block (big markers: downsampling)", yaxis_title=ytitle, font=FONT, height=380,
                      legend=dict(orientation="h", y=1.12), margin=dict(l=10, r=10, t=40, b=10))
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
        fig.add_trace(go.Bar(x=[100 * t["prob"] for t in top], y=[t["label"] for t in top], orientation="h",
                             marker_color=_twin_color(n), showlegend=False,
                             text=[f"{100 * t['prob']:.1f} %" for t in top], textposition="auto",
                             hovertemplate="%{y}: %{x:.2f} %<extra>" + display_name(n) + "</extra>"), row=1, col=i)
        fig.update_xaxes(range=[0, 100], title_text="probability (%)", row=1, col=i)
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), font=FONT)
    return fig


# ----------------------------------------------------------------------------- why it works

def lesion_blocks(results: dict, *, chance: float = 90.0) -> go.Figure:
    """Test error with each block removed (Veit et al. 2016 Figure 3): one line per net, its intact error
    as a dotted line, downsampling blocks marked, blocks that cannot be removed left as gaps."""
    fig = go.Figure()
    for name, res in results.items():
        color = _twin_color(name)
        blocks = res.blocks
        fig.add_trace(go.Scatter(
            x=[b.name for b in blocks], y=[None if b.error is None else 100 * b.error for b in blocks],
            mode="lines+markers", name=f"{display_name(name)}: one block removed", connectgaps=False,
            line=dict(color=color, width=3),
            marker=dict(size=[14 if b.downsampling else 8 for b in blocks],
                        symbol=["diamond" if b.downsampling else "circle" for b in blocks]),
            customdata=[["downsampling block" if b.downsampling else "same-shape block"] for b in blocks],
            hovertemplate="without %{x} (%{customdata[0]})<br>test error %{y:.1f} %<extra>"
                          + display_name(name) + "</extra>",
        ))
        fig.add_trace(go.Scatter(
            x=[blocks[0].name, blocks[-1].name], y=[100 * res.intact_error] * 2, mode="lines",
            name=f"{display_name(name)}: intact ({100 * res.intact_error:.1f} %)",
            line=dict(color=color, width=2, dash="dot"),
            hovertemplate="intact net: %{y:.1f} %<extra>" + display_name(name) + "</extra>",
        ))
        for b in blocks:
            if b.error is None:
                fig.add_annotation(x=b.name, y=100 * res.intact_error, text="cannot remove", showarrow=True,
                                   arrowhead=0, ay=-30, font=dict(color=color, size=11))
    fig.add_hline(y=chance, line=dict(color="#555", dash="dash"), annotation_text=f"chance ({chance:.0f} %)",
                  annotation_position="top left")
    fig.update_layout(xaxis_title="removed block (forward order; diamonds change resolution/width)",
                      yaxis_title="test error (%)", font=FONT, height=440, yaxis=dict(range=[0, 100]),
                      legend=dict(orientation="h", y=1.18), margin=dict(l=10, r=10, t=60, b=10))
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=11))
    return fig


def lesion_curve(results: dict, key: str, *, xtitle: str, chance: float = 90.0) -> go.Figure:
    """Mean test error (min-max bars over random draws) against k removed blocks or swapped pairs."""
    fig = go.Figure()
    field = "random" if key == "k" else "reorder"
    for name, res in results.items():
        rows = getattr(res, field)
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[0] + [r[key] for r in rows], y=[100 * res.intact_error] + [100 * r["mean"] for r in rows],
            mode="lines+markers", name=display_name(name), line=dict(color=_twin_color(name), width=3),
            error_y=dict(type="data", symmetric=False, thickness=1.5,
                         array=[0] + [100 * (max(r["errors"]) - r["mean"]) for r in rows],
                         arrayminus=[0] + [100 * (r["mean"] - min(r["errors"])) for r in rows]),
            hovertemplate=f"{key} = %{{x}}<br>mean test error %{{y:.1f}} %<extra>{display_name(name)}</extra>",
        ))
    fig.add_hline(y=chance, line=dict(color="#555", dash="dash"), annotation_text=f"chance ({chance:.0f} %)",
                  annotation_position="top left")
    fig.update_layout(xaxis_title=xtitle, yaxis_title="test error (%)", font=FONT, height=380,
                      yaxis=dict(range=[0, 100]), legend=dict(orientation="h", y=1.12),
                      margin=dict(l=10, r=10, t=40, b=10))
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
                                 line=dict(color=_twin_color(name), width=2),
                                 hovertemplate="t = %{x:.3f}<br>df/dt = %{y:.3g}<extra>"
                                               + display_name(name) + "</extra>"),
                      row=i, col=1)
        fig.update_yaxes(title_text="df/dt", row=i, col=1, exponentformat="power")
    fig.update_xaxes(title_text="position on the line t (0 = first image, 1 = second)", row=len(names), col=1)
    fig.update_layout(font=FONT, height=200 + 170 * len(names), showlegend=False,
                      margin=dict(l=10, r=10, t=40, b=10))
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
                                 line=dict(color=_twin_color(name), width=1.5, dash="dot"), opacity=0.55,
                                 hovertemplate="lag %{x}: %{y:.2f}<extra>" + display_name(name) + "</extra>"))
    for name, lg in lines.items():
        fig.add_trace(go.Scatter(x=list(range(len(lg.corr))), y=lg.corr, mode="lines", name=display_name(name),
                                 line=dict(color=_twin_color(name), width=3),
                                 hovertemplate="lag %{x}: %{y:.2f}<extra>" + display_name(name) + "</extra>"))
    fig.add_hline(y=math.exp(-1), line=dict(color="#555", dash="dash"), annotation_text="1/e",
                  annotation_position="top right")
    fig.update_layout(xaxis_title="lag (steps along the line)", yaxis_title="gradient correlation", font=FONT,
                      height=380, legend=dict(orientation="h", y=1.15), margin=dict(l=10, r=10, t=50, b=10),
                      yaxis=dict(range=[-0.2, 1.02]))
    fig.update_xaxes(type="log")
    return fig


def shattering_vs_depth(rows: list[dict]) -> go.Figure:
    """Lag-1 gradient correlation against depth (mean over seeds, min-max bars), plain vs ResNet."""
    fig = _twins_vs_depth(rows, "lag1", "lag1_min", "lag1_max", "neighbour correlation %{y:.3f}")
    fig.update_layout(xaxis_title="depth (layers)", yaxis_title="correlation of neighbouring gradients",
                      font=FONT, height=360, legend=dict(orientation="h", y=1.12), yaxis=dict(range=[-0.1, 1.05]),
                      margin=dict(l=10, r=10, t=40, b=10))
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
                                     line=dict(color=_twin_color(name), width=3),
                                     hovertemplate="a = %{x:.2f}<br>loss %{y:.4g}<extra>"
                                                   + display_name(name) + "</extra>"))
        fig.update_layout(xaxis_title="step a along the filter-normalised direction (0 = trained weights)",
                          yaxis_title="training loss (log)", font=FONT, height=420,
                          legend=dict(orientation="h", y=1.1), margin=dict(l=10, r=10, t=40, b=10))
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
                      colorbar=dict(title="log10 loss"),
                      hovertemplate="a = %{x:.2f}, b = %{y:.2f}<br>loss %{customdata:.4g}<extra>" + display_name(name)
                      + "</extra>")
        if surface:
            fig.add_trace(go.Surface(cmin=zmin, cmax=zmax, **{k: v for k, v in common.items()
                                                               if k not in ("zmin", "zmax")}), row=1, col=i)
        else:
            fig.add_trace(go.Contour(contours=dict(coloring="heatmap", showlabels=False), ncontours=24,
                                     line=dict(width=0.6), **common), row=1, col=i)
            fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", marker=dict(symbol="x", size=12, color="white",
                                     line=dict(width=1, color="black")), showlegend=False,
                                     hovertemplate="the trained weights<extra></extra>"), row=1, col=i)
            fig.update_xaxes(title_text="direction 1 (a)", row=1, col=i)
            fig.update_yaxes(title_text="direction 2 (b)" if i == 1 else None, row=1, col=i, scaleanchor=f"x{i}"
                             if i > 1 else "x")
    fig.update_layout(font=FONT, height=520 if surface else 460, margin=dict(l=10, r=10, t=50, b=10))
    if surface:
        for i in range(1, len(names) + 1):
            fig.layout[f"scene{'' if i == 1 else i}"].update(zaxis_title="log10 loss", xaxis_title="a",
                                                             yaxis_title="b")
    return fig


def confusion_figure(evs: dict[str, dict]) -> go.Figure:
    """One confusion matrix per net (rows: true class, columns: predicted), counts with row percentages."""
    import numpy as np
    from plotly.subplots import make_subplots

    from resnet_viz.runs.yourdata import confusion

    names = list(evs)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[display_name(n) for n in names],
                        horizontal_spacing=0.12)
    for c, n in enumerate(names, start=1):
        ev = evs[n]
        m = confusion(ev)
        rows = np.maximum(m.sum(1, keepdims=True), 1)
        pct = 100 * m / rows
        classes = ev["classes"]
        fig.add_trace(go.Heatmap(
            z=pct, x=classes, y=classes, zmin=0, zmax=100, colorscale="Blues", showscale=c == len(names),
            colorbar=dict(title="% of row"), text=m, texttemplate="%{text}",
            hovertemplate="true %{y}<br>predicted %{x}<br>%{text} images (%{z:.0f} % of the row)<extra>"
                          f"{display_name(n)}</extra>"), row=1, col=c)
        fig.update_xaxes(title_text="predicted class", row=1, col=c)
        fig.update_yaxes(title_text="true class" if c == 1 else None, autorange="reversed", row=1, col=c)
    for ann, n in zip(fig.layout.annotations, names):
        ann.font = dict(color=_twin_color(n), size=16)
    k = len(next(iter(evs.values()))["classes"])
    fig.update_layout(font=FONT, height=max(360, 60 + 34 * k), margin=dict(l=10, r=10, t=40, b=10))
    return fig


def class_accuracy_figure(evs: dict[str, dict]) -> go.Figure:
    """Held-out accuracy per class, the two nets side by side."""
    from resnet_viz.runs.yourdata import per_class_accuracy

    fig = go.Figure()
    for n, ev in evs.items():
        acc = per_class_accuracy(ev)
        fig.add_trace(go.Bar(x=list(acc), y=[None if v is None else 100 * v for v in acc.values()],
                             name=display_name(n),
                             marker_color=_twin_color(n),
                             hovertemplate="%{x}: %{y:.1f} % correct<extra>" + display_name(n) + "</extra>"))
    fig.update_layout(barmode="group", font=FONT, height=380, yaxis=dict(title="held-out accuracy (%)",
                      range=[0, 100]), margin=dict(l=10, r=10, t=20, b=10), legend=dict(orientation="h", y=1.1))
    return fig


def class_counts_figure(counts: dict[str, dict[str, int]]) -> go.Figure:
    """Images per class and split (``{split: {class: n}}``)."""
    fig = go.Figure()
    colours = {"train": "#555555", "test": "#BBBBBB"}
    for split, per_class in counts.items():
        fig.add_trace(go.Bar(x=list(per_class), y=list(per_class.values()), name=split,
                             marker_color=colours.get(split, "#777777"),
                             hovertemplate="%{x}: %{y} " + split + " images<extra></extra>"))
    fig.update_layout(barmode="stack", font=FONT, height=300, yaxis=dict(title="images"),
                      margin=dict(l=10, r=10, t=20, b=10), legend=dict(orientation="h", y=1.15))
    return fig
