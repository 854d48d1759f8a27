"""What every probe needs from a model, in one place: a private copy, hooks that never stay behind, and
the test for "is this a residual block".

Probes must leave a model shared by many sessions exactly as they found it. A probe that changes its
model (train-mode BatchNorm, ``requires_grad``, weights written in place, captum's hooks) works on
``private_copy`` (or on ``build_at_init``'s fresh model, which nobody else holds). A probe that only
reads a shared model registers its hooks through ``hooks(own_thread=True)``: they record only in the
thread that registered them, never replace an output and are removed when the block ends, even on
an error. ``residual_blocks`` is the one definition of a block (CIFAR and torchvision, ResNet and
plain twin) that the anatomy, gradient, lesion and attribution probes all use; ``model_device`` and
``autocast_for`` say where and in which precision a probe runs. Package-internal: modules outside
``probes`` use the probes' public functions instead.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator

import torch
from torch import nn

from resnet_viz.models.cifar import BasicBlock as CifarBlock

# every per-module hook dictionary torch keeps: hooks copied from a shared model could write into
# another session's state
HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
              "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs", "_forward_hooks_always_called",
              "_state_dict_hooks", "_load_state_dict_pre_hooks")


# ----------------------------------------------------------------------------- a model of one's own

def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def private_copy(model: nn.Module, *, build: Callable[[], nn.Module] | None = None,
                 device: str | torch.device | None = None, requires_grad: bool | None = None) -> nn.Module:
    """An eval-mode copy of ``model`` that shares nothing with it: no hooks, no ``.grad``.

    With ``build`` (a function returning a fresh model of the same architecture) the copy is built
    anew and given ``model``'s weights: unlike ``copy.deepcopy`` this never copies hooks another
    thread has on the shared model at that moment, nor trips over them changing. Otherwise the
    ``deepcopy``'s hooks are removed. ``device``: where the copy lives (default: ``model``'s);
    ``requires_grad``: set on every parameter of the copy when given (default: as on ``model``).
    """
    with torch.no_grad():
        if build is not None:
            net = build()
            net.load_state_dict(model.state_dict())
        else:
            net = copy.deepcopy(model)
            for m in net.modules():
                for attr in HOOK_DICTS:
                    found = getattr(m, attr, None)
                    if isinstance(found, dict):
                        found.clear()
        for p in net.parameters():
            p.grad = None
        if requires_grad is not None:
            net.requires_grad_(requires_grad)
        net.to(device if device is not None else model_device(model))
    return net.eval()


def autocast_for(device: torch.device):
    """bf16 autocast on CUDA (tensor cores); fp32 everywhere else, for exact, reproducible numbers."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


def has_hooks(model: nn.Module) -> bool:
    """True while any module of ``model`` has a forward, pre-forward or backward hook."""
    return any(getattr(m, attr, None) for m in model.modules() for attr in HOOK_DICTS[:4])


def build_at_init(name: str, *, seed: int = 0, **options) -> nn.Module:
    """A freshly initialised registered model, deterministic for a seed (the global RNG is left as it was)."""
    from resnet_viz.models.registry import build_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(name, **options)


# ----------------------------------------------------------------------------- hooks

class Hooks:
    """The hooks registered in one ``hooks()`` block. Each calls its function and returns ``None``
    (an output is never replaced); with ``own_thread`` it does so only in the registering thread."""

    def __init__(self, own_thread: bool = False) -> None:
        self.handles: list = []
        self.owner = threading.get_ident() if own_thread else None

    def _wrap(self, fn: Callable) -> Callable:
        owner = self.owner

        def hook(*args) -> None:
            if owner is None or threading.get_ident() == owner:
                fn(*args)

        return hook

    def forward(self, module: nn.Module, fn: Callable, *, pre: bool = False) -> None:
        """``fn(module, inputs, output)`` after ``module``'s forward (``fn(module, inputs)`` before it with ``pre``)."""
        register = module.register_forward_pre_hook if pre else module.register_forward_hook
        self.handles.append(register(self._wrap(fn)))

    def backward(self, module: nn.Module, fn: Callable) -> None:
        """``fn(module, grad_inputs, grad_outputs)`` when the gradient of ``module``'s output is computed."""
        self.handles.append(module.register_full_backward_hook(self._wrap(fn)))

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles.clear()


@contextlib.contextmanager
def hooks(*, own_thread: bool = False) -> Iterator[Hooks]:
    """``with hooks() as hk: hk.forward(module, fn); model(x)``: every hook registered on ``hk`` is removed
    when the block ends, also on an error. ``own_thread=True`` for a model other threads may run."""
    hk = Hooks(own_thread)
    try:
        yield hk
    finally:
        hk.remove()


# ----------------------------------------------------------------------------- residual blocks

def is_residual_block(m: nn.Module) -> bool:
    """A residual block or its plain twin: the CIFAR ``BasicBlock`` and torchvision's basic and bottleneck
    blocks (plain ones included; they all have ``conv2``, ``bn2`` and ``downsample``)."""
    return isinstance(m, CifarBlock) or (hasattr(m, "conv2") and hasattr(m, "bn2") and hasattr(m, "downsample"))


def residual_blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, block)`` of every residual (or plain-twin) block, in forward order."""
    return [(n, m) for n, m in model.named_modules() if is_residual_block(m)]


def has_skip(block: nn.Module) -> bool:
    """False for a plain twin's block (``skip = False``), True for a ResNet block."""
    return bool(getattr(block, "skip", True))
