"""Weights: reference checkpoints, local files (safely), the app's own format, offline answers."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from resnet_viz.models.registry import CIFAR10_CLASSES, build_model
from resnet_viz.models.weights import (
    ModelMeta,
    WeightsError,
    WeightsUnavailable,
    available_weights,
    load_model,
    read_state_dict,
    save_checkpoint,
)


def test_reference_checkpoint_loads_with_its_metadata(reference_dir):
    lm = load_model("resnet20", "reference")
    assert lm.meta.categories == CIFAR10_CLASSES
    assert lm.meta.mean == (0.485, 0.456, 0.406) and lm.meta.std == (0.229, 0.224, 0.225)
    assert "Idelbayev" in lm.meta.source and lm.meta.metrics["published_test_error_pct"] == 8.27
    assert not lm.model.training
    # the file has no num_batches_tracked and a 'module.' prefix; loading fills and strips them
    raw = torch.load(reference_dir / "resnet20-12fca82f.th", map_location="cpu", weights_only=True)
    assert all(k.startswith("module.") for k in raw["state_dict"])
    assert torch.equal(lm.model.fc.weight, raw["state_dict"]["module.linear.weight"])
    assert "reference" in available_weights("resnet20")


def test_reference_offline_and_not_cached_names_the_file_and_folder(monkeypatch):
    monkeypatch.delenv("RESNET_VIZ_WEIGHTS_DIRS", raising=False)
    with pytest.raises(WeightsUnavailable) as e:
        load_model("resnet56", "reference")
    msg = str(e.value)
    assert "resnet56-4bfd9763.th" in msg
    assert str(Path(torch.hub.get_dir()) / "checkpoints") in msg
    with pytest.raises(WeightsError, match="no reference checkpoint for plain56"):
        load_model("plain56", "reference")


def test_imagenet_weights_offline_name_file_and_folder():
    with pytest.raises(WeightsUnavailable) as e:
        load_model("resnet50")
    msg = str(e.value)
    assert "resnet50-11ad3fa6.pth" in msg and "https://download.pytorch.org/models/" in msg
    assert str(Path(torch.hub.get_dir()) / "checkpoints") in msg
    with pytest.raises(WeightsError, match="no torchvision pretrained weights"):
        load_model("plain50", "imagenet")


def test_imagenet_weights_come_from_the_hub_cache_with_their_metadata(tmp_path, monkeypatch):
    """A torchvision-format file placed in a temporary hub cache is used without any network."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.manual_seed(0)
    ref = build_model("resnet18")
    ckpt = tmp_path / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    torch.save(ref.state_dict(), ckpt / "resnet18-f37072fd.pth")
    lm = load_model("resnet18", "IMAGENET1K_V1")
    assert len(lm.meta.categories) == 1000 and lm.meta.categories[281] == "tabby"
    assert lm.meta.input_size == 224 and lm.meta.resize_size == 256
    assert torch.equal(lm.model.conv1.weight, ref.conv1.weight)
    assert "IMAGENET1K_V1" in lm.meta.source
    assert "DEFAULT" in available_weights("resnet18")


def test_state_dict_with_module_prefix_and_missing_counters_loads(tmp_path):
    m = build_model("resnet20")
    sd = {f"module.{k}": v for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save({"state_dict": sd, "epoch": 3}, tmp_path / "wrapped.pth")
    lm = load_model("resnet20", tmp_path / "wrapped.pth")
    assert torch.equal(lm.model.layer3[2].conv2.weight, m.layer3[2].conv2.weight)


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def test_pickle_that_runs_code_is_refused_and_nothing_runs(tmp_path):
    _Evil.marker = tmp_path / "pwned"
    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"state_dict": {"fc.weight": _Evil()}}, f)
    with pytest.raises(WeightsError, match="refused to load evil.pt"):
        load_model("resnet20", tmp_path / "evil.pt")
    assert not _Evil.marker.exists()


def test_wrong_architecture_gives_one_clear_message(tmp_path):
    torch.save(build_model("resnet56").state_dict(), tmp_path / "r56.pt")
    with pytest.raises(WeightsError) as e:
        load_model("resnet20", tmp_path / "r56.pt")
    msg = str(e.value)
    assert "does not fit resnet20" in msg and "resnet56" in msg and "\n" not in msg


def test_wrong_class_count_gives_one_clear_message(tmp_path):
    torch.save(build_model("resnet20", num_classes=100).state_dict(), tmp_path / "c100.pt")
    with pytest.raises(WeightsError, match="classifier has 100 classes but resnet20 is built for 10"):
        load_model("resnet20", tmp_path / "c100.pt")


def test_garbage_and_missing_files(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"MZ\x90\x00" + os.urandom(500))
    with pytest.raises(WeightsError, match="not a readable PyTorch checkpoint"):
        load_model("resnet20", tmp_path / "junk.pth")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        load_model("resnet20", tmp_path / "junk.safetensors")
    with pytest.raises(WeightsError, match="not found"):
        load_model("resnet20", tmp_path / "nope.pt")
    with pytest.raises(WeightsError, match="unknown weights 'bogus'"):
        load_model("resnet20", "bogus")


def test_own_checkpoint_roundtrip_fp16_with_sidecar(tmp_path):
    torch.manual_seed(1)
    m = build_model("plain20", num_classes=5, norm="bn").eval()
    meta = ModelMeta(arch="plain20", num_classes=5, categories=list("abcde"), input_size=32, resize_size=32,
                     source="run test", metrics={"test_error": 0.2})
    path = save_checkpoint(m, meta, tmp_path / "run" / "model", half=True)
    assert path.suffix == ".safetensors" and path.with_suffix(".json").is_file()
    assert not list(path.parent.glob("*.tmp"))
    sd, extra = read_state_dict(path)
    assert sd["fc.weight"].dtype == torch.float16 and extra["meta"]["categories"] == list("abcde")
    lm = load_model("plain20", path)
    assert lm.meta.categories == list("abcde") and lm.meta.num_classes == 5
    assert lm.model.fc.weight.dtype == torch.float32
    assert torch.allclose(lm.model.fc.weight, m.fc.weight, atol=1e-3)
    with pytest.raises(WeightsError, match="is for plain20, not resnet20"):
        load_model("resnet20", path)


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    m = build_model("resnet20")
    meta = ModelMeta(arch="resnet20", num_classes=10, categories=None, input_size=32, resize_size=32)
    path = save_checkpoint(m, meta, tmp_path / "ckpt")
    before = path.read_bytes()

    def crash(*a, **k):
        raise KeyboardInterrupt("killed while saving")

    monkeypatch.setattr("safetensors.torch.save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(build_model("resnet20"), meta, tmp_path / "ckpt")
    assert path.read_bytes() == before
    assert load_model("resnet20", path).meta.arch == "resnet20"
    assert not list(tmp_path.glob("*.tmp"))


def test_random_weights_and_options():
    lm = load_model("plain56", "random", norm="none", init="xavier")
    assert lm.meta.options == {"norm": "none", "init": "xavier"} and lm.meta.source == "random initialisation"
