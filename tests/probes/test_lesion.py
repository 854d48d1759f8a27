"""Lesion study (Veit et al. 2016): block removal, random deletions, reordering, the CLI."""

from __future__ import annotations

import json

import pytest
import torch

from resnet_viz.lessons.lesion import describe_lesions
from resnet_viz.models.registry import build_model
from resnet_viz.probes.lesion import (
    LesionResult,
    balanced_subset,
    block_table,
    error_of,
    forward_with,
    lesion_study,
    random_deletions,
    reorderings,
    single_block_lesions,
)
from tests.conftest import run_cli


def _model(name: str, seed: int = 0, **kw) -> torch.nn.Module:
    torch.manual_seed(seed)
    m = build_model(name, **kw)
    # give BatchNorm non-trivial statistics so eval-mode activations are not all the same scale
    with torch.no_grad():
        m.train()
        m(torch.randn(64, 3, 32, 32))
    return m.eval()


def _data(n: int = 40, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_removing_a_zero_residual_block_changes_nothing():
    m = build_model("resnet20", init="zero-residual").eval()  # every residual branch starts at F(x) = 0
    x, _ = _data(8)
    with torch.inference_mode():
        ref = m(x)
        for i in range(len(block_table(m))):
            assert torch.allclose(forward_with(m, x, removed=[i]), ref, atol=1e-6), i


def test_forward_with_nothing_removed_is_the_model():
    for name in ("resnet20", "plain20"):
        m = _model(name)
        x, _ = _data(8)
        with torch.inference_mode():
            assert torch.allclose(forward_with(m, x), m(x), atol=1e-6)
            assert torch.allclose(forward_with(m, x, order=list(range(9))), m(x), atol=1e-6)


def test_plain_downsampling_blocks_cannot_be_removed_and_others_become_identity():
    m = _model("plain20")
    table = block_table(m)
    assert [r["name"] for r in table if r["downsampling"]] == ["layer2.0", "layer3.0"]
    assert [r["removable"] for r in table] == [not r["downsampling"] for r in table]
    res_table = block_table(_model("resnet20"))
    assert all(r["removable"] for r in res_table)  # the shortcut carries the signal on
    x, y = _data()
    intact, rows = single_block_lesions(m, x, y, batch_size=16)
    assert [r.error is None for r in rows] == [r["downsampling"] for r in table]
    # a removed plain block passes its input on unchanged
    blocks = [b for n, b in m.named_modules() if n == "layer1.1"]
    with torch.inference_mode():
        h = m.relu(m.bn1(m.conv1(x[:4])))
        h = m.layer1[0](h)
        ref = m.fc(torch.flatten(m.avgpool(m.layer3(m.layer2(m.layer1[2](h)))), 1))
        assert blocks and torch.allclose(forward_with(m, x[:4], removed=[1]), ref, atol=1e-5)


@pytest.mark.parametrize("name", ["resnet20", "plain20"])
def test_shared_prefix_sweep_equals_one_forward_per_removal(name):
    m = _model(name, seed=1)
    x, y = _data(50, seed=1)
    intact, rows = single_block_lesions(m, x, y, batch_size=16)  # chunks of 16, 16, 16, 2
    assert intact == pytest.approx(error_of(m, x, y))
    for r in rows:
        if r.error is not None:
            assert r.error == pytest.approx(error_of(m, x, y, removed=[r.index], batch_size=50)), r.name


def test_the_model_is_left_untouched():
    m = _model("resnet20")
    before = {k: v.clone() for k, v in m.state_dict().items()}
    x, y = _data(20)
    lesion_study(m, x, y, random_draws=1, ks=[1, 3], swaps=[1])
    assert not m.training
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    assert all(p.grad is None for p in m.parameters())
    assert not any(mod._forward_hooks or mod._forward_pre_hooks for mod in m.modules())


def test_random_deletions_and_reorderings():
    m = _model("resnet20")
    x, y = _data(20)
    rows = random_deletions(m, x, y, draws=2, seed=3)
    assert [r["k"] for r in rows] == list(range(1, 8))  # 9 blocks, 2 downsampling ones kept
    assert all(len(r["errors"]) == 2 and 0 <= r["mean"] <= 1 for r in rows)
    assert rows == random_deletions(m, x, y, draws=2, seed=3)  # seeded
    swaps = reorderings(m, x, y, swaps=[1, 2, 99], draws=2)
    assert [r["swaps"] for r in swaps] == [1, 2]  # more swaps than distinct same-stage pairs are dropped
    assert all(all(k >= 2 for k in r["blocks_moved"]) for r in swaps)


def test_balanced_subset():
    targets = [i % 10 for i in range(1000)] + [0] * 50
    idx = balanced_subset(targets, 100, seed=0)
    counts = torch.bincount(torch.tensor([targets[i] for i in idx]), minlength=10)
    assert len(idx) == 100 and counts.tolist() == [10] * 10
    assert idx == sorted(idx) == balanced_subset(targets, 100, seed=0)
    assert idx != balanced_subset(targets, 100, seed=1)
    assert len(balanced_subset([0, 0, 1], 10)) == 3  # never more than there is


def test_json_round_trip_and_text():
    m = _model("resnet20")
    x, y = _data(20)
    res = lesion_study(m, x, y, name="resnet20")
    back = LesionResult.from_json(json.loads(json.dumps(res.to_json())))
    assert back == res
    text = describe_lesions(None, res)
    assert text.startswith("Removing one block of the ResNet (resnet20,") and "median" in text


def test_cli_lesion_json(reference_dir, cifar_jpg):
    r = run_cli("lesion", "--model", "resnet20", "--weights", "reference", "--data", f"imagefolder:{cifar_jpg}",
                "--limit", "200", "--json", "--quiet")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["n_images"] == 200 and 0.05 < out["intact_error"] < 0.35
    assert [b["name"] for b in out["blocks"]] == [f"layer{s}.{i}" for s in (1, 2, 3) for i in range(3)]
    assert [b["downsampling"] for b in out["blocks"]] == [False] * 3 + [True, False, False] * 2
    assert all(b["error"] is not None and 0 <= b["error"] <= 1 for b in out["blocks"])


def test_cli_lesion_errors_are_one_line():
    r = run_cli("lesion", "--model", "resnet20", "--weights", "random", "--data", "shapes", "--limit", "20")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["error: the data set has 5 classes but resnet20 predicts 10"]
