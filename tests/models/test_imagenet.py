"""ImageNet ResNets and their plain twins: same parameter names, no addition in the plain block."""

from __future__ import annotations

import pytest
import torch

from resnet_viz.models.imagenet import PlainBasicBlock, PlainBottleneck, imagenet_resnet
from resnet_viz.models.registry import build_model, count_params


@pytest.mark.parametrize("depth", [18, 50])
def test_plain_twin_has_the_resnets_parameter_names_without_projections(depth):
    with torch.device("meta"):
        res, plain = imagenet_resnet(depth), imagenet_resnet(depth, skip=False)
    res_keys = {k for k in res.state_dict() if ".downsample." not in k}
    assert set(plain.state_dict()) == res_keys
    assert any(".downsample." in k for k in res.state_dict())
    for name, p in plain.named_parameters():
        assert p.shape == res.get_parameter(name).shape
    assert type(plain.layer4[-1]) is (PlainBasicBlock if depth == 18 else PlainBottleneck)
    assert all(b.downsample is None for b in plain.modules() if isinstance(b, (PlainBasicBlock, PlainBottleneck)))


def test_zero_init_residual_is_accepted_by_the_plain_twin():
    with torch.device("meta"):
        plain = imagenet_resnet(18, skip=False, zero_init_residual=True, num_classes=7)
    assert plain.fc.out_features == 7


def test_unknown_depth_is_refused():
    with pytest.raises(ValueError, match="must be one of \\[18, 34, 50, 101, 152\\], got 20"):
        imagenet_resnet(20)


@pytest.mark.parametrize("depth, stage", [(18, "layer1"), (50, "layer1")])
def test_plain_block_has_no_addition(depth, stage):
    """The same weights in a ResNet block and a plain block: outputs differ by exactly the skip."""
    torch.manual_seed(0)
    res, plain = imagenet_resnet(depth).eval(), imagenet_resnet(depth, skip=False).eval()
    plain.load_state_dict({k: v for k, v in res.state_dict().items() if ".downsample." not in k})
    rb, pb = getattr(res, stage)[1], getattr(plain, stage)[1]  # same shape in and out: identity shortcut
    c = rb.conv1.in_channels
    x = torch.randn(2, c, 8, 8)
    with torch.no_grad():
        out_res, out_plain = rb(x), pb(x)
        # F(x): the residual branch, layer by layer (the same modules in both blocks)
        f = rb.bn2(rb.conv2(rb.relu(rb.bn1(rb.conv1(x)))))
        if depth == 50:
            f = rb.bn3(rb.conv3(rb.relu(f)))
    assert not torch.allclose(out_res, out_plain, atol=1e-4)
    torch.testing.assert_close(out_plain, torch.relu(f))  # plain: H(x) = ReLU(F(x))
    torch.testing.assert_close(out_res, torch.relu(f + x))  # ResNet: H(x) = ReLU(F(x) + x)


def test_whole_plain_twin_runs_and_differs_from_the_resnet():
    torch.manual_seed(0)
    res, plain = imagenet_resnet(18, num_classes=10).eval(), imagenet_resnet(18, skip=False, num_classes=10).eval()
    plain.load_state_dict({k: v for k, v in res.state_dict().items() if ".downsample." not in k})
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        a, b = res(x), plain(x)
    assert a.shape == b.shape == (2, 10) and not torch.allclose(a, b)


# torchvision's published counts (DESIGN.md section 3)
IMAGENET_PARAMS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


@pytest.mark.parametrize("depth,params", IMAGENET_PARAMS.items())
def test_imagenet_param_counts_match_torchvision(depth, params):
    import torchvision

    assert count_params(f"resnet{depth}") == params
    with torch.device("meta"):
        tv = getattr(torchvision.models, f"resnet{depth}")()
    assert count_params(tv) == params
    # the plain twin drops exactly the projection shortcuts
    with torch.device("meta"):
        res = build_model(f"resnet{depth}")
    proj = sum(p.numel() for n, p in res.named_parameters() if ".downsample." in n)
    assert count_params(f"plain{depth}") == params - proj


@pytest.mark.parametrize("depth", [18, 50])
def test_imagenet_twins_share_names_and_shapes(depth):
    with torch.device("meta"):
        res, plain = build_model(f"resnet{depth}"), build_model(f"plain{depth}")
    res_sd, plain_sd = res.state_dict(), plain.state_dict()
    assert {k for k in res_sd if ".downsample." not in k} == set(plain_sd)
    assert all(res_sd[k].shape == plain_sd[k].shape for k in plain_sd)
    assert type(res.layer4[-1]).__name__ in ("BasicBlock", "Bottleneck")


def test_zoo_builds_and_runs_small():
    m = build_model("googlenet", num_classes=7).eval()
    with torch.no_grad():
        assert m(torch.randn(1, 3, 64, 64)).shape == (1, 7)
