"""The optimiser and learning-rate schedule of a run: SGD with the preset's settings, the paper's step schedule
or a one-cycle, and the warm-up hand-over of 110+ layer nets (He et al. 2015).
"""

from __future__ import annotations

import torch
from torch import nn

from resnet_viz.training.config import PRESETS, TrainConfig


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.SGD:
    """SGD over the trainable parameters, without weight decay on BatchNorm and biases."""
    decay, no_decay = [], []
    for _n, p in model.named_parameters():
        if p.requires_grad:  # a linear probe trains the new final layer only
            (no_decay if p.ndim <= 1 else decay).append(p)  # no weight decay on BN and biases
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=PRESETS[cfg.preset].nesterov)


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int):
    total = cfg.epochs * steps_per_epoch
    one_cycle = PRESETS[cfg.preset].schedule == "one-cycle"
    if one_cycle and total < 12:  # too few steps for a one-cycle shape: constant lr
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    if one_cycle:
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total, pct_start=0.25,
                                                   div_factor=10.0, final_div_factor=100.0)
    milestones = [int(total * 0.5), int(total * 0.75)]  # 32k and 48k of 64k iterations
    return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.1)


def scheduled_lr(cfg: TrainConfig, sched, step: int) -> float:
    """The paper schedule's lr at ``step`` (0.1, divided by 10 at each milestone passed): where the
    warm-up of 110+ layer nets hands over. (MultiStepLR scales the *current* lr, which the warm-up
    has lowered, so its own value cannot be used.)"""
    passed = sum(step >= m for m in getattr(sched, "milestones", {}))
    return cfg.lr * 0.1 ** passed


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr
