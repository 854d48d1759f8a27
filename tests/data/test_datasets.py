"""Data-set specs (``shapes``, ``imagefolder:PATH``, ``cifar10``) and ``describe_dataset``, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from resnet_viz.data.datasets import DataUnavailable, describe_dataset, get_dataset, parse_data_spec
from resnet_viz.data.shapes import SHAPES_CLASSES, ShapesDataset

pytestmark = pytest.mark.usefixtures("no_network")


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("shapes", ("shapes", None)),
        ("shapes:300", ("shapes", "300")),
        (" Shapes:12 ", ("shapes", "12")),
        ("cifar10", ("cifar10", None)),
        ("CIFAR-10", ("cifar10", None)),
        ("imagefolder:/data/pets", ("imagefolder", "/data/pets")),
        ("imagefolder:C:\\data\\pets", ("imagefolder", "C:\\data\\pets")),
    ],
)
def test_parse_data_spec(spec: str, parsed: tuple[str, str | None]):
    assert parse_data_spec(spec) == parsed


BAD_SPECS = ["", "mnist", "shapes:abc", "shapes:0", "imagefolder", "imagefolder:", "cifar10:x"]


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_bad_spec_raises_value_error_listing_forms(spec: str):
    with pytest.raises(ValueError, match="shapes.*cifar10.*imagefolder:PATH"):
        get_dataset(spec)


def test_get_dataset_shapes():
    test = get_dataset("shapes")
    assert isinstance(test, ShapesDataset) and len(test) == 1000 and test.split == "test"
    assert len(get_dataset("shapes", "train")) == 5000
    small = get_dataset("shapes:40", "train", transform=np.asarray)
    assert len(small) == 40 and small[0][0].shape == (32, 32, 3)
    assert get_dataset("shapes:10", "val").split == "test"
    with pytest.raises(ValueError, match="split"):
        get_dataset("shapes", "everything")


def make_imagefolder(root: Path, classes: dict[str, int]) -> None:
    for k, (name, count) in enumerate(classes.items()):
        (root / name).mkdir(parents=True)
        for j in range(count):
            Image.new("RGB", (8, 8), (40 * k, 10 * j, 0)).save(root / name / f"{j}.png")


def test_get_dataset_imagefolder_without_split_holds_out_a_stratified_test_split(tmp_path: Path):
    make_imagefolder(tmp_path, {"cat": 10, "dog": 5})
    train, test = (get_dataset(f"imagefolder:{tmp_path}", split) for split in ("train", "test"))
    assert train.classes == test.classes == ["cat", "dog"]
    assert describe_dataset(train)["counts"] == {"cat": 8, "dog": 4}
    assert describe_dataset(test)["counts"] == {"cat": 2, "dog": 1}  # 20 % of each class
    assert not {p for p, _ in train.samples} & {p for p, _ in test.samples}
    img, label = test[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and label == 1
    again = get_dataset(f"imagefolder:{tmp_path}", "test")
    assert again.samples == test.samples  # seeded: the same split every time


def test_get_dataset_imagefolder_with_split(tmp_path: Path):
    make_imagefolder(tmp_path / "train", {"a": 4, "b": 4})
    make_imagefolder(tmp_path / "test", {"a": 1, "b": 2})
    assert len(get_dataset(f"imagefolder:{tmp_path}", "train")) == 8
    test = get_dataset(f"imagefolder:{tmp_path}", "test", transform=np.asarray)
    assert len(test) == 3 and test.classes == ["a", "b"] and test[0][0].shape == (8, 8, 3)


def test_get_dataset_imagefolder_does_not_follow_links_out_of_the_folder(tmp_path: Path):
    """torchvision's ImageFolder follows symbolic links: a link to an image (or a folder) outside the data folder
    is not one of its images (a server folder cannot be used to read files elsewhere)."""
    data, outside = tmp_path / "data", tmp_path / "private"
    make_imagefolder(data / "train", {"a": 3, "b": 3})
    make_imagefolder(data / "test", {"a": 1, "b": 1})
    make_imagefolder(outside, {"secret": 2})
    (data / "train" / "a" / "link.png").symlink_to(next((outside / "secret").iterdir()))
    (data / "train" / "b" / "more").symlink_to(outside / "secret", target_is_directory=True)
    (data / "train" / "a" / "inside.png").symlink_to(next((data / "train" / "b").glob("*.png")))  # stays inside
    train = get_dataset(f"imagefolder:{data}", "train")
    assert len(train) == 7
    assert not any("private" in str(Path(p).resolve()) for p, _ in train.samples)


def test_get_dataset_imagefolder_val_stands_in_for_test(tmp_path: Path):
    make_imagefolder(tmp_path / "train", {"a": 2})
    make_imagefolder(tmp_path / "val", {"a": 1})
    assert len(get_dataset(f"imagefolder:{tmp_path}", "test")) == 1


def test_get_dataset_imagefolder_train_alone_is_split_and_test_alone_refused(tmp_path: Path):
    make_imagefolder(tmp_path / "a" / "train", {"x": 5, "y": 5})
    assert len(get_dataset(f"imagefolder:{tmp_path / 'a'}", "train")) == 8
    assert len(get_dataset(f"imagefolder:{tmp_path / 'a'}", "test")) == 2
    make_imagefolder(tmp_path / "b" / "test", {"x": 2})
    with pytest.raises(DataUnavailable, match="no 'train' folder"):
        get_dataset(f"imagefolder:{tmp_path / 'b'}", "train")


def test_get_dataset_imagefolder_missing_or_empty(tmp_path: Path):
    with pytest.raises(DataUnavailable, match="does not exist"):
        get_dataset(f"imagefolder:{tmp_path / 'nowhere'}")
    with pytest.raises(DataUnavailable, match="No class folders"):
        get_dataset(f"imagefolder:{tmp_path}")
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "readme.txt").write_text("no images here")
    with pytest.raises(DataUnavailable, match="No class folders"):
        get_dataset(f"imagefolder:{tmp_path}")


def test_cifar10_offline_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RESNET_VIZ_OFFLINE", "1")
    with pytest.raises(DataUnavailable) as info:
        get_dataset("cifar10", "test", root=str(tmp_path))
    message = str(info.value)
    needles = [str(tmp_path), "cifar-10-batches-py", "cifar-10-python.tar.gz", "imagefolder:PATH", "'shapes'"]
    assert all(needle in message for needle in needles), message


def test_cifar10_uses_env_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RESNET_VIZ_OFFLINE", "1")
    monkeypatch.setenv("RESNET_VIZ_DATA", str(tmp_path / "cache"))
    with pytest.raises(DataUnavailable, match=str(tmp_path / "cache")):
        get_dataset("cifar10")


def test_cifar10_download_false(tmp_path: Path):
    with pytest.raises(DataUnavailable, match="download=False"):
        get_dataset("cifar10", root=tmp_path, download=False)


def test_cifar10_unreachable_host_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls = []

    def unreachable(address, timeout=None):
        calls.append((address, timeout))
        raise OSError("network is unreachable")

    monkeypatch.setattr("socket.create_connection", unreachable)
    with pytest.raises(DataUnavailable, match="cannot reach"):
        get_dataset("cifar10", "train", root=tmp_path)
    assert len(calls) == 1 and calls[0][1] is not None and calls[0][1] <= 5


def test_cifar10_corrupted_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RESNET_VIZ_OFFLINE", "1")
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch", "batches.meta"]:
        (folder / name).write_bytes(b"not a pickle")
    with pytest.raises(DataUnavailable, match="imagefolder:PATH"):
        get_dataset("cifar10", root=tmp_path)


def test_describe_dataset_shapes_and_subset():
    ds = ShapesDataset(12)
    info = describe_dataset(ds)
    assert info["n_images"] == 12 and info["classes"] == SHAPES_CLASSES
    assert info["counts"] == {"circle": 3, "square": 3, "triangle": 2, "cross": 2, "ring": 2}
    sub = describe_dataset(torch.utils.data.Subset(ds, [0, 5, 1]))
    assert sub["n_images"] == 3
    assert sub["counts"] == {"circle": 2, "square": 1, "triangle": 0, "cross": 0, "ring": 0}
