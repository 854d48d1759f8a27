"""Shattered-gradients probe: exact answers on a linear map, per-input gradients, safety on a shared
model, and the paper's effect at initialisation (plain-56 vs ResNet-56)."""

from __future__ import annotations

import json
import math
import threading

import pytest
import torch
from torch import nn

from resnet_viz.lessons import shattered as LS
from resnet_viz.probes import shattered as S
from resnet_viz.probes.gradients import build_at_init


def _line(n: int = 32, seed: int = 0) -> torch.Tensor:
    a, b = S.noise_endpoints(32, seed=seed)
    return S.line_inputs(a, b, n)  # (n, 3, 32, 32)


def _state(model: nn.Module) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_line_inputs_shapes_and_ends():
    a, b = torch.zeros(3, 4, 5), torch.ones(1, 3, 4, 5)
    xs = S.line_inputs(a, b, 5)
    assert xs.shape == (5, 3, 4, 5)
    assert torch.equal(xs[0], a) and torch.equal(xs[-1], b[0])
    assert torch.allclose(xs[:, 0, 0, 0], torch.tensor([0, 0.25, 0.5, 0.75, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        S.line_inputs(a, torch.ones(3, 4, 4), 5)
    with pytest.raises(ValueError, match="at least 2"):
        S.line_inputs(a, b, 1)


def test_linear_map_has_constant_gradient_and_an_infinite_correlation_length():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))
    xs = _line(40)
    res = S.line_gradients(model, xs, target=3)
    assert res.target == 3 and res.bn == "none"
    assert all(c == pytest.approx(1.0, abs=1e-9) for c in res.corr)
    assert len(res.corr) == 40 // 2 + 1 and res.lag1 == pytest.approx(1.0)
    assert math.isinf(res.correlation_length) and math.isinf(res.correlation_length_t)
    w = model[1].weight[3].detach()
    assert torch.allclose(res.grads.reshape(40, -1), w.expand(40, -1))
    # f is linear in t: its slope df/dt is g . (b - a), and one step moves f by exactly slope * step
    steps = torch.tensor(res.output).diff()
    assert torch.allclose(steps, torch.tensor(res.dfdt[:-1]) * res.step, atol=1e-4)
    assert res.coord_grad == pytest.approx([float(w.view(3, 32, 32)[0, 16, 16])] * 40)
    assert json.loads(json.dumps(res.to_json(), allow_nan=False))["correlation_length"] is None


def test_correlation_length_interpolates_and_handles_edge_cases():
    assert S.correlation_length([1.0, 0.5, 0.2]) == pytest.approx(1 + (0.5 - S.INV_E) / 0.3)
    assert S.correlation_length([1.0, 0.0]) == pytest.approx(1 - S.INV_E)
    assert math.isinf(S.correlation_length([1.0, 0.9, 0.8]))
    assert S.correlation_length([1.0, math.nan, 0.2]) == pytest.approx(2 * (1 - S.INV_E) / 0.8)
    # a zero gradient has no correlation: left out, not a crash
    g = torch.randn(6, 3, 2, 2)
    g[2] = 0
    corr = S.gradient_autocorrelation(g)
    assert corr[0] == pytest.approx(1.0) and all(math.isfinite(c) for c in corr)


def test_gradients_are_per_input_the_same_alone_or_in_any_batch():
    model = build_at_init("resnet20", seed=0)
    xs = _line(24)
    full = S.line_gradients(model, xs, chunk=64)
    assert full.bn == "calibrated"  # a fresh model's BatchNorm is set on the line, then run in eval mode
    ones = S.line_gradients(model, xs, chunk=1, target=full.target)
    sevens = S.line_gradients(model, xs, chunk=7, target=full.target)
    assert torch.allclose(full.grads, ones.grads, rtol=1e-4, atol=1e-6)
    assert torch.allclose(full.grads, sevens.grads, rtol=1e-4, atol=1e-6)
    # one point on its own, with the same BatchNorm calibration, gets the same gradient
    alone = S.line_gradients(model, xs[5:7], target=full.target, calibration=xs)
    assert torch.allclose(alone.grads[0], full.grads[5], rtol=1e-4, atol=1e-6)


def test_shapes_and_json_round_trip():
    res = S.line_gradients(build_at_init("plain20", seed=1), _line(16), coord=(2, 3, 4), name="plain20")
    assert res.grads.shape == (16, 3, 32, 32) and res.n == 16
    for curve in (res.t, res.output, res.dfdt, res.coord_grad, res.grad_norm):
        assert len(curve) == 16
    assert res.t[0] == 0 and res.t[-1] == 1 and len(res.corr) == 9 and res.corr[0] == pytest.approx(1.0)
    assert res.coord_grad == pytest.approx(res.grads[:, 2, 3, 4].tolist())
    d = json.loads(json.dumps(res.to_json(), allow_nan=False))
    back = S.LineGradients.from_json(d)
    assert back.grads is None and back.corr == pytest.approx(res.corr) and back.coord == (2, 3, 4)
    assert back.correlation_length == pytest.approx(res.correlation_length)
    sim = S.gradient_similarity(res.grads)
    assert sim.shape == (16, 16) and torch.allclose(sim.diagonal(), torch.ones(16), atol=1e-5)
    assert torch.diagonal(sim, 1).double().mean() == pytest.approx(res.lag1, abs=1e-5)


def test_the_given_model_is_never_modified():
    model = build_at_init("resnet20", seed=0)
    model.train()
    model.layer1[0].conv1.weight.requires_grad_(False)
    before = _state(model)
    flags = [p.requires_grad for p in model.parameters()]
    S.line_gradients(model, _line(8), bn="calibrate")
    S.line_gradients(model, _line(8), bn="eval")
    assert model.training and all(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert S.bn_untouched(model)  # its running statistics were never set
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks


def test_threads_on_one_shared_model_get_the_serial_result():
    model = build_at_init("resnet20", seed=2).eval()
    xs = _line(8)
    serial = S.line_gradients(model, xs, bn="eval", target=1)
    results: list = [None] * 4

    def work(i: int) -> None:
        results[i] = S.line_gradients(model, xs, bn="eval", target=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(torch.equal(r.grads, serial.grads) for r in results)


def test_deterministic_per_seed():
    one = S.depth_study([20], seeds=(3,), n=16, line="noise")
    two = S.depth_study([20], seeds=(3,), n=16, line="noise")
    assert one == two
    other = S.depth_study([20], seeds=(4,), n=16, line="noise")
    assert other[0]["lag1"] != one[0]["lag1"]


@pytest.fixture(scope="module")
def rows56():
    return S.depth_study([56], seeds=(0, 1), n=48, line="noise")


def test_at_init_plain56_shatters_and_resnet56_does_not(rows56):
    plain, res = (next(r for r in rows56 if r["skip"] is skip) for skip in (False, True))
    assert (plain["model"], res["model"]) == ("plain56", "resnet56")
    # measured: plain-56 ~0.0 at every seed, ResNet-56 ~0.6 at this step (1/47 of the line)
    assert plain["lag1_max"] < 0.2 < 0.4 < res["lag1_min"]
    assert plain["corr_length"] < 1 < res["corr_length"]
    text = LS.describe_shattering(rows56)
    assert f"{LS.fmt_corr(res['lag1'])} in the ResNet and {LS.fmt_corr(plain['lag1'])} in the plain net" in text
    assert "clearly less correlated" in text and "white noise" in text
    assert {"model", "depth", "skip", "lag1", "corr_length", "corr_length_t", "corr_length_lower_bound", "corr",
            "per_seed", "seeds", "n"} <= set(plain)
    assert plain["depth"] == 56 and plain["seeds"] == 2 and len(plain["corr"]) == 48 // 2 + 1
    assert json.dumps(S.rows_to_json(rows56), allow_nan=False)


def test_trained_twins_are_probed_in_eval_mode_without_touching_the_shared_model():
    from resnet_viz.models.weights import WeightsUnavailable, load_model

    try:
        loaded = {arch: load_model(arch, "shipped") for arch in ("plain20", "resnet20")}
    except WeightsUnavailable as e:
        pytest.skip(str(e))
    before = {arch: _state(lm.model) for arch, lm in loaded.items()}
    rows = S.trained_study(("plain20", "resnet20"), n=16, models=loaded)
    assert [(r["model"], r["skip"], r["depth"]) for r in rows] == [("plain20", False, 20), ("resnet20", True, 20)]
    assert all(-1 <= r["lag1"] <= 1 and r["weights"] != "init" for r in rows)
    assert "trained weights" in LS.describe_shattering(rows)
    for arch, lm in loaded.items():
        assert not lm.model.training
        assert all(torch.equal(v, lm.model.state_dict()[k]) for k, v in before[arch].items())


def test_describe_shattering_says_so_when_the_numbers_show_no_difference():
    base = {"depth": 20, "n": 256, "seeds": 1, "weights": "trained", "corr_length_lower_bound": False,
            "corr_length_min": 70.0, "corr_length_max": 80.0}
    rows = [{**base, "model": "plain20", "skip": False, "lag1": 0.994, "corr_length": 78.0},
            {**base, "model": "resnet20", "skip": True, "lag1": 0.993, "corr_length": 71.0}]
    text = LS.describe_shattering(rows)
    assert "do not show shattered gradients" in text and "white noise" not in text
    assert "0.99 in the ResNet and 0.99 in the plain net" in text and "trained weights" in text
