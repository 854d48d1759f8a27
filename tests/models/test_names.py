"""How a model is named to a student, and how a run folder's name carries its model."""

from __future__ import annotations

import pytest

from resnet_viz.models.names import display_name, run_name, split_run_name


@pytest.mark.parametrize("name, shown", [
    ("plain56", "Plain-56"), ("resnet56", "ResNet-56"), ("resnet1202", "ResNet-1202"), ("plain18", "Plain-18"),
    ("resnext50_32x4d", "resnext50_32x4d"), ("resnet", "resnet"), ("plain_net", "plain_net"), ("vgg19_bn", "vgg19_bn"),
])
def test_display_name(name, shown):
    assert display_name(name) == shown


def test_run_name_round_trip():
    assert run_name("resnet56", "fast12") == "resnet56-fast12"
    assert split_run_name("resnet56-fast12") == ("resnet56", "fast12")
    assert split_run_name("plain20-my-set") == ("plain20", "my-set")  # the first "-" separates: tags may have more
    assert split_run_name("resnet20") == ("resnet20", "")
