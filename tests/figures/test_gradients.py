"""Gradient-flow figures: per layer, per block, against depth, and during training."""

from __future__ import annotations

import math

import pytest

from resnet_viz.figures.gradients import (
    block_gradients,
    depth_sweep,
    gradient_heatmaps,
    layer_gradients,
    twins_vs_depth,
)
from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.probes.gradients import BlockRecord, GradientFlow, LayerRecord


def _flow(name: str, norms: list[float]) -> GradientFlow:
    layers = [LayerRecord(name=f"conv{i}", index=i, kind="conv", params=432 * (i + 1), grad_norm=g,
                          weight_norm=1.0, act_rms=1.0, ratio_to_last=g / norms[-1]) for i, g in enumerate(norms)]
    blocks = [BlockRecord(name=n, index=i, grad_norm=g, out_rms=1.0)
              for i, (n, g) in enumerate(zip(["stem", "layer1.0", "layer2.0"], norms))]
    return GradientFlow(model=name, layers=layers, blocks=blocks, loss=2.3, logit_std=0.1,
                        first_last_ratio=norms[0] / norms[-1])


FLOWS = {"plain20": _flow("plain20", [1e-4, 1e-2, 1.0]), "resnet20": _flow("resnet20", [0.5, 0.8, 1.0])}


def test_layer_gradients_one_trace_per_model_with_display_names_and_colours():
    fig = layer_gradients(FLOWS)
    assert [t.name for t in fig.data] == ["Plain-20", "ResNet-20"]
    assert [t.line.color for t in fig.data] == [PLAIN_COLOR, RESNET_COLOR]
    plain = fig.data[0]
    assert list(plain.x) == [0, 1, 2]
    assert list(plain.y) == pytest.approx([1e-4, 1e-2, 1.0])
    assert plain.customdata[0][0] == "conv0" and plain.customdata[0][1] == pytest.approx(1e-4)
    assert plain.customdata[2][2] == 432 * 3
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text.startswith("layer (forward order")


def test_layer_gradients_zero_norm_is_kept_on_the_log_axis():
    fig = layer_gradients({"plain56": _flow("plain56", [0.0, 1.0, 1.0])})
    assert fig.data[0].y[0] == 1e-30  # a vanished gradient is drawn at the floor, not dropped
    assert fig.data[0].name == "Plain-56"


def test_block_gradients_x_are_block_names():
    fig = block_gradients(FLOWS)
    assert list(fig.data[1].x) == ["stem", "layer1.0", "layer2.0"]
    assert list(fig.data[1].y) == pytest.approx([0.5, 0.8, 1.0])
    assert fig.layout.yaxis.title.text == "||dL / d(block output)|| (log)"


SWEEP = [  # shaped like probes.gradients.depth_sweep rows
    {"depth": 56, "model": "plain56", "skip": False, "ratio": 1e-3, "min": 1e-4, "max": 1e-2, "seeds": 3},
    {"depth": 20, "model": "plain20", "skip": False, "ratio": 0.1, "min": 0.05, "max": 0.2, "seeds": 3},
    {"depth": 20, "model": "resnet20", "skip": True, "ratio": 2.0, "min": 1.5, "max": 3.0, "seeds": 3},
    {"depth": 56, "model": "resnet56", "skip": True, "ratio": 3.0, "min": 2.0, "max": 4.0, "seeds": 3},
]


def test_depth_sweep_plain_and_resnet_with_asymmetric_bars_and_flat_line():
    fig = depth_sweep(SWEEP)
    plain, res = fig.data
    assert (plain.name, res.name) == ("plain", "ResNet")
    assert (plain.line.color, res.line.color) == (PLAIN_COLOR, RESNET_COLOR)
    assert list(plain.x) == [20, 56] and list(plain.y) == pytest.approx([0.1, 1e-3])
    assert list(plain.error_y.array) == pytest.approx([0.1, 9e-3])  # max - value
    assert list(plain.error_y.arrayminus) == pytest.approx([0.05, 9e-4])  # value - min
    assert [s.y0 for s in fig.layout.shapes] == [1]  # the "flat (ratio 1)" line
    assert fig.layout.yaxis.type == "log"


def test_twins_vs_depth_uses_the_given_keys():
    rows = [{"depth": 8, "skip": True, "v": 0.9, "a": 0.8, "b": 1.0}]
    fig = twins_vs_depth(rows, "v", "a", "b", "x %{y}")
    assert len(fig.data) == 2 and len(fig.data[0].x) == 0  # no plain rows: an empty plain trace
    assert list(fig.data[1].y) == [0.9]
    assert fig.data[1].hovertemplate == "depth %{x}<br>x %{y}<extra>ResNet</extra>"


def test_gradient_heatmaps_one_panel_per_model_on_one_colour_scale():
    trajs = {  # shaped like probes.gradients.gradient_trajectory: norms[step][layer]
        "plain20": {"layers": ["conv1", "fc"], "norms": [[1e-3, 1.0], [1e-2, 10.0], [0.0, 1.0]]},
        "resnet20": {"layers": ["conv1", "fc"], "norms": [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], "steps": [5, 10, 15]},
    }
    fig = gradient_heatmaps(trajs)
    assert [a.text for a in fig.layout.annotations] == ["Plain-20", "ResNet-20"]
    p, r = fig.data
    assert p.zmin == r.zmin == pytest.approx(-3) and p.zmax == r.zmax == pytest.approx(1)  # 0 is not the minimum
    assert [list(row) for row in p.z] == [[-3, -2, -30], [0, 1, 0]]  # (layers, steps), log10
    assert list(p.x) == [1, 2, 3] and list(r.x) == [5, 10, 15]
    assert (p.showscale, r.showscale) == (False, True)
    assert fig.layout.yaxis.title.text == "layer (0 = input side)"
    assert all(math.isfinite(v) for row in p.z for v in row)
