"""The training data in memory: a data set decoded once into uint8 arrays (cached on disk) and augmented on the
training device.

The whole data set is decoded once into a uint8 tensor (N, 3, S, S) and kept on the training device (a few
hundred MB at most); augmentation (pad-S/8 random crop + horizontal flip, per image) runs on that device as
tensor ops, so no JPEG is decoded twice and no worker processes are needed. Decoded arrays are cached on disk
next to the data (beside an unpacked zip, or in the app's cache).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD


@dataclass
class Arrays:
    """A run's training and test images (uint8, on the training device) with their labels and class names."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]


def load_arrays(data: str, size: int, limit_train: int, limit_test: int, device: torch.device) -> Arrays:
    x_train, y_train, classes = dataset_arrays(data, "train", size, limit_train)
    x_test, y_test, _ = dataset_arrays(data, "test", size, limit_test)
    return Arrays(x_train.to(device), y_train.to(device), x_test.to(device), y_test.to(device), classes)


class Normalise:
    """uint8 images -> the nets' input: float, ImageNet mean/std normalised, channels_last."""

    def __init__(self, device: torch.device) -> None:
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1) * 255

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = (x.float() - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last)


def dataset_arrays(spec: str, split: str, size: int, limit: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Decode a data set once into (N, 3, size, size) uint8 + (N,) int64 labels (cached on disk)."""
    from resnet_viz.data.datasets import get_dataset, parse_data_spec
    from resnet_viz.data.shapes import ShapesDataset, shapes_arrays

    kind, arg = parse_data_spec(spec)
    if kind == "shapes":
        n = int(arg) if arg else (5000 if split == "train" else 1000)
        n = min(n, limit) if limit else n
        imgs, labels = shapes_arrays(n, size=size, seed=0, split=split)
        classes = ShapesDataset(1).classes
        return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels), classes
    ds = get_dataset(spec, split)
    classes = list(ds.classes)
    cache = array_cache_path(spec, split, size, ds)
    if cache is not None and cache.is_file():
        with np.load(cache) as z:
            imgs, labels = z["images"], z["labels"]
    else:
        imgs = np.empty((len(ds), size, size, 3), np.uint8)
        labels = np.empty(len(ds), np.int64)
        for i in range(len(ds)):
            im, lab = ds[i]
            if im.size != (size, size):
                from PIL import ImageOps

                im = ImageOps.fit(im, (size, size))
            imgs[i], labels[i] = np.asarray(im.convert("RGB")), lab
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp.npz")
                np.savez(tmp, images=imgs, labels=labels)
                os.replace(tmp, cache)
            except OSError:
                pass
    if limit and limit < len(labels):
        # a class-balanced subset: take images round-robin over classes, in file order
        per_class = [np.flatnonzero(labels == c) for c in range(len(classes))]
        order = [i for group in zip(*per_class) for i in group][:limit]
        imgs, labels = imgs[order], labels[order]
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels), classes


def array_cache_path(spec: str, split: str, size: int, ds) -> Path | None:
    from resnet_viz.data.datasets import parse_data_spec
    from resnet_viz.env import cache_dir

    root = getattr(ds, "root", None)
    if root is None:
        return None
    key = hashlib.sha1(f"{spec}|{os.path.abspath(str(root))}|{split}|{size}|{len(ds)}".encode()).hexdigest()[:16]
    report = getattr(ds, "report", None)
    if parse_data_spec(spec)[0] == "zip" and report is not None:
        # beside the unpacked zip (a session's own folder in the app): deleted with it, never shared
        return Path(report.root).parent / "arrays" / f"{split}-{key}.npz"
    return cache_dir() / "arrays" / f"{split}-{key}.npz"


def augment(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Per-image pad-``pad`` random crop and horizontal flip of a uint8 batch (B, 3, H, W) (He et al.
    pad 4 pixels at 32x32; larger images are padded by the same 1/8 of their side)."""
    b, _, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))  # (B, 3, H+2p, W+2p), zero padding as in the paper
    dy = torch.randint(0, 2 * pad + 1, (b, 1), generator=gen, device=gen.device)
    dx = torch.randint(0, 2 * pad + 1, (b, 1), generator=gen, device=gen.device)
    rows = dy + torch.arange(h, device=x.device)  # (B, H)
    cols = dx + torch.arange(w, device=x.device)  # (B, W)
    flip = torch.rand(b, generator=gen, device=gen.device) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    bi = torch.arange(b, device=x.device)[:, None, None]
    out = xp[bi, :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, 3)
    return out.permute(0, 3, 1, 2)
