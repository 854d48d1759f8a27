"""BatchNorm folding: the folded copy computes what conv + BatchNorm computed, in eval mode."""

from __future__ import annotations

import torch
from torch import nn

from resnet_viz.models.registry import build_model
from resnet_viz.probes._model import private_copy
from resnet_viz.probes.folding import conv_bn_pairs, fold_batchnorm


def _trained_looking(name: str) -> nn.Module:
    """A model whose BatchNorms have non-trivial running statistics and affine parameters."""
    torch.manual_seed(0)
    model = build_model(name)
    with torch.no_grad():
        model.train()(torch.randn(8, 3, 32, 32) * 2 + 0.5)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def test_conv_bn_pairs_finds_every_conv_bn_of_a_resnet20():
    model = _trained_looking("resnet20")
    pairs = conv_bn_pairs(model, torch.randn(2, 3, 32, 32))
    assert pairs["bn1"] == "conv1" and pairs["layer2.0.bn2"] == "layer2.0.conv2"
    assert len(pairs) == 19  # 1 stem + 9 blocks x 2


def test_folded_copy_equals_conv_plus_bn():
    model = _trained_looking("resnet20")
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        ref = model(x)
    net = private_copy(model)
    scales = fold_batchnorm(net, x)
    assert scales is not None and len(scales) == 19
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the original is untouched
    with torch.no_grad():
        out = net(x)
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(net(x * 0.5), model(x * 0.5), atol=1e-5, rtol=1e-5)  # not only on the sample
    bn = model.layer1[0].bn1
    expected = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    torch.testing.assert_close(scales["layer1.0.conv1.weight"], expected.detach())


def test_nothing_to_fold():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()).eval()
    assert fold_batchnorm(net, torch.randn(1, 3, 8, 8)) == {}
    no_norm = build_model("resnet20", norm="none").eval()
    assert fold_batchnorm(private_copy(no_norm), torch.randn(1, 3, 32, 32)) == {}


def test_a_conv_output_used_twice_is_not_folded():
    """The conv feeds the BatchNorm and is also added after it: folding would change the result."""

    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)

        def forward(self, x):
            c = self.conv(x)
            return self.bn(c) + c

    torch.manual_seed(0)
    net = Twice()
    with torch.no_grad():
        net.train()(torch.randn(4, 3, 8, 8) * 3)
    net.eval()
    assert fold_batchnorm(net, torch.randn(2, 3, 8, 8)) is None

