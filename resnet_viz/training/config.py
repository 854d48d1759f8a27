"""The one typed description of a training run, from the page or the CLI to the training loop.

``TrainConfig`` holds every setting of a run; the background job receives it as JSON
(``to_json`` / ``from_json`` round-trip exactly) and the run folder keeps it in ``config.json``.
``resolved()`` fills what a preset decides (epochs, learning rate, weight decay) and ``cli_command``
gives the ``python -m resnet_viz train ...`` line that reproduces a run, for its provenance.
Torch-free, so pages and the job launcher can build configs without importing torch.

Presets (``--preset``):
  paper  He et al. 2015: SGD momentum 0.9, weight decay 1e-4, batch 128, lr 0.1 divided by 10 at
         50 % and 75 % of training (32k and 48k of 64k iterations), 164 epochs by default;
         110+ layers warm up at lr 0.01 until training error < 80 %.
  fast   for short demos on a CPU: one-cycle to lr 0.2, SGD nesterov, weight decay 5e-4,
         batch 128, 12 epochs by default.

Modes (``--mode``):
  scratch   random initial weights (every model; the only mode for plain twins and CIFAR nets).
  finetune  start from torchvision's ImageNet weights (ResNet-18/34/50/...), replace the final layer by
            one for the user's classes and train everything (lr default 0.01).
  probe     a linear probe: ImageNet weights frozen (BatchNorm statistics included: the backbone runs
            in eval mode), only the new final layer trains (lr default 0.01: ImageNet ResNet features are
            non-negative with norms of about 30, and SGD with momentum 0.9 is unstable on them from
            about lr 0.02).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from resnet_viz.i18n import Msg

MODES = ("scratch", "finetune", "probe")


@dataclass(frozen=True)
class Preset:
    """What a preset decides for a from-scratch run at batch 128."""

    epochs: int
    lr: float  # peak (fast) or initial (paper) learning rate
    weight_decay: float
    nesterov: bool
    schedule: str  # "step" (divide by 10 at 50 % and 75 %) or "one-cycle"


PRESETS = {
    "paper": Preset(epochs=164, lr=0.1, weight_decay=1e-4, nesterov=False, schedule="step"),  # 64k iterations
    "fast": Preset(epochs=12, lr=0.2, weight_decay=5e-4, nesterov=True, schedule="one-cycle"),
}
TRANSFER_LR = 0.01  # finetune and probe, at batch 128 (see the module docstring on probes)
TRANSFER_WEIGHT_DECAY = 1e-4


@dataclass
class TrainConfig:
    model: str = "resnet20"
    data: str = "shapes"  # cifar10 | imagefolder:PATH | zip:FILE | shapes[:N]
    preset: str = "fast"  # "paper" or "fast" (see PRESETS)
    epochs: int | None = None  # default: 164 (paper = 64k iterations at batch 128) or 12 (fast)
    batch_size: int = 128  # global batch, split across ranks under torchrun
    lr: float | None = None  # peak / initial lr; default 0.1 (paper) or 0.2 (fast) x batch_size / 128
    weight_decay: float | None = None  # preset default 1e-4 (paper) or 5e-4 (fast); 1e-4 from ImageNet weights
    momentum: float = 0.9  # He et al.'s SGD momentum, both presets
    seed: int = 0  # initial weights, data order and augmentation: a run is reproducible on the CPU
    norm: str = "bn"  # CIFAR family only: "bn" or "none" (norm, init and shortcut are ablations)
    init: str = "kaiming"  # CIFAR family only: "kaiming", "xavier" or "zero-residual"
    shortcut: str = "A"  # CIFAR family only: He et al.'s option A (zero-padded identity), B or C (projections)
    augment: bool = True  # random crop after padding by 1/8 of the side (4 px at 32) + horizontal flip
    mode: str = "scratch"  # "scratch", "finetune" or "probe" (see module docstring)
    image_size: int = 0  # side of the square training images; 0 = the model's own (32 CIFAR, 224 ImageNet)
    limit_train: int = 0  # use only the first N training images (class-balanced order), 0 = all
    limit_test: int = 0
    grad_every: int = 20  # record per-layer gradient norms every N steps (0 = never)
    device: str = "auto"  # cuda, then mps, then cpu
    extra: dict = field(default_factory=dict)  # e.g. {"inject_nan_at_step": N}: fault injection for tests

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """The config of ``to_dict`` (or a run's ``config.json``); an unknown key is an error, not ignored."""
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(Msg("unknown training settings: {names}", names=", ".join(sorted(unknown))))
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        return cls.from_dict(json.loads(text))

    def resolved(self) -> TrainConfig:
        """A copy with the preset's defaults filled in, checked."""
        c = TrainConfig.from_dict(self.to_dict())
        if c.preset not in PRESETS:
            raise ValueError(Msg("unknown preset {preset}: use 'paper' or 'fast'", preset=repr(c.preset)))
        if c.mode not in MODES:
            raise ValueError(Msg("unknown mode {mode}: use one of {modes}", mode=repr(c.mode), modes=", ".join(MODES)))
        preset = PRESETS[c.preset]
        c.epochs = c.epochs or preset.epochs
        # the presets' rates are for batch 128; other batches scale them linearly (Goyal et al. 2017), so a
        # small data set trained at batch 32 does not take four times too large steps
        scale = c.batch_size / 128
        scratch = c.mode == "scratch"
        c.lr = c.lr if c.lr is not None else (preset.lr if scratch else TRANSFER_LR) * scale
        if c.weight_decay is None:
            c.weight_decay = preset.weight_decay if scratch else TRANSFER_WEIGHT_DECAY
        if c.epochs < 1 or c.batch_size < 1:
            raise ValueError(Msg("epochs and batch size must be positive"))
        if c.image_size and not 16 <= c.image_size <= 512:
            raise ValueError(Msg("image size must be between 16 and 512 pixels, not {size}", size=c.image_size))
        return c


# TrainConfig field -> `train` flag; momentum, grad_every and extra have no flag (the CLI keeps their defaults)
_FLAGS = {"epochs": "--epochs", "batch_size": "--batch-size", "lr": "--lr", "weight_decay": "--weight-decay",
          "seed": "--seed", "norm": "--norm", "init": "--init", "shortcut": "--shortcut", "image_size": "--size",
          "limit_train": "--limit-train", "limit_test": "--limit-test", "device": "--device"}


def cli_command(cfg: TrainConfig, out: str) -> str:
    """The command line that trains ``cfg`` into the run ``out``: ``python -m resnet_viz train --model ...``
    (model, data and preset always; other settings where they differ from the defaults)."""
    default = TrainConfig()
    args = ["train", "--model", cfg.model, "--data", cfg.data, "--preset", cfg.preset]
    if cfg.mode != "scratch":
        args += ["--pretrained", "--mode", cfg.mode]
    for name, flag in _FLAGS.items():
        value = getattr(cfg, name)
        if value is not None and value != getattr(default, name):
            args += [flag, str(value)]
    if not cfg.augment:
        args.append("--no-augment")
    return " ".join(["python -m resnet_viz", *map(shlex.quote, args), "--out", shlex.quote(out)])
