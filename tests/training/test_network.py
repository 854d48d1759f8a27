"""Transfer learning: fine-tuning, linear probes, plain twins from scratch, refusals."""

from __future__ import annotations

import json
import math

import pytest
import torch
from PIL import Image

from resnet_viz.models.weights import WeightsUnavailable, load_model
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.engine import train
from tests.helpers import shapes_folder

SMALL = dict(model="resnet18", image_size=32, epochs=4, batch_size=16, preset="fast")


def test_finetune_trains_every_layer_from_the_imagenet_weights(tmp_path, imagenet_resnet18):
    data = f"imagefolder:{shapes_folder(tmp_path / 'pets')}"
    run = train(TrainConfig(data=data, mode="finetune", **SMALL), tmp_path / "ft")
    epochs = run.metrics("epoch")
    assert run.status["state"] == "finished" and epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert run.provenance["pretrained"] == "torchvision ResNet18_Weights.IMAGENET1K_V1"
    lm = load_model("resnet18", run.checkpoint)
    assert lm.meta.categories == ["circle", "cross", "square"] and lm.meta.num_classes == 3
    assert lm.meta.input_size == 32 and "fine-tuned from torchvision" in lm.meta.source
    sd = lm.model.state_dict()
    assert sd["fc.weight"].shape == (3, 512)
    assert not torch.equal(sd["layer1.0.conv1.weight"], imagenet_resnet18["layer1.0.conv1.weight"])
    # the evaluation on the held-out fifth of every class: 4 images per class
    ev = json.loads((run.path / "evaluation.json").read_text())
    assert ev["classes"] == ["circle", "cross", "square"] and sorted(ev["labels"]) == [0] * 4 + [1] * 4 + [2] * 4
    assert len(ev["preds"]) == len(ev["confidences"]) == 12
    wrong = [i for i, (y, p) in enumerate(zip(ev["labels"], ev["preds"])) if y != p]
    assert len(ev["wrong"]) == len(wrong)
    assert abs(epochs[-1]["test_error"] - len(wrong) / 12) < 1e-9
    for w in ev["wrong"]:
        assert (run.path / w["file"]).is_file() and Image.open(run.path / w["file"]).size == (32, 32)
    assert [w["confidence"] for w in ev["wrong"]] == sorted((w["confidence"] for w in ev["wrong"]), reverse=True)


def test_linear_probe_changes_only_the_new_final_layer(tmp_path, imagenet_resnet18):
    data = f"imagefolder:{shapes_folder(tmp_path / 'pets')}"
    run = train(TrainConfig(data=data, mode="probe", **SMALL), tmp_path / "probe")
    # The stand-in "ImageNet" weights are random, so their features are arbitrary and large: whether a linear
    # probe's loss falls within 4 epochs depends on the seed (measured: it rose for 3 of 5 seeds). What the
    # probe must guarantee is structural: finite losses, only the new last layer trained, the backbone frozen.
    # (That transfer learns at all is checked by the fine-tuning test, on every seed tried.)
    epochs = run.metrics("epoch")
    assert len(epochs) == 4 and all(math.isfinite(e["train_loss"]) for e in epochs)
    sd = load_model("resnet18", run.checkpoint).model.state_dict()
    assert sd["fc.weight"].shape == (3, 512) and bool(sd["fc.weight"].abs().sum() > 0)
    for k, v in imagenet_resnet18.items():
        if not k.startswith("fc."):  # weights *and* BatchNorm statistics: the backbone stays frozen
            assert torch.equal(sd[k], v), k
    assert run.metrics("layers")[0]["names"] == ["fc"]


def test_plain_twin_from_scratch_on_the_same_data(tmp_path):
    data = f"imagefolder:{shapes_folder(tmp_path / 'pets')}"
    run = train(TrainConfig(data=data, mode="scratch", **{**SMALL, "model": "plain18", "epochs": 2}), tmp_path / "p")
    assert run.status["state"] == "finished"
    assert load_model("plain18", run.checkpoint).meta.categories == ["circle", "cross", "square"]


def test_transfer_refusals_are_one_sentence(tmp_path):
    with pytest.raises(ValueError, match="plain twin is only ever trained from scratch"):
        train(TrainConfig(data="shapes:20", mode="probe", **{**SMALL, "model": "plain18"}), tmp_path / "a")
    with pytest.raises(ValueError, match="CIFAR-family nets train from scratch"):
        train(TrainConfig(data="shapes:20", mode="finetune", model="resnet20"), tmp_path / "b")
    with pytest.raises(ValueError, match="unknown mode"):
        train(TrainConfig(data="shapes:20", mode="transfer"), tmp_path / "c")
    with pytest.raises(WeightsUnavailable, match="resnet18-f37072fd.pth"):  # empty hub cache, offline
        train(TrainConfig(data="shapes:20", mode="finetune", **SMALL), tmp_path / "d")
