"""Shapes data set, data-set specs and ``describe_dataset`` (no network, no downloaded files)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from resnet_viz.data.datasets import (
    SHAPES_CLASSES,
    DataUnavailable,
    ShapesDataset,
    describe_dataset,
    get_dataset,
    parse_data_spec,
    shapes_arrays,
)


def pixels(ds: ShapesDataset, i: int) -> np.ndarray:
    img, _ = ds[i]
    return np.asarray(img)


def digest(arr: np.ndarray) -> str:
    return hashlib.sha1(arr.tobytes()).hexdigest()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch):
    """Any attempt to open a socket is a test failure unless a test overrides it."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr("socket.create_connection", refuse)
    monkeypatch.delenv("RESNET_VIZ_DATA", raising=False)
    monkeypatch.delenv("RESNET_VIZ_OFFLINE", raising=False)


# --- shapes -------------------------------------------------------------------------------------


def test_shapes_items_are_pil_rgb_with_int_labels():
    ds = ShapesDataset(10, size=32)
    img, label = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    assert label == 3 and ds.targets[3] == 3
    assert ds.classes == SHAPES_CLASSES == ["circle", "square", "triangle", "cross", "ring"]
    assert ds.class_to_idx == {name: k for k, name in enumerate(SHAPES_CLASSES)}
    assert ShapesDataset(2, size=48)[0][0].size == (48, 48)


def test_shapes_transform_is_applied():
    ds = ShapesDataset(4, transform=lambda im: torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1))
    x, y = ds[1]
    assert isinstance(x, torch.Tensor) and x.shape == (3, 32, 32) and y == 1
    batch_x, batch_y = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert batch_x.shape == (4, 3, 32, 32) and batch_y.tolist() == [0, 1, 2, 3]


def test_shapes_deterministic_from_seed():
    a, b, c = ShapesDataset(20, seed=7), ShapesDataset(20, seed=7), ShapesDataset(20, seed=8)
    for i in range(20):
        assert np.array_equal(pixels(a, i), pixels(b, i))
        assert a.bbox(i) == b.bbox(i)
    assert sum(np.array_equal(pixels(a, i), pixels(c, i)) for i in range(20)) == 0
    # random access: reading in reverse gives the same pixels
    assert np.array_equal(pixels(a, 19), pixels(ShapesDataset(20, seed=7), 19))


def test_shapes_arrays_match_dataset():
    images, labels = shapes_arrays(12, 32, 5, "test")
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.tolist() == [i % 5 for i in range(12)]
    ds = ShapesDataset(12, seed=5, split="test")
    for i in range(12):
        assert np.array_equal(images[i], pixels(ds, i))


def test_shapes_labels_balanced():
    ds = ShapesDataset(500)
    assert np.bincount(ds.targets).tolist() == [100] * len(SHAPES_CLASSES)
    assert [ds[i][1] for i in range(10)] == ds.targets[:10]


def test_train_and_test_splits_do_not_share_images():
    train, _ = shapes_arrays(300, 32, 0, "train")
    test, _ = shapes_arrays(300, 32, 0, "test")
    train_hashes = {digest(x) for x in train}
    assert len(train_hashes) == 300
    assert not train_hashes & {digest(x) for x in test}


def test_bbox_inside_image_and_shape_concentrated_in_it():
    size = 32
    ds = ShapesDataset(100, size=size, seed=1)
    inside_fraction, fill = [], []
    for i in range(len(ds)):
        img, label, (x0, y0, x1, y1) = ds.sample(i)
        assert ds.bbox(i) == (x0, y0, x1, y1) and label == ds.targets[i]
        assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size
        assert 0.25 * size <= x1 - x0 <= 0.75 * size and x1 - x0 == y1 - y0
        arr = np.asarray(img).astype(float)
        in_box = np.zeros((size, size), bool)
        in_box[y0:y1, x0:x1] = True
        background = np.median(arr[~in_box], axis=0) if (~in_box).any() else arr[0, 0]
        differs = np.linalg.norm(arr - background, axis=-1) > 60
        inside_fraction.append(differs[in_box].sum() / max(differs.sum(), 1))
        fill.append(differs[in_box].mean())
    assert np.mean(inside_fraction) > 0.95 and min(inside_fraction) > 0.7
    assert min(fill) > 0.25  # every box really holds a shape


def test_crop_to_bbox():
    img, _, box = ShapesDataset(3).sample(2)
    assert img.crop(box).size == (box[2] - box[0], box[3] - box[1])


def test_shapes_arrays_shape_and_dtype():
    imgs, labels = shapes_arrays(20, 32, 0, "train")
    assert imgs.shape == (20, 32, 32, 3) and imgs.dtype == np.uint8 and labels.tolist() == [i % 5 for i in range(20)]


def test_shapes_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        ShapesDataset(5, split="validation")
    with pytest.raises(IndexError):
        ShapesDataset(5)[5]


# --- specs --------------------------------------------------------------------------------------


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
