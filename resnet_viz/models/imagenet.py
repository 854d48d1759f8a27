"""ImageNet ResNets from torchvision, their plain twins, and the comparison zoo.

The plain twins reuse torchvision's own ``ResNet`` class and ``_make_layer``: only the block's
forward pass changes (the addition is removed) and the projection shortcut that torchvision
would build is dropped, as in the paper's plain-34. Module names, state-dict keys and
``layer4[-1]`` therefore line up between ``resnet34`` and ``plain34``.

torchvision's ResNets use option B shortcuts (1x1 projection where the shape changes) and
ResNet-50 and deeper are "V1.5" (the stride-2 sits in the 3x3 conv of the bottleneck).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchvision import models as tvm
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from resnet_viz.i18n import N_, Msg

# torchvision layer configurations (models/resnet.py)
RESNET_CONFIGS: dict[int, tuple[type[nn.Module], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
    101: (Bottleneck, [3, 4, 23, 3]),
    152: (Bottleneck, [3, 8, 36, 3]),
}


class PlainBasicBlock(BasicBlock):
    """torchvision's BasicBlock without the identity addition and without a projection."""

    skip = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.downsample = None  # a plain net has no shortcut, so no projection either

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))  # (B, C, H/s, W/s)
        return self.relu(self.bn2(self.conv2(out)))  # no "+ identity": that is the whole difference


class PlainBottleneck(Bottleneck):
    """torchvision's Bottleneck (V1.5) without the identity addition and without a projection."""

    skip = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.downsample = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))  # 1x1: (B, width, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # 3x3, stride s: (B, width, H/s, W/s)
        return self.relu(self.bn3(self.conv3(out)))  # 1x1: (B, 4 width, H/s, W/s), no "+ identity"


def imagenet_resnet(depth: int, *, skip: bool = True, num_classes: int = 1000, **kwargs: Any) -> ResNet:
    """torchvision ResNet-``depth`` (``skip=True``) or its plain twin (``skip=False``).

    ``kwargs`` go to torchvision's ``ResNet`` (e.g. ``zero_init_residual=True``).
    """
    if depth not in RESNET_CONFIGS:
        raise ValueError(Msg("ImageNet ResNet depth must be one of {depths}, got {depth}",
                             depths=str(sorted(RESNET_CONFIGS)), depth=depth))
    block, layers = RESNET_CONFIGS[depth]
    if not skip:
        block = PlainBasicBlock if block is BasicBlock else PlainBottleneck
        kwargs.pop("zero_init_residual", None)  # no residual branch to zero in a plain net
    return ResNet(block, layers, num_classes=num_classes, **kwargs)


# Comparison architectures the literature sets ResNets against: name -> (builder, depth, skip).
# ``skip`` says whether the architecture has identity-style shortcuts (DenseNet's concatenation
# counts: every layer sees its inputs unchanged). The descriptions are English (N_: the registry shows them
# through Msg, translated where they are drawn).
ZOO: dict[str, tuple[Any, int, bool, str]] = {
    "vgg19_bn": (tvm.vgg19_bn, 19, False, N_("VGG-19 with BatchNorm (Simonyan & Zisserman 2014): a deep plain net")),
    "googlenet": (tvm.googlenet, 22, False, N_("GoogLeNet / Inception v1 (Szegedy et al. 2014)")),
    "densenet121": (tvm.densenet121, 121, True, N_("DenseNet-121 (Huang et al. 2017): concatenating shortcuts")),
    "resnext50_32x4d": (tvm.resnext50_32x4d, 50, True,
                        N_("ResNeXt-50 32x4d (Xie et al. 2017): grouped bottlenecks")),
    "wide_resnet50_2": (tvm.wide_resnet50_2, 50, True, N_("Wide ResNet-50-2 (Zagoruyko & Komodakis 2016)")),
    "vit_b_16": (tvm.vit_b_16, 12, True, N_("ViT-B/16 (Dosovitskiy et al. 2020): residual transformer blocks")),
}


def zoo_model(name: str, *, num_classes: int = 1000, **kwargs: Any) -> nn.Module:
    """Build a comparison architecture with random weights."""
    builder = ZOO[name][0]
    if name == "googlenet":
        kwargs.setdefault("init_weights", True)
        kwargs.setdefault("aux_logits", False)
    return builder(weights=None, num_classes=num_classes, **kwargs)
