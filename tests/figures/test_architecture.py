"""Parameters against depth, and the Graphviz diagram of one block drawn from the real module."""

from __future__ import annotations

import re

import pytest
import torch

from resnet_viz.figures.architecture import block_dot, count, params_vs_depth
from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.models.registry import build_model

ROWS = [  # shaped like models.stats.model_stats() rows
    {"name": "resnet56", "family": "cifar", "depth": 56, "skip": True, "params": 853018, "flops": 2.5e8},
    {"name": "resnet20", "family": "cifar", "depth": 20, "skip": True, "params": 269722, "flops": 8.1e7},
    {"name": "plain20", "family": "cifar", "depth": 20, "skip": False, "params": 270410, "flops": 8.0e7},
    {"name": "plain56", "family": "cifar", "depth": 56, "skip": False, "params": 851098, "flops": 2.5e8},
    {"name": "resnet18", "family": "imagenet", "depth": 18, "skip": True, "params": 11689512, "flops": 3.6e9},
    {"name": "plain18", "family": "imagenet", "depth": 18, "skip": False, "params": 11689512, "flops": 3.6e9},
]


def test_params_vs_depth_has_plain_and_resnet_series_sorted_by_depth():
    fig = params_vs_depth(ROWS)
    plain, res = fig.data
    assert (plain.name, res.name) == ("plain (no skip)", "ResNet (skip)")
    assert (plain.line.color, res.line.color) == (PLAIN_COLOR, RESNET_COLOR)
    assert list(plain.x) == [20, 56] and list(plain.y) == [270410, 851098]
    assert list(res.x) == [20, 56] and list(res.y) == [269722, 853018]
    assert [c[0] for c in res.customdata] == ["resnet20", "resnet56"]
    assert res.customdata[1][1] == pytest.approx(0.25)  # GFLOP in hover
    assert fig.layout.xaxis.title.text == "depth (weight layers on the main path)"
    assert fig.layout.yaxis.title.text == "parameters"
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"


def test_params_vs_depth_other_family_only_its_rows_and_linear_depth():
    fig = params_vs_depth(ROWS, family="imagenet")
    assert [list(t.x) for t in fig.data] == [[18], [18]]
    assert fig.layout.xaxis.type is None  # depths 18..152 read better on a linear axis
    assert fig.layout.yaxis.type == "log"


def _labels(dot: str) -> dict[str, str]:
    return dict(re.findall(r'^\s+(\w+) \[label="([^"]*)"', dot, flags=re.M))


def test_block_dot_residual_block_names_real_layers_and_counts():
    torch.manual_seed(0)
    block = build_model("resnet20").layer2[1]  # same shape in and out: 32 -> 32 channels
    dot = block_dot(block, title="resnet20.layer2[1]: residual block", skip=True)
    labels = _labels(dot)
    n_conv = 32 * 32 * 3 * 3
    assert count(block.conv1) == n_conv
    assert labels["conv1"] == f"3x3 conv, 32\\n{n_conv:,} params"
    assert labels["conv2"] == f"3x3 conv, 32\\n{n_conv:,} params"
    assert labels["bn1"] == "BatchNorm\\n64 params"
    assert labels["x"] == "x  (32 channels)"
    assert labels["shortcut"] == "identity x\\n(0 params)"
    assert labels["add"] == "+"
    assert labels["out"] == "H(x) = ReLU(F(x) + x)"
    assert "x -> shortcut -> add" in dot
    assert f'fontcolor="{RESNET_COLOR}"; label="resnet20.layer2[1]: residual block"' in dot
    assert dot.startswith("digraph {") and dot.endswith("}")


def test_block_dot_downsampling_block_shows_stride_and_given_shortcut_label():
    block = build_model("resnet20").layer2[0]
    dot = block_dot(block, title="t", skip=True, shortcut_label="option A: subsample + zero pad (0 params)")
    labels = _labels(dot)
    assert labels["conv1"] == f"3x3 conv, 32, stride 2\\n{16 * 32 * 9:,} params"
    assert labels["x"] == "x  (16 channels)"
    assert labels["shortcut"] == "option A: subsample + zero pad\\n(0 params)"


def test_block_dot_plain_twin_has_no_addition():
    block = build_model("plain20").layer2[1]
    dot = block_dot(block, title="plain20.layer2[1]: plain twin", skip=False)
    labels = _labels(dot)
    assert "add" not in labels
    assert labels["shortcut"] == "no shortcut:\\nx is not added"
    assert labels["out"] == "H(x) = ReLU(F(x))"
    assert f'fontcolor="{PLAIN_COLOR}"' in dot
    assert "-> add" not in dot


def test_block_dot_works_on_meta_device_blocks():
    """The page builds the blocks on the meta device (shapes only): counts still come from the shapes."""
    with torch.device("meta"):
        block = build_model("resnet50").layer2[0]
    labels = _labels(block_dot(block, title="t", skip=True))
    assert labels["conv1"] == f"1x1 conv, 128\\n{256 * 128:,} params"
    assert labels["conv2"] == f"3x3 conv, 128, stride 2\\n{128 * 128 * 9:,} params"
    assert labels["conv3"] == f"1x1 conv, 512\\n{128 * 512:,} params"
    assert labels["bn3"] == "BatchNorm\\n1,024 params"


def test_count_of_nothing_is_zero():
    assert count(None) == 0
