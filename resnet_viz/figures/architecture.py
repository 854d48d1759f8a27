"""Figures of the networks themselves: parameters against depth for the plain and residual twins, and a
Graphviz diagram of one block drawn from the real module (its convs, norms, ReLUs and shortcut).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

from resnet_viz.figures.style import FONT, h_legend, skip_color, tight_margin
from resnet_viz.i18n import _

if TYPE_CHECKING:  # torch is imported where it is used: the app's sidebar (every page) needs no torch
    from torch import nn


def params_vs_depth(rows: list[dict], *, family: str = "cifar") -> go.Figure:
    """Parameters against depth, residual and plain twins as two coloured series."""
    fig = go.Figure()
    # TRANSLATORS: legend names: "plain" is the twin network without skip connections
    for skip, label in ((False, _("plain (no skip)")), (True, _("ResNet (skip)"))):
        pts = sorted((r for r in rows if r["family"] == family and r["skip"] == skip), key=lambda r: r["depth"])
        fig.add_trace(go.Scatter(
            x=[r["depth"] for r in pts], y=[r["params"] for r in pts], mode="lines+markers", name=label,
            line=dict(color=skip_color(skip), width=3, dash="dash" if skip else "solid"),
            marker=dict(size=11 if not skip else 8),
            customdata=[[r["name"], r["flops"] / 1e9] for r in pts],
            hovertemplate="%{customdata[0]}<br>" + _("%{y:,} parameters") + "<br>%{customdata[1]:.3f} GFLOP"
                          "<extra></extra>",
        ))
    fig.update_layout(
        xaxis_title=_("depth (weight layers on the main path)"), yaxis_title=_("parameters"),
        font=FONT, legend=h_legend(1.12), margin=tight_margin(), height=380,
    )
    fig.update_xaxes(type="log") if family == "cifar" else None
    fig.update_yaxes(type="log")
    return fig


def count(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def _dot_text(text: str) -> str:
    """``text`` inside a DOT string: quotes escaped, line breaks as DOT's ``\\n``."""
    return str(text).replace('"', '\\"').replace("\n", "\\n")


def _node(name: str, label: str, fill: str = "#FFFFFF", shape: str = "box") -> str:
    return f'  {name} [label="{_dot_text(label)}", shape={shape}, fillcolor="{fill}"];'


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
        f'  labelloc=t; fontname="Helvetica-Bold"; fontsize=17; fontcolor="{color}"; label="{_dot_text(title)}";',
        _node("x", _("x  ({n} channels)", n=convs[0][1].in_channels), "#EEEEEE", "box"),
    ]
    prev = "x"
    mid = None
    for i, (name, conv) in enumerate(convs):
        k = conv.kernel_size[0]
        conv_label = (_("{k}x{k} conv, {channels}, stride {stride}", k=k, channels=conv.out_channels,
                        stride=conv.stride[0]) if conv.stride[0] != 1
                      else _("{k}x{k} conv, {channels}", k=k, channels=conv.out_channels))
        conv_params = _("{n:,} params", n=count(conv))
        lines.append(_node(name, f"{conv_label}\n{conv_params}", "#FFFFFF"))
        bn = getattr(block, f"bn{i + 1}", None)
        bn_name = f"bn{i + 1}"
        bn_label = "BatchNorm" if isinstance(bn, nn.BatchNorm2d) else _("(no norm)")
        bn_params = _("{n:,} params", n=count(bn))
        lines.append(_node(bn_name, f"{bn_label}\n{bn_params}", "#F5F5F5"))
        lines.append(f"  {prev} -> {name} -> {bn_name};")
        prev = bn_name
        if i < len(convs) - 1:
            lines.append(_node(f"relu{i + 1}", "ReLU", "#F5F5F5", "box"))
            lines.append(f"  {prev} -> relu{i + 1};")
            prev = f"relu{i + 1}"
            mid = mid or f"relu{i + 1}"
    if skip:
        sc = _dot_text(str(shortcut_label or _("identity x (0 params)")).replace(" (", "\n("))
        lines.append(f'  shortcut [label="{sc}", shape=box, fillcolor="#FFFFFF", color="{color}", '
                     f'fontcolor="{color}", penwidth=2.5];')
        lines.append(f'  add [label="+", shape=circle, fillcolor="{color}", fontcolor="white", fontsize=26, '
                     'width=0.5, fixedsize=true];')
        lines.append(f'  {prev} -> add [label=" F(x)", fontsize=13];')
        lines.append(f'  x -> shortcut -> add [color="{color}", penwidth=3.5];')
        prev = "add"
        out = "H(x) = ReLU(F(x) + x)"
    else:
        none = _dot_text(_("no shortcut:\nx is not added"))
        lines.append(f'  shortcut [label="{none}", shape=box, style="rounded,dashed", color="#AAAAAA", '
                     'fontcolor="#888888"];')
        lines.append('  x -> shortcut [style=dashed, color="#AAAAAA", arrowhead=none];')
        out = "H(x) = ReLU(F(x))"
    if mid:
        lines.append(f"  {{rank=same; {mid}; shortcut;}}")
    lines.append(_node("relu_out", "ReLU", "#F5F5F5"))
    lines.append(f'  out [label="{out}", shape=box, fillcolor="{color}", fontcolor="white"];')
    lines.append(f"  {prev} -> relu_out -> out;")
    lines.append("}")
    return "\n".join(lines)
