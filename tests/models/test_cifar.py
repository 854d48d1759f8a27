"""The paper's CIFAR ResNets and plain twins: parameter counts, shortcuts, initialisation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from resnet_viz.models.cifar import BasicBlock, PadShortcut
from resnet_viz.models.registry import (
    build_model,
    count_params,
    weight_layers,
)

# He et al. 2015 / DESIGN.md section 3
CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962, 1202: 19_421_274}


@pytest.mark.parametrize("depth,params", CIFAR_PARAMS.items())
def test_cifar_param_counts_match_paper_and_twins_are_equal(depth, params):
    assert count_params(f"resnet{depth}") == params
    assert count_params(f"plain{depth}") == params


def test_cifar_twins_have_identical_state_dict_layout():
    res, plain = build_model("resnet20"), build_model("plain20")
    assert [(k, v.shape) for k, v in res.state_dict().items()] == [(k, v.shape) for k, v in plain.state_dict().items()]


def test_cifar_forward_shapes_and_stage_resolutions():
    model = build_model("resnet20").eval()
    x = torch.randn(2, 3, 32, 32)
    shapes = {}
    hooks = [getattr(model, n).register_forward_hook(lambda m, i, o, n=n: shapes.__setitem__(n, tuple(o.shape)))
             for n in ("layer1", "layer2", "layer3")]
    try:
        out = model(x)
    finally:
        for h in hooks:
            h.remove()
    assert out.shape == (2, 10)
    assert shapes == {"layer1": (2, 16, 32, 32), "layer2": (2, 32, 16, 16), "layer3": (2, 64, 8, 8)}


def test_option_a_shortcut_subsamples_and_pads_equally():
    sc = PadShortcut(16, 32, 2)
    x = torch.arange(2 * 16 * 4 * 4, dtype=torch.float32).reshape(2, 16, 4, 4)
    y = sc(x)
    assert y.shape == (2, 32, 2, 2)
    assert torch.equal(y[:, :8], torch.zeros(2, 8, 2, 2))
    assert torch.equal(y[:, 24:], torch.zeros(2, 8, 2, 2))
    assert torch.equal(y[:, 8:24], x[:, :, ::2, ::2])


def test_shortcut_options_parameters_and_shapes():
    a, b, c = (build_model("resnet20", shortcut=o) for o in "ABC")
    n_a, n_b, n_c = count_params(a), count_params(b), count_params(c)
    # B: 1x1 conv + BN in the two downsampling blocks: (16*32 + 2*32) + (32*64 + 2*64)
    assert n_b - n_a == (16 * 32 + 64) + (32 * 64 + 128)
    assert n_c > n_b
    assert isinstance(a.layer2[0].downsample, PadShortcut) and a.layer2[1].downsample is None
    assert isinstance(b.layer2[0].downsample, nn.Sequential) and b.layer2[1].downsample is None
    assert isinstance(c.layer2[1].downsample, nn.Sequential)
    x = torch.randn(2, 3, 32, 32)
    for m in (a, b, c):
        assert m.eval()(x).shape == (2, 10)
    # a plain twin has no shortcut whatever the option
    assert count_params(build_model("plain20", shortcut="B")) == n_a


def test_plain_block_is_the_residual_block_without_the_addition():
    torch.manual_seed(0)
    res = BasicBlock(16, 16, skip=True).eval()
    plain = BasicBlock(16, 16, skip=False).eval()
    plain.load_state_dict(res.state_dict())
    x = torch.randn(2, 16, 8, 8)
    assert torch.allclose(res(x), torch.relu(res.residual(x) + x))
    assert torch.allclose(plain(x), torch.relu(res.residual(x)))


def test_zero_residual_init_makes_resnet_blocks_identity_and_leaves_plain_alone():
    res = build_model("resnet20", init="zero-residual").eval()
    x = torch.relu(torch.randn(2, 16, 32, 32))
    block = res.layer1[0]
    assert torch.equal(block.bn2.weight, torch.zeros(16))
    assert torch.allclose(block(x), x)  # relu(0 + x) = x for x >= 0
    plain = build_model("plain20", init="zero-residual")
    assert torch.all(plain.layer1[0].bn2.weight == 1)


def test_norm_none_and_init_options():
    m = build_model("resnet20", norm="none")
    assert not any(isinstance(x, nn.BatchNorm2d) for x in m.modules())
    assert count_params(m) == CIFAR_PARAMS[20] - sum(2 * c for c in [16] + [16] * 6 + [32] * 6 + [64] * 6)
    torch.manual_seed(0)
    k = build_model("plain20", init="kaiming").layer2[1].conv1.weight.std().item()
    torch.manual_seed(0)
    xv = build_model("plain20", init="xavier").layer2[1].conv1.weight.std().item()
    fan_in = 32 * 9
    assert k == pytest.approx((2 / fan_in) ** 0.5, rel=0.1)
    assert xv == pytest.approx((2 / (fan_in + fan_in)) ** 0.5, rel=0.1)
    with pytest.raises(ValueError, match="initialisation"):
        build_model("resnet20", init="orthogonal")
    with pytest.raises(ValueError, match="option"):
        build_model("resnet50", norm="none")


def test_main_path_depth_equals_weight_layer_count():
    for d in (20, 56):
        with torch.device("meta"):
            m = build_model(f"resnet{d}")
        assert len(weight_layers(m)) == d  # 6n+1 convs + fc; option A adds none
