"""The lesion study's sentences: the numbers picked off the errors and the ResNet/plain comparison."""

from __future__ import annotations

import math

from resnet_viz.lessons.lesion import (
    chance_error,
    chance_sentence,
    describe_lesions,
    lesion_job_caption,
    lesion_stats,
    measured_on,
    rise_text,
)
from resnet_viz.probes.lesion import BlockLesion, LesionResult


def _res(name: str, intact: float, errors: list[float | None], down: tuple[int, ...] = (), n: int = 500,
         **extra) -> LesionResult:
    blocks = [BlockLesion(name=f"layer{1 + i // 3}.{i % 3}", index=i, stage=1 + i // 3, downsampling=i in down,
                          error=e) for i, e in enumerate(errors)]
    return LesionResult(model=name, n_images=n, intact_error=intact, blocks=blocks, extra=extra)


def test_lesion_stats_median_and_worst_same_shape_removal():
    s = lesion_stats(_res("resnet20", 0.10, [0.11, 0.13, 0.60, None, 0.12], down=(2,)))
    assert math.isclose(s["median_rise"], 0.02) and math.isclose(s["max_rise"], 0.03)  # 0.60 is downsampling
    assert s["max_block"] == "layer1.1" and s["n_removable"] == 3
    assert [n for n, _ in s["downsampling"]] == ["layer1.2"] and math.isclose(s["downsampling"][0][1], 0.5)
    assert s["not_removable"] == ["layer2.0"]


def test_lesion_stats_nothing_removable():
    s = lesion_stats(_res("plain20", 0.1, [None, None]))
    assert s["n_removable"] == 0 and math.isnan(s["median_rise"]) and s["max_block"] == ""


def test_rise_text_direction():
    assert rise_text(0.012) == "raises its error by a median 1.2 points"
    assert rise_text(-0.005) == "lowers its error by a median 0.5 points"


def test_resnet_barely_hurt_plain_net_broken():
    res = _res("resnet20", 0.08, [0.09, 0.10, 0.30, 0.09], down=(2,))
    plain = _res("plain20", 0.10, [0.85, 0.80, 0.90, 0.88], down=(2,))
    text = describe_lesions(plain, res)
    assert text.startswith("Removing one block of the ResNet (resnet20, 8.0 % error intact) raises its error by a "
                           "median 1.0 points (most at layer1.1: 10.0 % error); without a downsampling block its "
                           "error is 30.0 % (layer1.2).")
    assert "Removing one block of the plain net (plain20, 10.0 % error intact) raises its error by a median 75.0 " \
           "points (most at layer2.0: 88.0 % error)." in text
    assert "A removal costs the ResNet 75x fewer points than its plain twin (median 1.0 vs 75.0 points); the plain " \
           "net ends at a median 85.0 % error (chance is 90.0 %)" in text
    assert "a ResNet with 4 blocks has 2^4 paths" in text


def test_resnet_rise_within_two_images_is_almost_nothing():
    res = _res("resnet20", 0.08, [0.082, 0.08], n=500)  # median rise 0.1 points < 2 images of 500
    text = describe_lesions(_res("plain20", 0.1, [0.5, 0.6], n=500), res)
    assert "A removal costs the ResNet almost nothing, far less than its plain twin" in text


def test_tie_and_reverse():
    same = describe_lesions(_res("plain20", 0.1, [0.2, 0.2]), _res("resnet20", 0.1, [0.201, 0.2]))
    assert "Here a removal hurts the two nets about equally (median 10.1 vs 10.0 points)" in same
    rev = describe_lesions(_res("plain20", 0.1, [0.12]), _res("resnet20", 0.1, [0.4]))
    assert "Here a removal hurts the ResNet more than the plain net (median 30.0 vs 2.0 points)" in rev


def test_a_missing_net_gives_only_the_other_ones_sentence():
    text = describe_lesions(None, _res("resnet20", 0.1, [0.15]), n_classes=100)
    assert text == "Removing one block of the ResNet (resnet20, 10.0 % error intact) raises its error by a median " \
                   "5.0 points (most at layer1.0: 15.0 % error)."
    assert describe_lesions(None, None) == ""


def test_chance_and_captions():
    assert chance_error(10) == 90.0 and chance_error(4) == 75.0
    assert chance_sentence(100) == "Chance for 100 classes is 99 % error."
    assert lesion_job_caption(256).startswith("Each net is evaluated once per removable block on 256 class-balanced")
    assert measured_on(_res("r", 0.1, [0.1], n=200, data="CIFAR-10", seed=4)) == \
        "Measured on 200 class-balanced test images of CIFAR-10 (seed 4)."
    assert measured_on(_res("r", 0.1, [0.1])) == "Measured on 500 class-balanced test images of ? (seed 0)."
