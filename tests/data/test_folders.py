"""Folders of the user's images: layouts, warnings, the stratified split, the ImageFolder-like data set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from resnet_viz.data.datasets import describe_dataset
from resnet_viz.data.folders import UserDataError, UserImageFolder, scan_folder, stratified_split
from tests.helpers import image_bytes, write_folder


def test_scan_classes_layout_with_wrapper_and_junk(tmp_path: Path):
    write_folder(tmp_path / "wrap" / "inner", {"a": 10, "b": 12})
    (tmp_path / "wrap" / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "wrap" / "inner" / "a" / "README.md").write_text("hello")
    (tmp_path / "wrap" / "inner" / "stray.png").write_bytes(image_bytes((0, 0, 0)))
    (tmp_path / "wrap" / "inner" / "b" / "nested").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "wrap" / "inner" / "b" / "nested" / "deep.png")
    report = scan_folder(tmp_path)
    assert report.ok and report.base == tmp_path / "wrap" / "inner" and report.layout == "classes"
    assert report.classes == ["a", "b"] and report.counts() == {"all": {"a": 10, "b": 13}}
    skipped = dict(report.skipped)
    assert skipped["wrap/inner/a/README.md"] == "not an image file (.md)"
    assert skipped["wrap/inner/stray.png"] == "not inside a class folder"
    assert ".DS_Store" not in str(report.skipped)
    assert "b/nested/deep.png" in {s.path for s in report.samples}
    assert report.summary().startswith("23 images in 2 classes")


def test_scan_train_test_layout_and_class_mismatch(tmp_path: Path):
    write_folder(tmp_path / "train", {"a": 10, "b": 10, "c": 10})
    write_folder(tmp_path / "test", {"a": 3, "b": 2, "d": 2})
    report = scan_folder(tmp_path)
    assert report.ok and report.layout == "train/test" and report.classes == ["a", "b", "c"]
    assert report.counts() == {"train": {"a": 10, "b": 10, "c": 10}, "test": {"a": 3, "b": 2, "c": 0}}
    assert any("differ between train/ and test/" in w and "only in train/: c" in w and "only in test/: d" in w
               for w in report.warnings)
    assert dict(report.skipped)["test/d/00.png"] == "class 'd' has no training images"
    train, test = UserImageFolder(report, "train"), UserImageFolder(report, "val")
    assert len(train) == 30 and len(test) == 5 and test.split == "test"
    assert train.classes == test.classes == ["a", "b", "c"]
    assert test.targets == [0, 0, 0, 1, 1]
    assert all("/test/" in path for path, _ in test.samples)


def test_scan_warnings_and_errors(tmp_path: Path):
    write_folder(tmp_path / "unbalanced", {"big": 40, "small": 5})
    report = scan_folder(tmp_path / "unbalanced")
    assert report.ok
    assert any("fewer than 10 images: small (5)" in w for w in report.warnings)
    assert any("unbalanced" in w and "'big' has 40" in w for w in report.warnings)

    write_folder(tmp_path / "one", {"only": 12})
    (tmp_path / "one" / "other").mkdir()
    (tmp_path / "one" / "other" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    report = scan_folder(tmp_path / "one")
    assert not report.ok and "Only one class ('only')" in report.errors[0]
    assert any("'other/' has no readable images" in w for w in report.warnings)
    with pytest.raises(UserDataError, match="at least 2 class folders"):
        UserImageFolder(report)

    (tmp_path / "empty").mkdir()
    assert "No class folders with images" in scan_folder(tmp_path / "empty").errors[0]
    write_folder(tmp_path / "testonly" / "test", {"a": 2, "b": 2})
    assert "no 'train/' folder" in scan_folder(tmp_path / "testonly").errors[0]
    with pytest.raises(UserDataError, match="does not exist"):
        scan_folder(tmp_path / "nowhere")


def test_scan_refuses_oversized_images_with_reason(tmp_path: Path):
    write_folder(tmp_path, {"a": 10, "b": 10})
    Image.new("RGB", (400, 400)).save(tmp_path / "a" / "huge.png")
    report = scan_folder(tmp_path, max_pixels=100_000)
    assert "more than the limit of 100,000 pixels" in dict(report.skipped)["a/huge.png"]
    assert report.counts() == {"all": {"a": 10, "b": 10}}


def test_stratified_split_properties():
    targets = [0] * 50 + [1] * 7 + [2] * 2 + [3] * 1 + [1] * 3
    train, test = stratified_split(targets, 0.2, seed=0)
    assert sorted(train + test) == list(range(len(targets))) and not set(train) & set(test)
    assert train == sorted(train) and test == sorted(test)
    per_class_test = {c: sum(targets[i] == c for i in test) for c in range(4)}
    assert per_class_test == {0: 10, 1: 2, 2: 1, 3: 0}  # round(n * 0.2), at least 1 when n >= 2
    assert all(any(targets[i] == c for i in train) for c in range(4))  # every class keeps a training image
    assert stratified_split(targets, 0.2, seed=0) == (train, test)
    assert stratified_split(targets, 0.2, seed=1)[1] != test
    # a class's split does not depend on the other classes
    only_zero = stratified_split([0] * 50, 0.2, seed=0)[1]
    assert [i for i in test if targets[i] == 0] == only_zero
    assert len(stratified_split(targets, 0.5)[1]) == 25 + 5 + 1
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="test_fraction"):
            stratified_split(targets, bad)


def test_user_image_folder_holds_out_a_stratified_test_split(tmp_path: Path):
    write_folder(tmp_path, {"a": 10, "b": 15})
    report = scan_folder(tmp_path)
    to_array = np.asarray
    train = UserImageFolder(tmp_path, "train", transform=to_array, seed=3)
    test = UserImageFolder(report, "test", seed=3)
    assert train.classes == test.classes == ["a", "b"] and train.class_to_idx == {"a": 0, "b": 1}
    assert len(train) + len(test) == 25 and {p for p, _ in train.samples}.isdisjoint(p for p, _ in test.samples)
    assert sorted(test.targets) == [0, 0, 1, 1, 1]
    x, y = train[0]
    assert isinstance(x, np.ndarray) and x.shape == (8, 8, 3) and y == train.targets[0]
    img, _ = test[0]
    assert isinstance(img, Image.Image) and img.mode == "RGB"
    assert describe_dataset(test)["counts"] == {"a": 2, "b": 3}
    assert UserImageFolder(report, "test", seed=3).samples == test.samples
    with pytest.raises(ValueError, match="split"):
        UserImageFolder(report, "everything")
