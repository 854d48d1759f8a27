"""Gradient-flow probe: the numbers that tell the story, and safety on a shared model."""

from __future__ import annotations

import json
import threading

import pytest
import torch

from resnet_viz.lessons import gradients as LG
from resnet_viz.models.registry import build_model
from resnet_viz.probes import gradients as G
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def bn56():
    return G.twin_gradient_flow(["plain56", "resnet56"], batch=64, seed=0)


def test_with_batchnorm_plain56_explodes_resnet56_stays_nearly_flat(bn56):
    plain, res = bn56["plain56"], bn56["resnet56"]
    assert plain.first_last_ratio > 100
    assert res.first_last_ratio < 10
    assert LG.spread(plain) > 100 * LG.spread(res) / 10
    text = LG.describe_twins(plain, res)
    assert f"{LG.fmt_ratio(plain.first_last_ratio)} the weight gradient" in text and "explodes" in text
    assert "Plain-56" in text and "ResNet-56" in text


def test_without_normalisation_plain56_vanishes_on_average():
    rows = G.depth_sweep([56], seeds=3, batch=32, norm="none")
    plain = next(r for r in rows if not r["skip"])
    assert plain["ratio"] < 0.5, plain
    res = next(r for r in rows if r["skip"])
    assert res["min"] <= res["ratio"] <= res["max"]


def test_unnormalised_resnet_forward_blow_up_is_reported():
    flows = G.twin_gradient_flow(["plain56", "resnet56"], batch=32, norm="none")
    assert flows["resnet56"].loss > 1000 and flows["plain56"].loss < 5
    assert "forward pass blows up" in LG.describe_twins(flows["plain56"], flows["resnet56"])
    zero = G.twin_gradient_flow(["resnet56"], batch=32, norm="none", init="zero-residual")["resnet56"]
    assert zero.loss < 5  # residual branches that start at zero do not blow up


def test_records_are_tidy_and_in_forward_order(bn56):
    layers = bn56["resnet56"].layers
    assert [r.index for r in layers] == list(range(56))
    assert layers[0].name == "conv1" and layers[-1].name == "fc" and layers[-1].kind == "linear"
    assert layers[1].name == "layer1.0.conv1" and layers[0].params == 3 * 16 * 9
    assert all(r.grad_norm > 0 and r.act_rms > 0 for r in layers)
    convs = [r for r in layers if r.kind == "conv"]
    assert convs[-1].ratio_to_last == pytest.approx(1.0)
    blocks = bn56["plain56"].blocks
    assert [b.name for b in blocks[:2]] == ["stem", "layer1.0"] and len(blocks) == 28


def test_twins_receive_the_same_batch(monkeypatch):
    seen = []
    real = G.gradient_flow

    def spy(model, x, y, **kw):
        seen.append((x.clone(), y.clone()))
        return real(model, x, y, **kw)

    monkeypatch.setattr(G, "gradient_flow", spy)
    G.twin_gradient_flow(["plain20", "resnet20"], source="shapes", batch=8, seed=3)
    assert len(seen) == 2 and torch.equal(seen[0][0], seen[1][0]) and torch.equal(seen[0][1], seen[1][1])


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = G.twin_gradient_flow(["plain20"], batch=16, seed=5)["plain20"]
    b = G.twin_gradient_flow(["plain20"], batch=16, seed=5)["plain20"]
    c = G.twin_gradient_flow(["plain20"], batch=16, seed=6)["plain20"]
    assert [r.grad_norm for r in a.layers] == [r.grad_norm for r in b.layers]
    assert a.first_last_ratio != c.first_last_ratio


def _hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules())


def test_shared_model_is_left_untouched():
    torch.manual_seed(0)
    model = build_model("resnet20").eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = G.noise_batch(16, 32, 10, 0)
    gf = G.gradient_flow(model, x, y)
    assert gf.finite
    assert all(p.grad is None for p in model.parameters())
    assert _hooks(model) == 0 and not model.training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN running stats included


def test_eight_threads_on_one_model_match_the_serial_result():
    torch.manual_seed(0)
    model = build_model("plain20").eval()
    batches = [G.noise_batch(8, 32, 10, s) for s in range(8)]
    serial = [G.gradient_flow(model, x, y).first_last_ratio for x, y in batches]
    results: list = [None] * 8

    def work(i):
        results[i] = G.gradient_flow(model, *batches[i]).first_last_ratio

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == pytest.approx(serial, rel=1e-5)
    assert _hooks(model) == 0 and all(p.grad is None for p in model.parameters())


def test_imagenet_twins_and_sources():
    flows = G.twin_gradient_flow(["plain18", "resnet18"], batch=2, seed=0)
    res = flows["resnet18"]
    assert len(res.layers) == 21 and res.layers[-1].name == "fc"  # 17 main convs + 3 projections + fc
    assert len(flows["plain18"].layers) == 18
    assert [b.name for b in res.blocks][:2] == ["stem", "layer1.0"] and len(res.blocks) == 9
    x, y = G.make_batch("images", batch=5, size=32, num_classes=10, images=[_cat()])
    assert x.shape == (5, 3, 32, 32) and torch.equal(x[1], x[0].flip(-1))
    with pytest.raises(ValueError, match="unknown batch source"):
        G.make_batch("mnist", batch=2, size=32, num_classes=10)


def _cat():
    from PIL import Image
    from skimage.data import chelsea

    return Image.fromarray(chelsea())


def test_trajectory_records_every_step():
    tr = G.gradient_trajectory("resnet20", steps=3, batch=8)
    assert len(tr["norms"]) == 3 and len(tr["norms"][0]) == len(tr["layers"]) == 20
    assert all(v > 0 for v in tr["norms"][0]) and len(tr["loss"]) == 3


def test_cli_gradflow_json_shape():
    r = run_cli("gradflow", "--models", "plain20,resnet20", "--batch", "16", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"plain20", "resnet20"}
    for gf in out.values():
        assert gf["first_last_ratio"] > 0 and len(gf["layers"]) == 20
        assert {"name", "index", "grad_norm", "ratio_to_last", "act_rms"} <= set(gf["layers"][0])
        assert [layer["index"] for layer in gf["layers"]] == list(range(20))
    r = run_cli("gradflow", "--models", "plain20,resnet50")
    assert r.returncode == 2 and "share input size" in r.stderr
