"""The Degradation page's sentences: deeper plain nets worse, deeper ResNets better, layer responses."""

from __future__ import annotations

from resnet_viz.lessons.degradation import (
    curves_reading_guide,
    describe_degradation,
    describe_depth_gaps,
    describe_one_depth,
    describe_responses,
    one_depth_note,
)


def _finals(p20: float, p56: float, r20: float, r56: float) -> dict[str, dict]:
    return {"plain20": {"train_error": p20}, "plain56": {"train_error": p56}, "resnet20": {"train_error": r20},
            "resnet56": {"train_error": r56}}


def test_degradation_as_in_the_paper():
    text = describe_degradation(_finals(0.10, 0.15, 0.08, 0.05), 20, 56, epoch=1)
    assert text == ("After 1 epoch (all four runs), training error: plain-56 has 5.0 points *more* training error than "
                    "plain-20 (15.0 % vs 10.0 %): the deeper plain net trains worse, the degradation problem. "
                    "ResNet-56 is 3.0 points *below* ResNet-20 (5.0 % vs 8.0 %): with skip connections depth helps.")


def test_degradation_that_does_not_show():
    text = describe_degradation(_finals(0.15, 0.10, 0.05, 0.08), 20, 56)
    assert text.startswith("Final training error: plain-56 has 5.0 points less training error than plain-20")
    assert "in these runs the degradation problem does not show" in text
    assert text.endswith("ResNet-56 is 3.0 points above ResNet-20 (8.0 % vs 5.0 %).")


def test_degradation_waits_for_all_four_runs():
    finals = _finals(0.1, 0.2, 0.1, 0.1)
    del finals["resnet56"]
    assert describe_degradation(finals, 20, 56).startswith("Not all four runs have finished an epoch yet")


def test_one_depth_which_is_lower_and_missing():
    text = describe_one_depth({"plain20": {"train_error": 0.2}, "resnet20": {"train_error": 0.15}}, 20, epoch=3)
    assert text.startswith("After 3 epochs, ResNet-20 has 15.0 % training error and Plain-20 20.0 % (the ResNet is "
                           "5.0 points lower).")
    worse = describe_one_depth({"plain20": {"train_error": 0.1}, "resnet20": {"train_error": 0.15}}, 20, epoch=3)
    assert "(the ResNet is 5.0 points higher)" in worse
    assert describe_one_depth({"plain20": {"train_error": 0.1}}, 20).startswith("Not both runs have finished")


def test_depth_gaps_more_and_less():
    text = describe_depth_gaps(_finals(0.10, 0.125, 0.08, 0.06), 20, 56, 164)
    assert text == ("After 164 epochs on CIFAR-10, Plain-56 ends with 2.5 points more training error than Plain-20 "
                    "(12.5 vs 10.0 %); ResNet-56 ends with 2.0 points less than ResNet-20 (6.0 vs 8.0 %).")


def _resp(*stds: float) -> list[dict]:
    return [{"name": f"l{i}", "std": s} for i, s in enumerate(stds)]


def test_responses_as_in_the_paper_two_depths():
    text = describe_responses({"plain20": _resp(1.0, 2.0), "resnet20": _resp(0.5, 0.7), "plain56": _resp(2.0),
                               "resnet56": _resp(0.4)})
    assert text.startswith("Mean std of the 3x3 layer responses, smallest first: ResNet-56 0.400 < ResNet-20 0.600 < "
                           "Plain-20 1.500 < Plain-56 2.000.")
    assert text.endswith("the deeper ResNet less still: its residual functions stay closer to zero.")


def test_responses_one_depth_either_way_and_deeper_resnet_not_lower():
    assert "As in the paper, ResNet-20 responds less than Plain-20" in describe_responses(
        {"plain20": _resp(1.0), "resnet20": _resp(0.5)})
    worse = describe_responses({"plain20": _resp(0.4), "resnet20": _resp(0.5)})
    assert "here ResNet-20 is not below Plain-20." in worse
    text = describe_responses({"plain20": _resp(1.0), "resnet20": _resp(0.3), "plain56": _resp(2.0),
                               "resnet56": _resp(0.5)})
    assert "here the ResNets are below their twins and the deeper ResNet is not lower" in text


def test_responses_without_a_complete_pair_only_list_the_means():
    text = describe_responses({"plain20": _resp(1.0), "resnet56": _resp(0.5), "resnet20": []})
    assert text == "Mean std of the 3x3 layer responses, smallest first: ResNet-56 0.500 < Plain-20 1.000."


def test_notes():
    assert one_depth_note(20).startswith("Only 20-layer twins in this set")
    assert "one batch of 128 images" in curves_reading_guide(128)
