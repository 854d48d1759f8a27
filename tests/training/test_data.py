"""Training-time data: the per-image crop-and-flip augmentation."""

from __future__ import annotations

import torch

from resnet_viz.training.data import augment


def test_augment_is_a_per_image_crop_and_flip():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.uint8).reshape(2, 3, 8, 8)
    g = torch.Generator().manual_seed(0)
    out = augment(x, g, pad=2)
    assert out.shape == x.shape and out.dtype == torch.uint8
    # every output is a shifted (possibly flipped) window of its own zero-padded input
    for i in range(2):
        xp = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
        found = any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(-1))
                    for dy in range(5) for dx in range(5) for w in [xp[:, dy:dy + 8, dx:dx + 8]])
        assert found
