"""Your data figures: confusion matrices, per-class accuracy, images per class and split."""

from __future__ import annotations

import numpy as np

from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.figures.yourdata import class_accuracy_figure, class_counts_figure, confusion_figure


def test_confusion_figure_row_percentages_with_counts_as_text():
    m = np.array([[3, 1], [0, 0]])  # second class: no held-out images (a row of zeros)
    fig = confusion_figure({"resnet20": m, "plain20": np.array([[2, 2], [1, 3]])}, ["cat", "dog"])
    res, plain = fig.data
    np.testing.assert_allclose(np.asarray(res.z), [[75, 25], [0, 0]])  # no division by zero
    assert np.asarray(res.text).tolist() == [[3, 1], [0, 0]]
    assert list(res.x) == list(res.y) == ["cat", "dog"]
    np.testing.assert_allclose(np.asarray(plain.z), [[50, 50], [25, 75]])
    assert [a.text for a in fig.layout.annotations] == ["ResNet-20", "Plain-20"]
    assert [a.font.color for a in fig.layout.annotations] == [RESNET_COLOR, PLAIN_COLOR]
    assert (res.showscale, plain.showscale) == (False, True)
    assert fig.layout.xaxis.title.text == "predicted class" and fig.layout.yaxis.title.text == "true class"


def test_class_accuracy_figure_percent_and_gap_for_missing_class():
    fig = class_accuracy_figure({"plain20": {"cat": 0.5, "dog": None}, "resnet20": {"cat": 1.0, "dog": 0.25}})
    plain, res = fig.data
    assert (plain.name, res.name) == ("Plain-20", "ResNet-20")
    assert (plain.marker.color, res.marker.color) == (PLAIN_COLOR, RESNET_COLOR)
    assert list(plain.y) == [50, None] and list(res.y) == [100, 25]
    assert fig.layout.barmode == "group" and tuple(fig.layout.yaxis.range) == (0, 100)


def test_class_counts_figure_stacks_splits():
    fig = class_counts_figure({"train": {"cat": 10, "dog": 8}, "test": {"cat": 2, "dog": 2}})
    assert [t.name for t in fig.data] == ["train", "test"]
    assert list(fig.data[0].y) == [10, 8] and list(fig.data[0].x) == ["cat", "dog"]
    assert fig.layout.barmode == "stack"
    assert fig.data[0].marker.color != fig.data[1].marker.color
