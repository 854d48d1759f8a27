"""One registry: model name -> builder + metadata.

Every model carries its metadata like torchvision's ``weights.meta``: family, depth, whether it
has skip connections, input size, default classes and normalisation. Nothing downstream guesses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from resnet_viz.i18n import N_, Msg
from resnet_viz.models.cifar import CIFAR_DEPTHS, cifar_resnet
from resnet_viz.models.imagenet import RESNET_CONFIGS, ZOO, imagenet_resnet, zoo_model

# The CIFAR-10 class names: English keys everywhere; N_ marks them so that figures can show them translated.
# TRANSLATORS: a CIFAR-10 class name
CIFAR10_CLASSES = [N_("airplane"), N_("automobile"), N_("bird"), N_("cat"), N_("deer"), N_("dog"), N_("frog"),
                   N_("horse"), N_("ship"), N_("truck")]
# Normalisation the reference CIFAR checkpoints (Idelbayev 2018) and the app's own runs use.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelInfo:
    """What the app knows about an architecture before any weights are loaded."""

    name: str
    family: str  # "cifar" (paper's CIFAR nets), "imagenet" (torchvision ResNets + twins), "zoo"
    depth: int  # weight layers on the main path, as in the model's name
    skip: bool  # has identity shortcuts
    input_size: int  # square side in pixels the model is built for
    num_classes: int
    builder: Callable[..., nn.Module] = field(repr=False, compare=False)
    description: str = ""  # a Msg for the registered models: its str value is English, str(it) the session's
    twin: str | None = None  # the plain twin of a ResNet, or the ResNet of a plain twin
    tv_name: str | None = None  # torchvision model name whose pretrained weights fit this model
    options: tuple[str, ...] = ()  # builder keyword options this family understands

    def build(self, **kwargs: Any) -> nn.Module:
        """Build with random weights (``kwargs`` e.g. ``norm="none"``, ``num_classes=5``)."""
        unknown = set(kwargs) - set(self.options) - {"num_classes"}
        if unknown:
            raise ValueError(f"{self.name} does not take option(s) {sorted(unknown)}; it takes {list(self.options)}")
        return self.builder(**kwargs)

    @property
    def default_categories(self) -> list[str] | None:
        if self.family == "cifar" and self.num_classes == 10:
            return list(CIFAR10_CLASSES)
        return None  # ImageNet class names come from the weights' metadata


def _twins(depths, family: str, **fields: Callable[[int, bool], Any]) -> dict[str, ModelInfo]:
    """``resnet<d>`` and ``plain<d>`` for every depth; each of ``fields`` maps (depth, skip) to its value."""
    reg: dict[str, ModelInfo] = {}
    for d in depths:
        for skip in (True, False):
            name = f"{'resnet' if skip else 'plain'}{d}"
            reg[name] = ModelInfo(name=name, family=family, depth=d, skip=skip,
                                  twin=f"{'plain' if skip else 'resnet'}{d}",
                                  **{k: make(d, skip) for k, make in fields.items()})
    return reg


def _registry() -> dict[str, ModelInfo]:
    reg = _twins(
        CIFAR_DEPTHS, "cifar", input_size=lambda d, s: 32, num_classes=lambda d, s: 10,
        builder=lambda d, s: functools.partial(cifar_resnet, d, skip=s),
        description=lambda d, s: (Msg("ResNet-{d} for CIFAR-10 (He et al. 2015, option A shortcuts)", d=d) if s
                                  else Msg("Plain-{d} for CIFAR-10: ResNet-{d} without shortcuts (He et al. 2015)",
                                           d=d)),
        options=lambda d, s: ("shortcut", "norm", "init"))
    reg |= _twins(
        RESNET_CONFIGS, "imagenet", input_size=lambda d, s: 224, num_classes=lambda d, s: 1000,
        builder=lambda d, s: functools.partial(imagenet_resnet, d, skip=s),
        description=lambda d, s: (Msg("torchvision ResNet-{d} (option B, V1.5)", d=d) if s and d >= 50
                                  else Msg("torchvision ResNet-{d} (option B)", d=d) if s
                                  else Msg("Plain-{d}: torchvision ResNet-{d} with the additions removed", d=d)),
        tv_name=lambda d, s: f"resnet{d}" if s else None, options=lambda d, s: ("zero_init_residual",))
    for name, (_builder, depth, skip, desc) in ZOO.items():
        reg[name] = ModelInfo(
            name=name, family="zoo", depth=depth, skip=skip, input_size=224, num_classes=1000,
            builder=functools.partial(zoo_model, name), description=Msg(desc), tv_name=name,
        )
    return reg


REGISTRY: dict[str, ModelInfo] = _registry()


class UnknownModel(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


def get_info(name: str) -> ModelInfo:
    """Metadata for ``name``; ``UnknownModel`` lists the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownModel(f"unknown model {name!r}; run 'python -m resnet_viz models' for the list "
                           f"(e.g. resnet20, plain56, resnet50)") from None


def list_models(family: str | None = None) -> list[ModelInfo]:
    return [m for m in REGISTRY.values() if family is None or m.family == family]


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered model with random weights."""
    return get_info(name).build(**kwargs)


@functools.cache
def meta_model(name: str) -> nn.Module:
    """The model ``name`` built on the meta device (cached): its layers and shapes, without weights."""
    with torch.device("meta"):  # no memory, no init cost: shapes only
        return build_model(name)


def count_params(name_or_model: str | nn.Module) -> int:
    """Number of parameters (built on the meta device when given a name: instant, even for ViT)."""
    model = meta_model(name_or_model) if isinstance(name_or_model, str) else name_or_model
    return sum(p.numel() for p in model.parameters())


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Conv and linear layers in forward (registration) order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


@functools.cache
def count_flops(name: str, input_size: int | None = None) -> int:
    """FLOPs of one forward pass of one image, from ``torch.utils.flop_counter``.

    ``FlopCounterMode`` counts 2 FLOPs per multiply-add (so ResNet-50 at 224 px is 8.18 GFLOP =
    4.09 GMAC). The model runs on the meta device: only shapes are computed.
    """
    from torch.utils.flop_counter import FlopCounterMode

    info = get_info(name)
    size = input_size or info.input_size
    model = meta_model(name)
    x = torch.empty(1, 3, size, size, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(x)
    return int(counter.get_total_flops())
