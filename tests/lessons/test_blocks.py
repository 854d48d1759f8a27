"""The Inside a block page's sentences, read off block-anatomy records."""

from __future__ import annotations

from resnet_viz.lessons.blocks import describe_cosines, describe_residuals, first_map_label, three_maps_title
from resnet_viz.probes.activations import BlockAnatomy


def _rec(ratio: float, cos: float | None = 0.9, skip: bool = True) -> BlockAnatomy:
    return BlockAnatomy(name="layer1.0", index=0, skip=skip, downsampling=False, residual_ratio=ratio, cosine=cos,
                        x_norm=1.0, f_norm=ratio, h_norm=1.0)


def test_describe_residuals_resnet_small_corrections_plain_carries_everything():
    records = {"resnet20": [_rec(0.2), _rec(0.4), _rec(1.5), _rec(float("inf"))],
               "plain20": [_rec(1.2, skip=False), _rec(0.8, skip=False), _rec(2.0, skip=False)]}
    text = describe_residuals(records, {"resnet20": True, "plain20": False}, {"resnet20": "trained", "plain20": "x"})
    assert text.startswith("In ResNet-20 (trained) the residual branch F(x) is smaller than the shortcut x in 2 of 3 "
                           "blocks (median ||F(x)||/||x|| = 0.40): the identity does most of the work")  # inf left out
    assert text.endswith("In Plain-20, which has no shortcut, each block's output must carry everything: its layers' "
                         "output is 1.20x the size of the block's input (median).")


def test_describe_residuals_large_branches_are_said():
    text = describe_residuals({"resnet56": [_rec(1.5), _rec(3.0)]}, {"resnet56": True}, {"resnet56": "init"})
    assert "in 0 of 2 blocks (median ||F(x)||/||x|| = 2.25): on this image the branches are not small" in text


def test_describe_cosines_median_and_missing():
    text = describe_cosines({"resnet20": [_rec(1, 0.9), _rec(1, None), _rec(1, 0.7), _rec(1, 0.8)],
                             "plain20": [_rec(1, None)]})
    assert text.startswith("Median cosine similarity between a block's input and its output: ResNet-20 0.80, "
                           "Plain-20 nan.")


def test_first_map_label_cases():
    assert first_map_label(True, True, False, False) == "x: shape changes, not shown"
    assert first_map_label(True, True, True, True) == "shortcut(x): a zero-padded channel"
    assert first_map_label(True, True, True, False) == "shortcut(x)"
    assert first_map_label(False, True, True, False) == "x, subsampled to match"
    assert first_map_label(True, False, True, False) == "x"
    assert first_map_label(False, False, True, True) == "x (input)"


def test_three_maps_title():
    assert three_maps_title("resnet20", "layer2.0", 3, True) == "ResNet-20 layer2.0, channel 3: H(x) = ReLU(F(x) + x)"
    assert three_maps_title("plain20", "layer2.0", 3, False) == \
        "Plain-20 layer2.0, channel 3: H(x) = ReLU(F(x)), no shortcut"
