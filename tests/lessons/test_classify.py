"""The Classify and explain page's sentences: predictions, the seen image, agreement of two maps."""

from __future__ import annotations

import numpy as np

from resnet_viz.lessons.classify import describe_agreement, describe_predictions, seen_caption


def test_describe_predictions_top_and_runner_up():
    preds = {"resnet20": [{"label": "cat", "prob": 0.812}, {"label": "dog", "prob": 0.1}],
             "plain20": [{"label": "dog", "prob": 0.5}]}  # only one class: no runner-up, no sentence
    assert describe_predictions(preds) == "ResNet-20 says **cat** (81.2 %), then dog (10.0 %)."


def test_seen_caption_width_by_height():
    assert seen_caption("resnet50", np.zeros((224, 160, 3))) == "what ResNet-50 saw: 160x224 px"


def test_describe_agreement_identical_maps_overlap_fully_and_peaks():
    m = np.zeros((4, 5))
    m[1, 3], m[2, 2] = 1.0, 0.5
    text = describe_agreement({"resnet20": m, "plain20": m.copy()})
    assert text == ("The brightest 20 % of the two maps overlap by 100 % (intersection over union); ResNet-20 peaks "
                    "at x=3, y=1; Plain-20 peaks at x=3, y=1.")


def test_describe_agreement_disjoint_maps_and_a_zero_map():
    a, b = np.zeros((4, 4)), np.zeros((4, 4))
    a[0, 0], b[3, 3] = 1.0, 2.0
    assert "overlap by 0 %" in describe_agreement({"resnet20": a, "plain20": b})
    text = describe_agreement({"resnet20": a, "plain20": -b})  # negative everywhere: clipped to zero
    assert text.startswith("The map of Plain-20 is zero everywhere")
