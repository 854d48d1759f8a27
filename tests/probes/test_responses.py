"""Layer responses (paper Figure 7): the std of every 3x3 layer's output."""

from __future__ import annotations

import math

import torch

from resnet_viz.models.registry import build_model
from resnet_viz.probes._model import has_hooks
from resnet_viz.probes.responses import layer_responses, response_layers


def test_one_response_per_3x3_layer_finite_in_forward_order():
    torch.manual_seed(0)
    model = build_model("resnet20").eval()
    rows = layer_responses(model, torch.randn(4, 3, 32, 32), batch=3)  # two batches: running sums
    assert len(rows) == 19  # the stem + 2 per block x 9
    assert [r["name"] for r in rows[:3]] == ["bn1", "layer1.0.bn1", "layer1.0.bn2"]
    assert [r["index"] for r in rows] == list(range(19))
    assert all(math.isfinite(r["std"]) and r["std"] > 0 for r in rows)
    assert not has_hooks(model)


def test_std_is_over_all_values_of_the_response():
    torch.manual_seed(0)
    model = build_model("resnet20").eval()
    x = torch.randn(5, 3, 32, 32)
    captured = {}
    h = model.layer2[0].bn1.register_forward_hook(lambda m, i, o: captured.__setitem__("o", o.detach().clone()))
    with torch.no_grad():
        model(x)
    h.remove()
    rows = {r["name"]: r["std"] for r in layer_responses(model, x, batch=2)}  # batches of 2, 2 and 1
    expected = float(captured["o"].double().std(unbiased=False))  # images, channels and positions together
    assert math.isclose(rows["layer2.0.bn1"], expected, rel_tol=1e-6)


def test_training_mode_model_is_measured_on_a_copy():
    model = build_model("plain20").train()
    before = model.bn1.running_mean.clone()
    rows = layer_responses(model, torch.randn(2, 3, 32, 32) + 3)
    assert model.training and torch.equal(model.bn1.running_mean, before)  # statistics not updated
    assert len(rows) == 19


def test_response_layers_fall_back_to_the_conv_without_norm():
    layers = response_layers(build_model("resnet20", norm="none"))
    assert len(layers) == 19 and layers[0][0] == "conv1" and layers[1][0] == "layer1.0.conv1"
