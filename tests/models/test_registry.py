"""The model registry: metadata of every model, unknown names, FLOP counts."""

from __future__ import annotations

import pytest

from resnet_viz.models.registry import (
    UnknownModel,
    count_flops,
    get_info,
    list_models,
)

# He et al. 2015 / DESIGN.md section 3
CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962, 1202: 19_421_274}


IMAGENET_PARAMS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


def test_registry_metadata():
    names = {m.name for m in list_models()}
    for d in CIFAR_PARAMS:
        assert {f"resnet{d}", f"plain{d}"} <= names
    for d in IMAGENET_PARAMS:
        assert {f"resnet{d}", f"plain{d}"} <= names
    assert {"vgg19_bn", "googlenet", "densenet121", "resnext50_32x4d", "wide_resnet50_2", "vit_b_16"} <= names
    info = get_info("plain56")
    assert (info.family, info.depth, info.skip, info.input_size, info.twin) == ("cifar", 56, False, 32, "resnet56")
    assert get_info("resnet50").tv_name == "resnet50" and get_info("plain50").tv_name is None
    with pytest.raises(UnknownModel, match="unknown model 'resnet21'"):
        get_info("resnet21")


@pytest.mark.parametrize("name,gflops", [("resnet50", 8.18), ("resnet18", 3.63), ("resnet20", 0.081),
                                         ("resnet56", 0.251)])
def test_flops_match_design_measurements(name, gflops):
    assert count_flops(name) / 1e9 == pytest.approx(gflops, abs=0.006)
