"""TrainConfig: JSON round trip and the CLI command that reproduces a run."""

from __future__ import annotations

import pytest

from resnet_viz.training.config import TrainConfig


def test_config_round_trips_as_json_and_names_its_command():
    from resnet_viz.training.config import cli_command

    cfg = TrainConfig(model="resnet18", data="zip:my pets.zip", mode="probe", image_size=112, batch_size=32,
                      lr=0.005, augment=False, extra={"inject_nan_at_step": 3})
    assert TrainConfig.from_json(cfg.to_json()) == cfg and TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert cli_command(cfg, "pets") == ("python -m resnet_viz train --model resnet18 --data 'zip:my pets.zip' "
                                        "--preset fast --pretrained --mode probe --batch-size 32 --lr 0.005 "
                                        "--size 112 --no-augment --out pets")
    with pytest.raises(ValueError, match="unknown training settings: colour"):
        TrainConfig.from_dict({"model": "resnet20", "colour": "red"})
