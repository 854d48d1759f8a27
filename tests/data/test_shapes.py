"""The procedural shapes data set: deterministic, balanced, boxes where the shapes are."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

from resnet_viz.data.shapes import SHAPES_CLASSES, ShapesDataset, shapes_arrays

pytestmark = pytest.mark.usefixtures("no_network")


def pixels(ds: ShapesDataset, i: int) -> np.ndarray:
    img, _ = ds[i]
    return np.asarray(img)


def digest(arr: np.ndarray) -> str:
    return hashlib.sha1(arr.tobytes()).hexdigest()


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
