"""The shattered-gradients sentences: correlation lengths and the plain/ResNet verdict."""

from __future__ import annotations

import math

import pytest

from resnet_viz.lessons.shattered import describe_shattering, fmt_corr, fmt_length, line_spinner, shipped_caption


def _row(depth: int, skip: bool, lag1: float, length: float = 3.0, **kw) -> dict:
    return {"depth": depth, "skip": skip, "model": f"{'resnet' if skip else 'plain'}{depth}", "lag1": lag1,
            "corr_length": length, "corr_length_min": length, "corr_length_max": length, "seeds": 3,
            "weights": "init", "n": 256, **kw}


@pytest.mark.parametrize("row, text", [
    (_row(20, True, 0.9, 0.4), "under one step"),
    (_row(20, True, 0.9, 4.04), "4.0 steps"),
    (_row(20, True, 0.9, 12.6), "13 steps"),
    (_row(20, True, 0.9, math.inf), "undefined"),
    (_row(20, True, 0.9, 128.0, corr_length_lower_bound=True), "more than 128 steps"),
    (_row(20, True, 0.9, 6.0, corr_length_lower_bound=True, corr_length_min=4.0, corr_length_max=8.0),
     "at least 6.0 steps"),
])
def test_fmt_length(row, text):
    assert fmt_length(row) == text


def test_fmt_corr_never_says_minus_zero():
    assert fmt_corr(-0.001) == "0.00" and fmt_corr(0.456) == "0.46" and fmt_corr(-0.3) == "-0.30"


def test_plain_clearly_less_correlated_and_falling_faster_with_depth():
    rows = [_row(20, False, 0.7, 2.0), _row(20, True, 0.95, 20.0), _row(56, False, 0.05, 0.5),
            _row(56, True, 0.9, 15.0)]
    text = describe_shattering(rows)
    assert text.startswith("At 20 layers, gradients at neighbouring points of the line correlate 0.95 in the ResNet "
                           "and 0.70 in the plain net; the correlation length (the lag at which the correlation drops "
                           "below 1/e) is 20 steps in the ResNet and 2.0 steps in the plain net.")
    assert "At 56 layers: 0.90 vs 0.05, correlation length 15 steps vs under one step." in text
    assert ("The plain net's gradients are clearly less correlated than the ResNet's at every depth measured, and "
            "lose correlation faster with depth (from 20 to 56 layers: plain 0.70 to 0.05, ResNet 0.95 to "
            "0.90).") in text
    assert "At 56 layers the plain net's gradient is shattered" in text  # |0.05| < 0.1, the ResNet's is not
    assert "At 20 layers the plain net's gradient is shattered" not in text
    assert text.endswith("Numbers at initialisation, averaged over 3 random seeds, on a line of 256 points.")


def test_about_the_same_within_the_gap():
    text = describe_shattering([_row(20, False, 0.90, weights="trained"), _row(20, True, 0.93, weights="trained")])
    assert "about as correlated as the ResNet's (within 0.05): these numbers do not show shattered gradients." in text
    assert "clearly" not in text
    assert text.endswith("Numbers for trained weights, on a line of 256 points.")


def test_mixed_depths_and_the_plain_net_the_more_correlated():
    rows = [_row(20, False, 0.95), _row(20, True, 0.7), _row(56, False, 0.3), _row(56, True, 0.8),
            _row(110, False, 0.5), _row(110, True, 0.52)]
    text = describe_shattering(rows)
    assert "clearly less correlated than the ResNet's at 56 layers only." in text
    assert "At 20 layers the plain net's gradients are the more correlated." in text
    assert "at every depth" not in text


def test_one_seed_is_singular():
    text = describe_shattering([_row(20, False, 0.2, seeds=1), _row(20, True, 0.9, seeds=1)])
    assert text.endswith("Numbers at initialisation, averaged over 1 random seed, on a line of 256 points.")
    assert "clearly less correlated than the ResNet's." in text  # one depth: no "at every depth measured"


def test_no_twins_to_compare():
    assert describe_shattering([_row(20, False, 0.5), _row(56, True, 0.9)]) == "No plain/ResNet twins to compare."


def test_small_captions():
    assert line_spinner(64).startswith("Input gradients of both nets at 64 points")
    assert shipped_caption({"provenance": {"command": "resnet-viz shattered", "date": "2024-05-01"}}) == \
        "Shipped with the app: `resnet-viz shattered` (2024-05-01)."
    assert shipped_caption({}) == "Shipped with the app: `?` (?)."
