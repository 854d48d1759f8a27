"""The net a run trains: which models and modes the engine accepts, built from random weights or from
torchvision's ImageNet weights with a new final layer (fine-tuned, or a linear probe with the backbone frozen).

The weights come from the torch hub cache that torchvision uses (downloaded there when online); offline without
them the run stops with ``WeightsUnavailable`` saying which file to put where.
"""

from __future__ import annotations

from torch import nn

from resnet_viz.models.registry import ModelInfo
from resnet_viz.training.config import TrainConfig


def check_trainable(info: ModelInfo, cfg: TrainConfig) -> None:
    """Refuse combinations the engine cannot train, with a sentence that says what to do instead."""
    if info.family == "zoo":
        raise ValueError(f"the training engine trains ResNets and their plain twins (resnet20, plain56, resnet18, "
                         f"plain18, ...), not {info.name}")
    if cfg.mode != "scratch" and not info.tv_name:
        raise ValueError(f"{info.name} has no ImageNet weights to start from"
                         + (" (a plain twin is only ever trained from scratch: use --mode scratch)" if not info.skip
                            else " (CIFAR-family nets train from scratch: use --mode scratch)"))
    if info.family != "cifar" and (cfg.norm, cfg.init, cfg.shortcut) != ("bn", "kaiming", "A"):
        raise ValueError("--norm, --init and --shortcut apply to the CIFAR-family nets only; torchvision ResNets "
                         "use BatchNorm, Kaiming initialisation and projection shortcuts")


def pretrained_model(info: ModelInfo, num_classes: int, *, probe: bool) -> tuple[nn.Module, str]:
    """torchvision's ImageNet weights for ``info`` with a new final layer for ``num_classes`` classes
    (seeded by the caller's ``torch.manual_seed``); frozen except that layer when ``probe``.
    Returns the model and a description of the weights."""
    from resnet_viz.models.weights import load_torchvision_state

    sd, w = load_torchvision_state(info)
    model = info.build()
    model.load_state_dict(sd)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    if probe:
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("fc."))
    return model, f"torchvision {type(w).__name__}.{w.name}"


def build_network(info: ModelInfo, cfg: TrainConfig, num_classes: int) -> tuple[nn.Module, str | None, dict]:
    """``(model, pretrained, options)``: the untrained net of ``cfg`` for ``num_classes`` classes, the
    description of its ImageNet weights (None from scratch) and the build options its checkpoint records."""
    options = {"norm": cfg.norm, "init": cfg.init, "shortcut": cfg.shortcut} if info.family == "cifar" else {}
    if cfg.mode == "scratch":
        model = info.build(**options, **({"num_classes": num_classes} if num_classes != info.num_classes else {}))
        return model, None, options
    model, pretrained = pretrained_model(info, num_classes, probe=cfg.mode == "probe")
    return model, pretrained, options


def trained_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The conv and linear layers that train, in order: whose gradient norms the run records."""
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.requires_grad]
