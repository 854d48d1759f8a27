"""Turning a picked image into what a model sees, cached per (model, image)."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import streamlit as st
import torch
from PIL import Image

from resnet_viz.ui.common import get_model


def image_key(image: Image.Image) -> str:
    return hashlib.sha1(image.tobytes() + str(image.size).encode()).hexdigest()


def model_input(lm, image: Image.Image) -> torch.Tensor:
    return lm.transforms()(image).unsqueeze(0).to(lm.device)  # (1, 3, S, S)


def seen_image(lm, x: torch.Tensor) -> np.ndarray:
    """The preprocessed input as an RGB uint8 array: what the model actually saw."""
    mean = torch.tensor(lm.meta.mean).view(3, 1, 1)
    std = torch.tensor(lm.meta.std).view(3, 1, 1)
    img = (x[0].detach().cpu() * std + mean).clamp(0, 1)
    return (img.permute(1, 2, 0).numpy() * 255).astype(np.uint8)


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def loaded_pair(pair: tuple[tuple[str, str], ...]):
    return [get_model(arch, weights) for arch, weights in pair]


@st.cache_data(max_entries=64, show_spinner=False)
def decoded_image(png: bytes) -> Image.Image:
    """The RGB image behind PNG bytes, cached (a rerun does not decode the same upload again)."""
    return Image.open(io.BytesIO(png)).convert("RGB")
