"""Learning-rate schedules: the paper's steps and the 110-layer warm-up hand-over."""

from __future__ import annotations

import pytest
import torch

from resnet_viz.training.config import TrainConfig


def test_paper_schedule_and_warm_up_hand_over():
    from resnet_viz.training.schedule import make_scheduler, scheduled_lr

    cfg = TrainConfig(model="resnet110", preset="paper", epochs=4).resolved()
    assert (cfg.lr, cfg.weight_decay, cfg.batch_size) == (0.1, 1e-4, 128)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=cfg.lr, momentum=0.9)
    sched = make_scheduler(opt, cfg, steps_per_epoch=100)  # 400 steps: milestones at 200 and 300
    assert sorted(sched.milestones) == [200, 300]
    for g in opt.param_groups:  # what the warm-up does: 0.01 ...
        g["lr"] = 0.01
    for _ in range(50):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    assert scheduled_lr(cfg, sched, 50) == pytest.approx(0.1)  # ... then back to 0.1, not 0.01
    assert scheduled_lr(cfg, sched, 250) == pytest.approx(0.01)
    assert scheduled_lr(cfg, sched, 350) == pytest.approx(0.001)
