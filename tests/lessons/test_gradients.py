"""The gradient page's sentences: ratios, trends, twins, the depth sweep, block outputs and logged norms."""

from __future__ import annotations

import math

import pytest

from resnet_viz.lessons.gradients import (
    describe_block_gradients,
    describe_logged_norms,
    describe_short_run,
    describe_sweep,
    describe_twins,
    flow_reading_guide,
    fmt_factor,
    fmt_ratio,
    spread,
    sweep_table,
    trend,
)
from resnet_viz.probes.gradients import BlockRecord, GradientFlow, LayerRecord


def _flow(name: str, norms: list[float], blocks: list[float] | None = None, *, loss: float = 2.3,
          finite: bool = True) -> GradientFlow:
    layers = [LayerRecord(name=f"c{i}", index=i, kind="conv", params=10, grad_norm=g, weight_norm=1.0, act_rms=1.0)
              for i, g in enumerate(norms)]
    layers.append(LayerRecord(name="fc", index=len(norms), kind="linear", params=10, grad_norm=1e6, weight_norm=1.0,
                              act_rms=1.0))  # not a conv: left out of the spread
    bl = [BlockRecord(name=f"b{i}", index=i, grad_norm=g, out_rms=1.0) for i, g in enumerate(blocks or [])]
    return GradientFlow(model=name, layers=layers, blocks=bl, loss=loss, logit_std=123.0,
                        first_last_ratio=norms[0] / norms[-1] if norms[-1] else float("nan"), finite=finite)


@pytest.mark.parametrize("r, text", [(1234.4, "1,234x"), (12.3, "12x"), (0.5, "0.50x"), (0.01234, "0.012x"),
                                     (float("nan"), "a non-finite multiple of"), (float("inf"), "a non-finite "
                                                                                                "multiple of")])
def test_fmt_ratio(r, text):
    assert fmt_ratio(r) == text


@pytest.mark.parametrize("r, text", [(100, "explodes towards the input"), (5, "grows moderately towards the input"),
                                     (1.0, "nearly flat"), (1 / 3, "shrinks towards the input"),
                                     (0.05, "shrinks towards the input"), (0.01, "vanishes towards the input"),
                                     (1e-9, "vanishes towards the input"), (float("nan"), "non-finite")])
def test_trend_thresholds(r, text):
    assert trend(r) == text


def test_fmt_factor_and_spread():
    assert fmt_factor(12345.6) == "12,346" and fmt_factor(3.14159) == "3.14"
    assert spread(_flow("plain20", [0.5, 0.0, 2.0])) == 4.0  # zero norms and the linear layer are ignored
    assert math.isnan(spread(_flow("plain20", [0.0])))  # no conv gradient: nothing to compare


def test_describe_twins_vanishing_plain_flat_resnet():
    text = describe_twins(_flow("plain56", [1e-4, 1e-2, 1.0]), _flow("resnet56", [1.5, 1.2, 1.0]))
    assert text.startswith("The first conv layer of Plain-56 receives 0.0001x the weight gradient of its last conv "
                           "layer: the gradient vanishes towards the input.")
    assert "In ResNet-56 the ratio is 1.50x (nearly flat)." in text
    assert "spans a factor 10,000 in Plain-56 and 1.5 in ResNet-56." in text
    assert "blows up" not in text and "non-finite" not in text


def test_describe_twins_exploding_forward_pass_and_overflow_are_said():
    text = describe_twins(_flow("plain110", [500.0, 1.0], loss=1e4), _flow("resnet110", [2.0, 1.0], finite=False))
    assert "the gradient explodes towards the input" in text
    assert "But Plain-110's forward pass blows up: its logits have a standard deviation of 123 and the loss is 1e+04" \
        in text
    assert "ResNet-110 produced non-finite values (overflow)" in text


SWEEP = [
    {"depth": 20, "model": "plain20", "skip": False, "ratio": 0.2, "min": 0.1, "max": 0.3, "seeds": 3},
    {"depth": 20, "model": "resnet20", "skip": True, "ratio": 1.1, "min": 0.9, "max": 1.3, "seeds": 3},
    {"depth": 110, "model": "plain110", "skip": False, "ratio": 2e-4, "min": 1e-4, "max": 5e-4, "seeds": 3},
    {"depth": 110, "model": "resnet110", "skip": True, "ratio": 1.4, "min": 1.2, "max": 1.6, "seeds": 3},
]


def test_describe_sweep_reads_the_shallowest_and_deepest_rows():
    text = describe_sweep(SWEEP)
    assert text.startswith("From 20 to 110 layers the plain net's first/last ratio goes from 0.20x to 0.0002x "
                           "(at 110 layers the gradient vanishes towards the input); the ResNet's from 1.10x to "
                           "1.40x (nearly flat).")
    assert "geometric mean over 3 random initialisations" in text


def test_sweep_table_one_row_per_depth():
    table = sweep_table(list(reversed(SWEEP)))
    assert [r["depth"] for r in table] == [20, 110]
    assert table[1] == {"depth": 110, "plain ratio": 2e-4, "plain min-max": "0.0001 - 0.0005", "ResNet ratio": 1.4,
                        "ResNet min-max": "1.2 - 1.6"}


def test_describe_block_gradients_which_net_stays_closer_to_constant():
    plain, res = _flow("plain20", [1.0], [1e-3, 1e-2, 1.0]), _flow("resnet20", [1.0], [2.0, 1.5, 1.0])
    text = describe_block_gradients(plain, res)
    assert "changes by 0.001x in Plain-20 and by 2.00x in ResNet-20: the ResNet's backward signal stays closer" in text
    # the other way round the sentence says so
    text = describe_block_gradients(_flow("plain20", [1.0], [1.1, 1.0]), _flow("resnet20", [1.0], [50.0, 1.0]))
    assert "here the ResNet's backward signal changes more than the plain net's" in text


def test_describe_block_gradients_nothing_to_compare():
    assert describe_block_gradients(_flow("plain20", [1.0]), _flow("resnet20", [1.0], [1.0])) is None
    assert describe_block_gradients(_flow("plain20", [1.0], [1.0, 0.0]), _flow("resnet20", [1.0], [1.0, 1.0])) is None


def test_describe_block_gradients_vanished_stem_gradient():
    """A stem gradient that underflowed to 0 has vanished entirely: the ResNet's flat signal is the closer one."""
    text = describe_block_gradients(_flow("plain20", [1.0], [0.0, 1.0]), _flow("resnet20", [1.0], [1.0, 1.0]))
    assert "the ResNet's backward signal stays closer to constant" in text


def test_reading_guide_and_logged_norms():
    guide = flow_reading_guide("bn", "Kaiming", 64, "random noise", 7)
    assert guide.endswith("Settings: BN normalisation, Kaiming initialisation, 64 images of random noise, seed 7; "
                          "BatchNorm uses batch statistics (train mode), as during training.")
    assert "Settings: no normalisation" in flow_reading_guide("none", "Kaiming", 64, "noise", 0)
    trajs = {"resnet20": {"norms": [[1.0, 3.0], [0.1, 0.3]], "steps": [1, 1500], "loss": [2.3, 2.0, 0.5]},
             "plain20": {"norms": [[4.0]], "steps": [1], "loss": [2.4, 2.4, 2.2]}}
    assert describe_logged_norms(trajs) == ("ResNet-20: the mean layer gradient norm goes from 2 at step 1 to 0.2 at "
                                            "step 1,500. Plain-20: the mean layer gradient norm goes from 4 at step 1 "
                                            "to 4 at step 1.")
    assert describe_short_run(trajs, "plain20", "resnet20") == (
        "After 3 steps the training loss of Plain-20 went from 2.4 to 2.2, that of ResNet-20 from 2.3 to 0.5.")
