"""What a model sees of a picked image: its preprocessing, the image it saw, PNG bytes and cache keys."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from resnet_viz.models.weights import load_model
from resnet_viz.ui.inputs import decoded_image, image_key, model_input, png_bytes, seen_image


@pytest.fixture(scope="module")
def cat() -> Image.Image:
    return Image.fromarray(skdata.chelsea())


def test_model_input_is_the_models_own_preprocessing_and_seen_image_inverts_it(cat):
    lm = load_model("resnet20", weights="random")
    x = model_input(lm, cat)
    assert tuple(x.shape) == (1, 3, 32, 32)  # the CIFAR net's own input size, from its metadata
    seen = seen_image(lm, x)
    assert seen.shape == (32, 32, 3) and seen.dtype == np.uint8
    # Undoing the normalisation gives back the resized, centre-cropped photo (up to resampling), not the
    # normalised tensor (whose values are around 0, which would show as a black image).
    w, h = cat.size
    short = cat.resize((round(32 * w / h), 32), Image.BILINEAR)  # the shorter side to 32 px
    left = (short.width - 32) // 2
    expected = np.asarray(short.crop((left, 0, left + 32, 32)), dtype=float)
    assert np.abs(seen.astype(float) - expected).mean() < 8
    assert seen.mean() > 60


def test_png_bytes_round_trip_and_decoded_image_is_rgb(cat):
    png = png_bytes(cat)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), np.asarray(cat))
    back = decoded_image(png_bytes(cat.convert("L")))
    assert back.mode == "RGB" and back.size == cat.size


def test_image_key_tells_images_apart_and_is_stable(cat):
    assert image_key(cat) == image_key(cat.copy())
    assert image_key(cat) != image_key(cat.transpose(Image.FLIP_LEFT_RIGHT))
    assert image_key(cat.resize((10, 10))) != image_key(cat.resize((10, 11)))
