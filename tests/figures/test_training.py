"""Degradation figures: training curves (paper Figure 6) and layer responses (paper Figure 7)."""

from __future__ import annotations

import pytest

from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.figures.training import responses_figure, training_curves


def _recs(errs: list[tuple[float, float]]) -> list[dict]:  # shaped like a run's epoch records
    return [{"epoch": e + 1, "step": 100 * (e + 1), "train_error": tr, "test_error": te}
            for e, (tr, te) in enumerate(errs)]


def test_training_curves_plain_left_resnet_right_train_and_test():
    curves = {"plain20": _recs([(0.5, 0.55), (0.3, 0.35)]), "resnet20": _recs([(0.4, 0.45), (0.2, 0.25)])}
    fig = training_curves(curves, (20,))
    assert [t.name for t in fig.data] == ["Plain-20 train", "Plain-20 test", "ResNet-20 train", "ResNet-20 test"]
    assert [t.line.color for t in fig.data] == [PLAIN_COLOR, PLAIN_COLOR, RESNET_COLOR, RESNET_COLOR]
    assert [t.line.dash for t in fig.data] == ["solid", "dash", "solid", "dash"]
    assert [t.xaxis for t in fig.data] == ["x", "x", "x2", "x2"]
    assert list(fig.data[1].x) == [100, 200]
    assert list(fig.data[1].y) == pytest.approx([55, 35])  # percent
    assert list(fig.data[0].customdata) == [1, 2]
    assert [a.text for a in fig.layout.annotations] == ["plain nets (no skip)", "ResNets (skip)"]
    assert fig.layout.yaxis.title.text == "error (%)"
    assert fig.layout.xaxis.title.text == fig.layout.xaxis2.title.text == "iterations"


def test_training_curves_two_depths_the_deeper_is_darker_and_missing_runs_are_skipped():
    curves = {"plain20": _recs([(0.3, 0.3)]), "plain56": _recs([(0.4, 0.4)]), "resnet56": _recs([(0.1, 0.1)])}
    fig = training_curves(curves, (20, 56))
    names = [t.name for t in fig.data]
    assert "ResNet-20 train" not in names and len(fig.data) == 6
    by = {t.name: t for t in fig.data}
    assert by["Plain-20 train"].line.color == PLAIN_COLOR
    assert by["Plain-56 train"].line.color not in (PLAIN_COLOR, RESNET_COLOR)
    assert by["Plain-56 train"].line.width > by["Plain-20 train"].line.width


def test_responses_figure_in_order_and_sorted():
    responses = {"plain20": [{"name": "conv1", "std": 0.2}, {"name": "layer1.0.conv1", "std": 0.9},
                             {"name": "layer1.0.conv2", "std": 0.5}],
                 "resnet20": [{"name": "conv1", "std": 0.1}, {"name": "layer1.0.conv1", "std": 0.3},
                              {"name": "layer1.0.conv2", "std": 0.2}]}
    fig = responses_figure(responses)
    assert len(fig.data) == 4
    plain_order, plain_sorted, res_order, _ = fig.data
    assert plain_order.name == "Plain-20" and res_order.name == "ResNet-20"
    assert list(plain_order.y) == [0.2, 0.9, 0.5] and list(plain_order.x) == [1, 2, 3]
    assert list(plain_sorted.y) == [0.9, 0.5, 0.2]
    assert plain_sorted.showlegend is False
    assert plain_order.line.color == PLAIN_COLOR and res_order.line.color == RESNET_COLOR
    assert list(plain_order.customdata) == ["conv1", "layer1.0.conv1", "layer1.0.conv2"]
    assert fig.layout.yaxis.title.text == "std of the response"
