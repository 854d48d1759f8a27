"""The Feature maps page's sentences, read off activation arrays."""

from __future__ import annotations

import numpy as np

from resnet_viz.lessons.feature_maps import describe_layer, describe_stages


def test_describe_layer_shape_strongest_channel_and_positive_share():
    a = np.zeros((4, 2, 2), dtype=np.float32)
    a[2] = 1.0  # a quarter of the values above zero
    b = -np.ones((4, 2, 2), dtype=np.float32)
    b[0, 0, 0] = 3.0
    means = {"resnet20": a.mean((1, 2)), "plain20": b.mean((1, 2))}
    text = describe_layer("layer1.0", {"resnet20": a, "plain20": b}, means, 32)
    assert text == ("At layer1.0 each net has 4 channels of 2x2 (the input was 32x32 pixels). ResNet-20: strongest "
                    "channel #2 (mean 1.000); 25 % of its values are above zero (the ReLU zeroes the rest). Plain-20: "
                    "strongest channel #0 (mean 0.000); 6 % of its values are above zero (the ReLU zeroes the rest).")


def test_describe_stages():
    assert describe_stages((16, 32, 32), (64, 8, 8)).startswith(
        "From the stem to the last stage the maps shrink from 32x32 to 8x8 positions while the channels grow from 16 "
        "to 64:")
