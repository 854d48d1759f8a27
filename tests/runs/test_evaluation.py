"""A run's held-out evaluation: confusion matrix, per-class accuracy and the sentence about them."""

from __future__ import annotations

import pytest

from resnet_viz.lessons.yourdata import describe_evaluation
from resnet_viz.runs.evaluation import accuracy, confusion, per_class_accuracy

EV = {"classes": ["cat", "dog", "fox"], "labels": [0, 0, 0, 1, 1, 2], "preds": [0, 0, 1, 1, 2, 2],
      "confidences": [0.9] * 6, "wrong": []}


def test_confusion_per_class_accuracy_and_sentence():
    m = confusion(EV)
    assert m.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]] and m.sum() == 6
    assert per_class_accuracy(EV) == {"cat": 2 / 3, "dog": 0.5, "fox": 1.0}
    assert accuracy(EV) == pytest.approx(4 / 6)
    other = {**EV, "preds": [0, 0, 0, 0, 0, 2]}
    text = describe_evaluation({"resnet20": EV, "plain20": other})
    assert "ResNet-20 classifies 66.7 % of the 6 held-out images" in text and "Plain-20 classifies 66.7 %" in text
    assert "largest gap is on 'dog': 50 % for ResNet-20 against 0 % for Plain-20" in text
