"""Sample images that ship with the app's dependencies: real photos from scikit-image, built-in
``shapes``, and CIFAR-10 test images when a local copy is available."""

from __future__ import annotations

import functools

from PIL import Image

from resnet_viz.i18n import N_, _

# sample name (English: a URL value, a key) -> scikit-image's function; sample_label shows a name translated
PHOTOS = {
    # TRANSLATORS: a sample photo (Chelsea is the cat's name)
    N_("cat (chelsea)"): "chelsea",
    N_("coffee cup"): "coffee",
    N_("astronaut"): "astronaut",
    N_("rocket"): "rocket",
}


@functools.lru_cache(maxsize=16)
def photo(name: str) -> Image.Image:
    import numpy as np
    from skimage import data as skdata

    arr = getattr(skdata, PHOTOS[name])()
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, -1)
    return Image.fromarray(arr[..., :3]).convert("RGB")


def shape_sample(i: int) -> tuple[Image.Image, str]:
    from resnet_viz.data.shapes import ShapesDataset

    ds = ShapesDataset(50, size=64, seed=0, split="test")
    img, label = ds[i % len(ds)]
    return img, ds.classes[label]


_cifar: list = []  # the CIFAR-10 test set once found (a missing copy is looked for again next time)


def _cifar_test():
    """The CIFAR-10 test set when it is already on disk (never downloads), else None."""
    from resnet_viz.data.datasets import DataUnavailable, get_dataset

    if not _cifar:
        try:
            _cifar.append(get_dataset("cifar10", "test", download=False))
        except (DataUnavailable, OSError, ValueError):
            return None
    return _cifar[0]


def sample_names() -> list[str]:
    names = list(PHOTOS) + [f"shapes #{i}" for i in range(3)]
    ds = _cifar_test()
    if ds is not None:
        names += [f"CIFAR-10 test #{i} ({ds.classes[ds.targets[i]]})" for i in range(0, 50, 5)]
    return names


def sample_label(name: str) -> str:
    """A sample's name as shown in the current language (``sample_names`` are English: URL values and keys).
    The CIFAR-10 class name in a test image's name stays English, as in the model's predictions."""
    if name in PHOTOS:
        return _(name)
    if name.startswith("shapes #"):
        return _("shapes #{i}", i=int(name.split("#")[1]))
    if name.startswith("CIFAR-10 test #"):
        number, _sep, cls = name.split("#")[1].partition(" ")
        return _("CIFAR-10 test #{i} ({cls})", i=int(number), cls=cls.strip("()"))
    return name


def load_sample(name: str) -> Image.Image:
    if name in PHOTOS:
        return photo(name)
    if name.startswith("shapes #"):
        return shape_sample(int(name.split("#")[1]))[0]
    if name.startswith("CIFAR-10 test #"):
        return _cifar_test()[int(name.split("#")[1].split()[0])][0]
    raise KeyError(name)
