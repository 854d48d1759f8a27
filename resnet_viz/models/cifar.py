"""The paper's CIFAR-10 ResNets and their plain twins (He et al. 2015, section 4.2).

ResNet-n / Plain-n with n = 6k + 2: a 3x3 conv with 16 filters, three stages of k basic blocks
with 16, 32 and 64 filters (the first block of stages 2 and 3 has stride 2), global average
pooling and a 10-way linear layer. The plain twin is the *same* block with the addition switched
off, so module names, state-dict keys and ``layer3[-1]`` line up between the twins, and with the
paper's option A shortcut (parameter-free) both have exactly the same parameters.

Shortcut options (paper section 3.3):
  A  identity; where the shape changes, subsample by stride-2 slicing and zero-pad the channels
     (equally on both sides, as in the reference implementation). No parameters.
  B  identity; where the shape changes, a 1x1 projection (conv + norm).
  C  1x1 projection on every block.
A plain twin has no shortcut at all, whatever the option.

Module names follow torchvision (``conv1, bn1, relu, layer1..3, avgpool, fc``; projections are
``downsample``) so the same probes work on both families.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.i18n import Msg

Shortcut = Literal["A", "B", "C"]
Norm = Literal["bn", "none"]
Init = Literal["kaiming", "xavier", "zero-residual"]

CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding, no bias (a norm layer or nothing follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def norm_layer(norm: Norm, planes: int) -> nn.Module:
    """BatchNorm2d for ``"bn"``; ``nn.Identity`` for ``"none"`` (keeps the module names)."""
    if norm == "bn":
        return nn.BatchNorm2d(planes)
    if norm == "none":
        return nn.Identity()
    raise ValueError(Msg("unknown normalisation {norm}: use 'bn' or 'none'", norm=repr(norm)))


class PadShortcut(nn.Module):
    """Option A shortcut: ``x[:, :, ::s, ::s]`` then zero-pad the channels on both sides.

    Parameter-free. With 16 -> 32 channels the reference implementation pads 8 zero channels
    before and 8 after; an odd difference puts the extra channel at the end.
    """

    def __init__(self, in_planes: int, out_planes: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.pad_before = (out_planes - in_planes) // 2
        self.pad_after = out_planes - in_planes - self.pad_before

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (B, C_in, H/s, W/s)
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))  # (B, C_out, H/s, W/s)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, pad=({self.pad_before}, {self.pad_after})"


class BasicBlock(nn.Module):
    """Two 3x3 convs; ``out = relu(F(x) + shortcut(x))`` with a skip, ``relu(F(x))`` without.

    ``skip`` is the only difference between a ResNet block and its plain twin.
    """

    expansion = 1

    def __init__(
        self,
        in_planes: int,
        planes: int,
        stride: int = 1,
        *,
        skip: bool = True,
        shortcut: Shortcut = "A",
        norm: Norm = "bn",
    ) -> None:
        super().__init__()
        self.skip = skip
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = norm_layer(norm, planes)
        self.relu = nn.ReLU(inplace=False)  # not in-place: probes and attributions read activations
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(norm, planes)
        self.downsample: nn.Module | None = None
        changes_shape = stride != 1 or in_planes != planes
        if skip and (shortcut == "C" or (shortcut == "B" and changes_shape)):
            self.downsample = nn.Sequential(conv1x1(in_planes, planes, stride), norm_layer(norm, planes))
        elif skip and shortcut == "A" and changes_shape:
            self.downsample = PadShortcut(in_planes, planes, stride)
        elif shortcut not in ("A", "B", "C"):
            raise ValueError(Msg("unknown shortcut option {shortcut}: use 'A', 'B' or 'C'", shortcut=repr(shortcut)))
        self.downsamples = stride != 1  # marks a block that changes resolution (lesion studies)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """The residual branch F(x), before the addition and the final ReLU."""
        out = self.relu(self.bn1(self.conv1(x)))  # (B, planes, H/s, W/s)
        return self.bn2(self.conv2(out))

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """The identity path (or its option A/B/C version)."""
        return x if self.downsample is None else self.downsample(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.residual(x)
        if self.skip:
            out = out + self.shortcut(x)
        out = self.relu(out)
        return out


class CifarResNet(nn.Module):
    """ResNet-n (``skip=True``) or Plain-n (``skip=False``) for 32x32 inputs."""

    def __init__(
        self,
        depth: int,
        *,
        skip: bool = True,
        num_classes: int = 10,
        shortcut: Shortcut = "A",
        norm: Norm = "bn",
        init: Init = "kaiming",
    ) -> None:
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(Msg("CIFAR ResNet depth must be 6k+2 (20, 32, 44, 56, 110, ...), got {depth}",
                                 depth=depth))
        blocks = (depth - 2) // 6
        self.depth = depth
        self.skip = skip
        self.in_planes = 16
        self.conv1 = conv3x3(3, 16)
        self.bn1 = norm_layer(norm, 16)
        self.relu = nn.ReLU(inplace=False)
        self.layer1 = self._make_layer(16, blocks, 1, skip=skip, shortcut=shortcut, norm=norm)
        self.layer2 = self._make_layer(32, blocks, 2, skip=skip, shortcut=shortcut, norm=norm)
        self.layer3 = self._make_layer(64, blocks, 2, skip=skip, shortcut=shortcut, norm=norm)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        init_weights(self, init)

    def _make_layer(self, planes: int, blocks: int, stride: int, **kw) -> nn.Sequential:
        layers = [BasicBlock(self.in_planes, planes, stride, **kw)]
        self.in_planes = planes
        layers += [BasicBlock(planes, planes, 1, **kw) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)  # (B, 16, 32, 32)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.layer1(x)  # (B, 16, 32, 32)
        x = self.layer2(x)  # (B, 32, 16, 16)
        x = self.layer3(x)  # (B, 64, 8, 8)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)  # (B, 64)
        x = self.fc(x)  # (B, num_classes)
        return x


def init_weights(model: nn.Module, init: Init = "kaiming") -> None:
    """Initialise conv and linear weights in place.

    kaiming        He et al. 2015 normal init, fan-in, gain sqrt(2) (``kaiming_normal_`` defaults;
                   the reference CIFAR implementation uses the same).
    xavier         Glorot normal (gain 1): the pre-ResNet default, too small for ReLU nets.
    zero-residual  kaiming, then the last norm layer of every residual branch gets weight 0
                   (the last conv when there is no norm), so each residual block starts as the
                   identity (Goyal et al. 2017). A plain block has no residual branch to zero:
                   plain twins are initialised exactly as with kaiming.
    Norm layers start at weight 1, bias 0; linear biases at 0.
    """
    if init not in ("kaiming", "xavier", "zero-residual"):
        raise ValueError(Msg("unknown initialisation {init}: use 'kaiming', 'xavier' or 'zero-residual'",
                             init=repr(init)))
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if init == "xavier":
                nn.init.xavier_normal_(m.weight)
            else:
                nn.init.kaiming_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if init == "zero-residual":
        for m in model.modules():
            if isinstance(m, BasicBlock) and m.skip:
                last = m.bn2 if isinstance(m.bn2, nn.BatchNorm2d) else m.conv2
                nn.init.zeros_(last.weight)


def cifar_resnet(depth: int, *, skip: bool = True, **kwargs) -> CifarResNet:
    """Builder used by the registry: ``cifar_resnet(56, skip=False)`` is Plain-56."""
    return CifarResNet(depth, skip=skip, **kwargs)
