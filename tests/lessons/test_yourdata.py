"""The Your data page's sentences: accuracies, the largest per-class gap, wrong-image captions, progress."""

from __future__ import annotations

from resnet_viz.lessons.yourdata import (
    all_correct,
    checking_text,
    describe_evaluation,
    more_classes,
    run_progress,
    skipped_title,
    weights_missing,
    wrong_caption,
    wrong_summary,
)

CLASSES = ["cat", "dog", "owl"]


def _ev(labels: list[int], preds: list[int]) -> dict:  # shaped like training.evaluation's evaluation.json
    return {"classes": CLASSES, "labels": labels, "preds": preds}


def test_describe_evaluation_accuracies_and_largest_gap():
    evs = {"resnet20": _ev([0, 0, 1, 1, 2], [0, 0, 1, 1, 0]), "plain20": _ev([0, 0, 1, 1, 2], [1, 1, 1, 1, 2])}
    text = describe_evaluation(evs)
    assert text == ("ResNet-20 classifies 80.0 % of the 5 held-out images correctly; Plain-20 classifies 60.0 % of "
                    "the 5 held-out images correctly. The largest gap is on 'cat': 100 % for ResNet-20 against 0 % "
                    "for Plain-20.")


def test_describe_evaluation_no_gap_and_one_net():
    same = {"resnet20": _ev([0, 1], [0, 0]), "plain20": _ev([0, 1], [0, 0])}
    assert "largest gap" not in describe_evaluation(same)
    assert describe_evaluation({"resnet20": _ev([0], [0])}) == \
        "ResNet-20 classifies 100.0 % of the 1 held-out images correctly."


def test_wrong_images():
    assert wrong_caption(CLASSES, {"label": 2, "pred": 0, "confidence": 0.934}) == "true: owl · said: cat (93 %)"
    ev = _ev([0, 1, 2, 2], [0, 2, 1, 2])
    assert wrong_summary("ResNet-20", ev, 2) == "ResNet-20 got 2 of 4 held-out images wrong; the 2 it was most sure " \
                                                "of are shown."
    assert wrong_summary("ResNet-20", ev, 0) == "ResNet-20 got 2 of 4 held-out images wrong."
    assert all_correct("Plain-20") == "Plain-20 classifies every held-out image correctly."


def test_small_texts():
    assert checking_text(3, 10) == "Checking every image: 3 of 10"
    assert more_classes(15) == "... and 3 more classes." and more_classes(12) is None
    assert skipped_title(4) == "Skipped files (4) and why"
    text = weights_missing(18, "https://x/resnet18.pth", "/hub/resnet18.pth")
    assert "ImageNet weights of ResNet-18" in text and "Download https://x/resnet18.pth and put it at " \
                                                      "`/hub/resnet18.pth`" in text


def test_run_progress():
    assert run_progress("ResNet-20", {"state": "running", "progress": 0.25, "eta_s": 90, "message": "epoch 2"}) == \
        (0.25, "ResNet-20: epoch 2, about 1.5 min left")
    assert run_progress("ResNet-20", {"state": "finished", "progress": 0.9}) == (1.0, "ResNet-20: finished")
    assert run_progress("Plain-20", {}) == (0.0, "Plain-20: waiting")
    assert run_progress("Plain-20", {"state": "running", "progress": 1.7}) == (1.0, "Plain-20: running")
