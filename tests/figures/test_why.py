"""Why-it-works figures: lesion studies, shattered gradients, loss-landscape slices."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.figures.why import (
    autocorrelation,
    landscape_figure,
    lesion_blocks,
    lesion_curve,
    line_gradient_curves,
    shattering_vs_depth,
)
from resnet_viz.probes.landscape import LandscapeResult
from resnet_viz.probes.lesion import BlockLesion, LesionResult


def _lesion(name: str, intact: float, errors: list[float | None]) -> LesionResult:
    blocks = [BlockLesion(name=f"layer{i + 1}.0", index=i, stage=i + 1, downsampling=i > 0, error=e)
              for i, e in enumerate(errors)]
    return LesionResult(model=name, n_images=100, intact_error=intact, blocks=blocks,
                        random=[{"k": 1, "errors": [0.2, 0.4], "mean": 0.3}, {"k": 2, "errors": [0.5], "mean": 0.5}],
                        reorder=[{"swaps": 1, "errors": [0.1, 0.3], "mean": 0.2}])


RESULTS = {"resnet20": _lesion("resnet20", 0.1, [0.12, None, 0.3]),
           "plain20": _lesion("plain20", 0.15, [0.9, 0.9, 0.9])}


def test_lesion_blocks_lines_intact_levels_gaps_and_chance():
    fig = lesion_blocks(RESULTS)
    assert [t.name for t in fig.data] == ["ResNet-20: one block removed", "ResNet-20: intact (10.0 %)",
                                          "Plain-20: one block removed", "Plain-20: intact (15.0 %)"]
    removed, intact = fig.data[0], fig.data[1]
    assert list(removed.y) == pytest.approx([12, None, 30]) and removed.connectgaps is False
    assert list(removed.marker.symbol) == ["circle", "diamond", "diamond"]
    assert list(intact.y) == [10, 10] and intact.line.dash == "dot"
    assert [removed.line.color, fig.data[2].line.color] == [RESNET_COLOR, PLAIN_COLOR]
    notes = [a.text for a in fig.layout.annotations]
    assert notes.count("cannot remove") == 1 and "chance (90 %)" in notes
    assert [s.y0 for s in fig.layout.shapes] == [90.0]
    assert fig.layout.yaxis.title.text == "test error (%)"


def test_lesion_curve_starts_at_the_intact_net_with_min_max_bars():
    fig = lesion_curve(RESULTS, "k", xtitle="blocks removed", chance=80.0)
    res = fig.data[0]
    assert res.name == "ResNet-20"
    assert list(res.x) == [0, 1, 2] and list(res.y) == pytest.approx([10, 30, 50])
    assert list(res.error_y.array) == pytest.approx([0, 10, 0])
    assert list(res.error_y.arrayminus) == pytest.approx([0, 10, 0])
    assert [s.y0 for s in fig.layout.shapes] == [80.0]
    swaps = lesion_curve(RESULTS, "swaps", xtitle="pairs swapped")
    assert list(swaps.data[0].x) == [0, 1] and list(swaps.data[0].y) == pytest.approx([10, 20])
    assert swaps.layout.xaxis.title.text == "pairs swapped"


def test_lesion_curve_skips_nets_without_draws():
    empty = _lesion("plain20", 0.2, [0.5])
    empty.random = []
    assert len(lesion_curve({"plain20": empty}, "k", xtitle="k").data) == 0


def _line(corr: list[float]) -> SimpleNamespace:  # the fields of probes.shattered.LineGradients the figures read
    return SimpleNamespace(t=[0.0, 0.5, 1.0], dfdt=[1.0, -2.0, 3.0], corr=corr)


LINES = {"plain20": _line([1.0, 0.2, 0.0]), "resnet20": _line([1.0, 0.9, 0.7])}


def test_line_gradient_curves_one_panel_per_net():
    fig = line_gradient_curves(LINES)
    assert [a.text for a in fig.layout.annotations] == ["Plain-20", "ResNet-20"]
    assert [t.yaxis for t in fig.data] == ["y", "y2"]
    assert list(fig.data[0].y) == [1.0, -2.0, 3.0] and list(fig.data[0].x) == [0.0, 0.5, 1.0]
    assert [t.line.color for t in fig.data] == [PLAIN_COLOR, RESNET_COLOR]


def test_autocorrelation_other_depths_faint_and_the_1_over_e_line():
    rows = [{"model": "plain56", "corr": [1.0, 0.0]}, {"model": "plain20", "corr": [1.0, 0.5]}]
    fig = autocorrelation(LINES, rows)
    assert [t.name for t in fig.data] == ["Plain-56", "Plain-20", "ResNet-20"]  # plain20 once: from the lines
    assert fig.data[0].line.dash == "dot" and fig.data[0].opacity == pytest.approx(0.55)
    assert list(fig.data[2].y) == [1.0, 0.9, 0.7] and list(fig.data[2].x) == [0, 1, 2]
    assert fig.layout.shapes[0].y0 == pytest.approx(math.exp(-1))
    assert fig.layout.xaxis.type == "log"


def test_shattering_vs_depth_lag1_with_seed_bars():
    rows = [{"depth": 20, "skip": False, "lag1": 0.7, "lag1_min": 0.6, "lag1_max": 0.75},
            {"depth": 20, "skip": True, "lag1": 0.94, "lag1_min": 0.9, "lag1_max": 0.96}]
    fig = shattering_vs_depth(rows)
    assert [list(t.y) for t in fig.data] == [[0.7], [0.94]]
    assert list(fig.data[1].error_y.array) == pytest.approx([0.02])
    assert fig.layout.yaxis.title.text == "correlation of neighbouring gradients"


def _land(name: str, loss, betas=None) -> LandscapeResult:
    return LandscapeResult(model=name, alphas=[-1.0, 0.0, 1.0], betas=betas, loss=loss, accuracy=None,
                           n_images=8, seed=0, span=1.0, steps=3)


def test_landscape_figure_1d_lines_on_a_log_axis():
    fig = landscape_figure({"plain20": _land("plain20", [3.0, 1.0, 4.0]), "resnet20": _land("resnet20", [2, 1, 2])})
    assert [t.name for t in fig.data] == ["Plain-20", "ResNet-20"]
    assert list(fig.data[0].y) == [3.0, 1.0, 4.0]
    assert fig.layout.yaxis.type == "log"


def test_landscape_figure_2d_contours_share_one_log_scale_and_mark_the_weights():
    grid_p = [[10.0, 1.0, 10.0], [1.0, 0.1, 1.0], [10.0, 1.0, float("nan")]]
    grid_r = [[1.0, 1.0, 1.0], [1.0, 0.1, 1.0], [1.0, 1.0, 1.0]]
    res = {"plain20": _land("plain20", grid_p, [-1.0, 0.0, 1.0]), "resnet20": _land("resnet20", grid_r, [-1, 0, 1])}
    fig = landscape_figure(res)
    contours = [t for t in fig.data if t.type == "contour"]
    assert len(contours) == 2 and sum(t.type == "scatter" for t in fig.data) == 2  # an x at (0, 0) in each
    assert all((c.zmin, c.zmax) == pytest.approx((-1.0, 1.0)) for c in contours)
    np.testing.assert_allclose(np.asarray(contours[0].z)[1], [0, -1, 0])
    assert np.asarray(contours[0].customdata)[0, 0] == 10.0  # hover shows the loss itself
    assert [a.text for a in fig.layout.annotations] == ["Plain-20", "ResNet-20"]
    surf = landscape_figure(res, view="surface")
    assert [t.type for t in surf.data] == ["surface", "surface"]
    assert (surf.data[0].cmin, surf.data[0].cmax) == pytest.approx((-1.0, 1.0))
    assert surf.layout.scene.zaxis.title.text == "log10 loss"
