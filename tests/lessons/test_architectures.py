"""The Architectures page's sentences, read off real modules (meta device) and model-stats rows."""

from __future__ import annotations

import torch

from resnet_viz.figures.architecture import count
from resnet_viz.lessons.architectures import describe_twin_params, params_caption, shortcut_label
from resnet_viz.models.registry import build_model


def _twins(res: str, plain: str, **opts):
    with torch.device("meta"):  # as the page builds them: shapes only
        return build_model(res, **opts), build_model(plain, **opts)


def test_shortcut_labels_identity_option_a_and_projection():
    res, _ = _twins("resnet20", "plain20", shortcut="A")
    assert shortcut_label(res.layer2[1]) == "identity x (0 params)"
    assert shortcut_label(res.layer2[0]) == "x[:, :, ::2, ::2] + zero channels (0 params)"
    res_b, _ = _twins("resnet20", "plain20", shortcut="B")
    assert shortcut_label(res_b.layer2[0]) == f"1x1 conv, stride 2 + BN ({16 * 32 + 2 * 32:,} params)"
    r18, _ = _twins("resnet18", "plain18")
    assert shortcut_label(r18.layer2[0]) == f"1x1 conv, stride 2 + BN ({64 * 128 + 2 * 128:,} params)"


def test_describe_twin_params_option_a_adds_nothing():
    res, plain = _twins("resnet20", "plain20", shortcut="A")
    text = describe_twin_params(("resnet20", "plain20"), (res, plain), (res.layer2[0], plain.layer2[0]), "A")
    assert text == (f"This block has {count(res.layer2[0]):,} parameters in both twins, and the whole resnet20 has "
                    f"exactly as many as plain20 ({count(res):,}): with option A the skip connection adds no "
                    "parameters, only the addition of x.")


def test_describe_twin_params_projections_counted():
    res, plain = _twins("resnet18", "plain18")
    extra = count(res) - count(plain)
    assert extra == sum(count(getattr(res, f"layer{i}")[0].downsample) for i in (2, 3, 4))
    text = describe_twin_params(("resnet18", "plain18"), (res, plain), (res.layer2[0], plain.layer2[0]), "B")
    assert text.startswith(f"resnet18 has {count(res):,} parameters and plain18 {count(plain):,}: the 3 projection "
                           f"shortcuts add {extra:,} ({100 * extra / count(plain):.2f} %).")
    assert text.endswith(f"This block: {count(res.layer2[0]):,} vs {count(plain.layer2[0]):,}.")


def test_params_caption_same_or_differ():
    rows = [{"name": "resnet20", "family": "cifar", "skip": True, "twin": "plain20", "params": 5},
            {"name": "plain20", "family": "cifar", "skip": False, "twin": "resnet20", "params": 5},
            {"name": "resnet18", "family": "imagenet", "skip": True, "twin": "plain18", "params": 9},
            {"name": "plain18", "family": "imagenet", "skip": False, "twin": "resnet18", "params": 8}]
    assert params_caption(rows, "cifar").endswith("lie on top of each other: every twin pair has identical parameter "
                                                  "counts.")
    assert params_caption(rows, "imagenet") == ("imagenet family: the ResNet and plain curves differ only by the "
                                                "projection shortcuts' parameters.")
