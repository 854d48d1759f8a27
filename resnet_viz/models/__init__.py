"""Model zoo: the paper's CIFAR ResNets and plain twins, torchvision ImageNet ResNets and plain
twins, and comparison architectures, behind one registry."""

from resnet_viz.models.cifar import BasicBlock, CifarResNet, PadShortcut, init_weights
from resnet_viz.models.registry import (
    CIFAR10_CLASSES,
    IMAGENET_MEAN,
    IMAGENET_STD,
    REGISTRY,
    ModelInfo,
    UnknownModel,
    build_model,
    count_flops,
    count_params,
    get_info,
    list_models,
    weight_layers,
)

__all__ = [
    "BasicBlock", "CifarResNet", "PadShortcut", "init_weights", "CIFAR10_CLASSES", "IMAGENET_MEAN",
    "IMAGENET_STD", "REGISTRY", "ModelInfo", "UnknownModel", "build_model", "count_flops",
    "count_params", "get_info", "list_models", "weight_layers",
]
