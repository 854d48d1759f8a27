"""Figures over images and activation maps: feature grids, stage strips, overlays, block anatomy, top classes."""

from __future__ import annotations

import numpy as np
import pytest

from resnet_viz.figures.images import anatomy_lines, feature_grid, overlay, stage_strip, top_classes
from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.probes.activations import BlockAnatomy


def test_feature_grid_one_tile_per_channel_labelled_in_order():
    maps = np.arange(6 * 4 * 4, dtype=np.float32).reshape(6, 4, 4)
    fig = feature_grid(maps, [5, 0, 2], title="ResNet-20: layer1.0", color=RESNET_COLOR, cols=2)
    assert [t.name for t in fig.data] == ["ch 5", "ch 0", "ch 2"]
    assert [a.text for a in fig.layout.annotations] == ["ch 5", "ch 0", "ch 2"]
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), maps[5])
    assert [t.showscale for t in fig.data] == [True, False, False]  # one colour bar: the first map's
    assert fig.data[0].zmin is None  # each map its own scale without zrange
    assert fig.layout.title.text == "ResNet-20: layer1.0" and fig.layout.title.font.color == RESNET_COLOR
    # 3 maps in 2 columns: two rows, the third tile starts the second row
    assert fig.data[2].x0 < fig.data[1].x0 and fig.data[2].y0 > fig.data[0].y0
    assert tuple(fig.layout.yaxis.range)[0] == pytest.approx(2 * 1.22)


def test_feature_grid_shared_range_and_pixel_coordinates_in_hover():
    maps = np.random.default_rng(0).normal(size=(2, 3, 5))
    fig = feature_grid(maps, [0, 1], title="t", color=PLAIN_COLOR, zrange=(-1.0, 2.0))
    assert all((t.zmin, t.zmax) == (-1.0, 2.0) for t in fig.data)
    cd = np.asarray(fig.data[1].customdata)
    assert cd.shape == (3, 5, 2)
    assert tuple(cd[2, 4]) == (4, 2)  # (x, y) of the bottom-right pixel


def test_stage_strip_one_row_per_model_with_display_names():
    strips = {"resnet20": [("stem", np.zeros((8, 8))), ("layer3", np.ones((2, 2)))],
              "plain20": [("stem", np.zeros((8, 8))), ("layer3", np.ones((2, 2)))]}
    fig = stage_strip(strips)
    assert [a.text for a in fig.layout.annotations] == ["ResNet-20 stem", "ResNet-20 layer3", "Plain-20 stem",
                                                        "Plain-20 layer3"]
    assert fig.layout.height == 190 * 2 + 40
    assert fig.data[2].y0 > fig.data[0].y0  # plain below


def test_overlay_upsamples_the_map_to_the_image():
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    heat = np.array([[0.0, 1.0], [2.0, 3.0]])
    fig = overlay(image, heat, opacity=0.3, title="where it looks")
    img, hm = fig.data
    assert img.type == "image" and hm.type == "heatmap"
    z = np.asarray(hm.z)
    assert z.shape == (32, 32) and hm.opacity == 0.3
    assert z[0, 0] == pytest.approx(0.0) and z[-1, -1] == pytest.approx(3.0)
    assert z[-1, 0] > z[0, -1]  # bottom-left (2) brighter than top-right (1): rows stay rows
    assert fig.layout.title.text == "where it looks"


def _anat(name: str, ratio: float, cos: float | None, down: bool) -> BlockAnatomy:
    return BlockAnatomy(name=name, index=0, skip=True, downsampling=down, residual_ratio=ratio, cosine=cos,
                        x_norm=1.0, f_norm=ratio, h_norm=1.0)


def test_anatomy_lines_residual_ratio_marks_downsampling_and_draws_the_unit_line():
    records = {"resnet20": [_anat("layer1.0", 0.2, 0.9, False), _anat("layer2.0", 1.5, None, True)],
               "plain20": [_anat("layer1.0", 3.0, 0.1, False), _anat("layer2.0", 2.0, None, True)]}
    fig = anatomy_lines(records, "residual_ratio", ytitle="||F(x)|| / ||x||  (log)", log=True)
    assert [t.name for t in fig.data] == ["ResNet-20", "Plain-20"]
    assert [t.line.color for t in fig.data] == [RESNET_COLOR, PLAIN_COLOR]
    assert list(fig.data[1].y) == [3.0, 2.0]
    assert list(fig.data[0].marker.size) == [7, 12]
    assert [s.y0 for s in fig.layout.shapes] == [1]
    assert fig.layout.yaxis.type == "log"
    cos = anatomy_lines(records, "cosine", ytitle="cosine(x, H(x))")
    assert list(cos.data[0].y) == [0.9, None] and not cos.layout.shapes and cos.layout.yaxis.type is None


def test_top_classes_best_on_top_in_percent():
    preds = {"resnet20": [{"label": "cat", "prob": 0.7}, {"label": "dog", "prob": 0.2}],
             "plain20": [{"label": "dog", "prob": 0.5}, {"label": "cat", "prob": 0.4}]}
    fig = top_classes(preds)
    res, plain = fig.data
    assert list(res.y) == ["dog", "cat"]  # reversed: horizontal bars draw the first at the bottom
    assert list(res.x) == pytest.approx([20, 70])
    assert list(res.text) == ["20.0 %", "70.0 %"]
    assert (res.marker.color, plain.marker.color) == (RESNET_COLOR, PLAIN_COLOR)
    assert [a.text for a in fig.layout.annotations] == ["ResNet-20", "Plain-20"]
    assert tuple(fig.layout.xaxis.range) == (0, 100)
