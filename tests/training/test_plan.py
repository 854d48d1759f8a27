"""The Your data pair: a ResNet and its plain twin trained the same way."""

from __future__ import annotations

from resnet_viz.training.config import TrainConfig
from resnet_viz.training.plan import Plan


def test_plans_pair_a_resnet_with_its_plain_twin():
    assert Plan("scratch", 56).models == ["resnet56", "plain56"]
    p = Plan("transfer", 18, method="probe", size=112)
    resnet, plain = p.configs("zip:pets.zip")
    assert (resnet.model, resnet.mode, plain.model, plain.mode) == ("resnet18", "probe", "plain18", "scratch")
    assert resnet.image_size == plain.image_size == 112 and resnet.data == plain.data == "zip:pets.zip"
    assert TrainConfig.from_json(resnet.to_json()) == resnet
    assert p.tag("zipabcdef123456") == "zipabcdef1-probe-112px-10ep"
