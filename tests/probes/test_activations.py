"""Activation capture and residual-block anatomy, on known tensors and on shared models."""

from __future__ import annotations

import json
import threading

import pytest
import torch

from resnet_viz.models.registry import build_model
from resnet_viz.probes.activations import block_anatomy, capture, residual_blocks
from tests.conftest import run_cli


def _hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_capture_returns_only_the_requested_layers_and_leaves_no_hooks():
    torch.manual_seed(0)
    m = build_model("resnet20").eval()
    x = torch.randn(2, 3, 32, 32)
    acts, logits = capture(m, x, ["layer1.0", "layer3"])
    assert set(acts) == {"layer1.0", "layer3"}
    assert acts["layer1.0"].shape == (2, 16, 32, 32) and acts["layer3"].shape == (2, 64, 8, 8)
    assert torch.allclose(logits, m(x)) and _hooks(m) == 0
    with pytest.raises(KeyError, match="no layer named 'layer9'"):
        capture(m, x, ["layer9"])


def test_anatomy_on_known_tensors_zero_residual_blocks_are_identity():
    m = build_model("resnet20", init="zero-residual").eval()
    x = torch.randn(3, 3, 32, 32)
    recs, tensors = block_anatomy(m, x, keep=True)
    assert [r.name for r in recs] == [n for n, _ in residual_blocks(m)] and len(recs) == 9
    for r in recs:
        assert r.residual_ratio == pytest.approx(0.0, abs=1e-6)  # F(x) = 0 at zero-residual init
    first = tensors["layer1.0"]
    assert torch.equal(first["h"], torch.relu(first["f"] + first["s"]))
    assert recs[3].downsampling and recs[3].name == "layer2.0" and not recs[4].downsampling
    # non-downsampling blocks pass a non-negative input through unchanged: cosine 1
    assert recs[1].cosine == pytest.approx(1.0, abs=1e-6)


def test_anatomy_of_plain_twin_and_torchvision_blocks():
    torch.manual_seed(0)
    plain = build_model("plain20").eval()
    recs, _ = block_anatomy(plain, torch.randn(2, 3, 32, 32))
    assert not any(r.skip for r in recs) and all(r.cosine is not None for r in recs)
    res18 = build_model("resnet18").eval()
    recs18, _ = block_anatomy(res18, torch.randn(1, 3, 64, 64))
    assert len(recs18) == 8 and recs18[2].downsampling and all(r.cosine is not None for r in recs18)
    p18, _ = block_anatomy(build_model("plain18").eval(), torch.randn(1, 3, 64, 64))
    assert p18[2].cosine is None  # no shortcut and the shape changes: nothing to compare


def test_trained_resnet_residual_branches_are_small(reference_dir, cifar_jpg):
    """With the reference ResNet-20 the median ||F(x)|| / ||x|| over blocks is < 1 on CIFAR-10 test images."""
    import statistics

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.models.weights import load_model

    lm = load_model("resnet20", "reference")
    ds = get_dataset(f"imagefolder:{cifar_jpg}", "test", transform=lm.transforms())
    x = torch.stack([ds[i][0] for i in range(0, 10000, 100)])  # 100 images, 10 per class
    recs, _ = block_anatomy(lm.model, x)
    median = statistics.median(r.residual_ratio for r in recs)
    assert median < 1, median  # measured here: 0.647


def test_eight_threads_on_one_model_match_serial_and_leave_no_hooks():
    torch.manual_seed(0)
    m = build_model("resnet20").eval()
    xs = [torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(i)) for i in range(8)]
    serial = [[r.residual_ratio for r in block_anatomy(m, x)[0]] for x in xs]
    out: list = [None] * 8

    def work(i):
        for _ in range(3):
            out[i] = [r.residual_ratio for r in block_anatomy(m, xs[i])[0]]
            m(xs[(i + 1) % 8])  # plain forwards from other threads must not disturb the captures

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == serial and _hooks(m) == 0


def test_cli_blocks_json(tmp_path):
    from PIL import Image
    from skimage.data import chelsea

    Image.fromarray(chelsea()).save(tmp_path / "cat.png")
    r = run_cli("blocks", str(tmp_path / "cat.png"), "--model", "resnet20", "--weights", "random", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["name"] for row in rows][:2] == ["layer1.0", "layer1.1"] and len(rows) == 9
    assert all({"name", "residual_ratio", "cosine"} <= set(row) for row in rows)


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_torchvision_blocks_record_f_before_the_in_place_addition(arch):
    """torchvision adds the identity to the BN output in place and applies an in-place ReLU: the
    captured F(x) must be the BN output as it was, so that H(x) = ReLU(F(x) + shortcut(x))."""
    torch.manual_seed(0)
    m = build_model(arch).eval()
    recs, t = block_anatomy(m, torch.randn(1, 3, 64, 64), keep=True)
    for name in ("layer1.0", "layer2.0", "layer2.1"):
        blk = t[name]
        assert torch.allclose(blk["h"], torch.relu(blk["f"] + blk["s"]), atol=1e-5), name
        assert not torch.allclose(blk["f"], blk["h"])
