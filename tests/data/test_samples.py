"""``resnet_viz.data.samples``: the sample images the app offers (scikit-image photos, shapes, and CIFAR-10 test
images when a local copy exists), each an RGB PIL image."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from resnet_viz.data import samples
from resnet_viz.data.samples import PHOTOS, load_sample, photo, sample_names, shape_sample
from resnet_viz.data.shapes import SHAPES_CLASSES, ShapesDataset


def test_sample_names_without_cifar():
    # the tests' cache holds no CIFAR-10 copy (and nothing is downloaded): photos and three shapes only
    assert sample_names() == ["cat (chelsea)", "coffee cup", "astronaut", "rocket", "shapes #0", "shapes #1",
                              "shapes #2"]


@pytest.mark.parametrize("name", ["cat (chelsea)", "coffee cup", "astronaut", "rocket", "shapes #0", "shapes #2"])
def test_every_sample_loads_as_rgb(name):
    img = load_sample(name)
    assert isinstance(img, Image.Image) and img.mode == "RGB"
    assert min(img.size) >= 32
    assert np.array(img).std() > 0  # a real picture, not a blank


def test_the_cat_is_scikit_images_chelsea():
    cat = load_sample("cat (chelsea)")
    assert np.array_equal(np.array(cat), skdata.chelsea())
    assert photo("cat (chelsea)") is cat  # decoded once
    assert np.array_equal(np.array(load_sample("coffee cup")), skdata.coffee())


def test_grey_photo_becomes_three_equal_channels(monkeypatch):
    monkeypatch.setitem(PHOTOS, "cameraman (test)", "camera")
    try:
        img = photo("cameraman (test)")
    finally:
        photo.cache_clear()
    arr = np.array(img)
    assert img.mode == "RGB" and arr.shape == (*skdata.camera().shape, 3)
    assert np.array_equal(arr[..., 0], skdata.camera()) and np.array_equal(arr[..., 0], arr[..., 2])


def test_shape_samples_are_the_test_split_and_wrap_around():
    ds = ShapesDataset(50, size=64, seed=0, split="test")
    img, label = shape_sample(3)
    assert label in SHAPES_CLASSES and label == ds.classes[ds[3][1]]
    assert img.size == (64, 64) and np.array_equal(np.array(img), np.array(ds[3][0]))
    assert np.array_equal(np.array(shape_sample(53)[0]), np.array(img))
    assert np.array_equal(np.array(load_sample("shapes #3")), np.array(img))


def test_cifar_samples_appear_when_a_copy_is_found(monkeypatch):
    fake = ShapesDataset(60, size=32, seed=1, split="test")  # stands in for the CIFAR-10 test set
    monkeypatch.setattr(samples, "_cifar", [fake])
    names = sample_names()
    cifar = [n for n in names if n.startswith("CIFAR-10 test #")]
    assert len(cifar) == 10 and cifar[1] == f"CIFAR-10 test #5 ({fake.classes[fake.targets[5]]})"
    img = load_sample(cifar[1])
    assert img.mode == "RGB" and np.array_equal(np.array(img), np.array(fake[5][0]))


def test_unknown_sample_is_a_key_error():
    with pytest.raises(KeyError):
        load_sample("a dog")
