"""Reusable widgets: the image source picker and the model-pair picker."""

from __future__ import annotations

import streamlit as st
from PIL import Image

from resnet_viz.data.images import SUPPORTED_TYPES, ImageError, load_image
from resnet_viz.data.samples import load_sample, sample_names
from resnet_viz.models.weights import REFERENCE_FILES, available_weights
from resnet_viz.ui.access import upload_allowed

UNTRAINED = "untrained (random initialisation)"


def image_picker(key: str) -> tuple[Image.Image | None, str]:
    """Sample gallery, upload or camera; returns (RGB image or None, a caption). Bad files get a message."""
    source = st.radio("Image", ["sample", "upload", "camera"], horizontal=True, key=f"{key}_source",
                      bind="query-params")
    if source == "sample":
        name = st.selectbox("Sample", sample_names(), key=f"{key}_sample", bind="query-params")
        return load_sample(name), name
    f = (st.file_uploader("Upload an image", type=SUPPORTED_TYPES, key=f"{key}_upload") if source == "upload"
         else st.camera_input("Take a picture", key=f"{key}_camera"))
    if f is None:
        st.caption("No image yet: showing the cat sample.")
        return load_sample(sample_names()[0]), sample_names()[0]
    if not upload_allowed(f):
        return None, f.name
    try:
        return load_image(f.getvalue()), f.name
    except ImageError as e:
        st.error(f"{f.name}: {e}", icon=":material/error:")
        return None, f.name


def model_pairs() -> dict[str, tuple[tuple[str, str], ...]]:
    """Label -> ((arch, weights), ...): ResNet first, its plain twin second where a trained twin exists.

    Only what can be loaded right now (offline included) is offered; untrained twins come last.
    """
    pairs: dict[str, tuple[tuple[str, str], ...]] = {}
    for d in (20, 56, 32, 44, 110):
        res, plain = available_weights(f"resnet{d}"), available_weights(f"plain{d}")
        if "shipped" in res and "shipped" in plain:
            pairs[f"CIFAR-10 ResNet-{d} vs Plain-{d} (trained by resnet-viz)"] = (
                (f"resnet{d}", "shipped"), (f"plain{d}", "shipped"))
    for arch in REFERENCE_FILES:
        if "reference" in available_weights(arch):
            pairs[f"CIFAR-10 ResNet-{arch[6:]} (reference checkpoint, no plain twin)"] = ((arch, "reference"),)
    for d in (18, 34, 50, 101, 152):
        if "DEFAULT" in available_weights(f"resnet{d}"):
            pairs[f"ImageNet ResNet-{d} (torchvision; plain twin untrained)"] = (
                (f"resnet{d}", "DEFAULT"), (f"plain{d}", "random"))
    pairs[f"CIFAR-10 ResNet-20 vs Plain-20, {UNTRAINED}"] = (("resnet20", "random"), ("plain20", "random"))
    pairs.update(user_pairs())
    return pairs


def user_pairs() -> dict[str, tuple[tuple[str, str], ...]]:
    """Twins trained on users' data: this session's own (Your data page), then the shared run store's."""
    from resnet_viz.runs.store import runs_root
    from resnet_viz.runs.twins import run_label, twin_runs
    from resnet_viz.ui.common import session_scratch

    out: dict[str, tuple[tuple[str, str], ...]] = {}
    scr = session_scratch()
    for where, root in (("your data", scr.runs if scr else None), ("saved run", runs_root())):
        if root is None:
            continue
        for tag, res, plain in twin_runs(root):
            if where == "saved run" and tag.startswith("live-"):
                continue  # the Degradation page's demo sets are shown there
            label = f"{where.capitalize()} {tag}: {run_label(res)} vs {run_label(plain)}"
            out[label] = ((res.config.get("model", "resnet"), str(res.checkpoint)),
                          (plain.config.get("model", "plain"), str(plain.checkpoint)))
    return out


@st.cache_data(ttl=60, show_spinner=False)
def missing_imagenet() -> list[str]:
    """File names of torchvision ResNet weights that are not in the cache."""
    from resnet_viz.models.registry import get_info
    from resnet_viz.models.weights import torchvision_cached_path, torchvision_weights

    return [torchvision_cached_path(torchvision_weights(get_info(f"resnet{d}"))).name for d in (18, 34, 50, 101, 152)
            if "DEFAULT" not in available_weights(f"resnet{d}")]


def image_and_pair(key: str):
    """The image picker (left) and the model-pair picker (right) that the image pages share.

    Returns ``(image or None, caption, pair, right column)``; a page can add more to the column.
    """
    left, right = st.columns([1, 1])
    with left:
        image, caption = image_picker(key)
    with right:
        pair = model_pair_picker(key)
    return image, caption, pair, right


def model_pair_picker(key: str) -> tuple[tuple[str, str], ...]:
    pairs = model_pairs()
    label = st.selectbox("Networks", list(pairs), key=f"{key}_pair", bind="query-params")
    missing = missing_imagenet()
    if missing:
        from resnet_viz.env import hub_checkpoint_dir

        st.caption(f"ImageNet ResNets are offered when their torchvision weights are in the torch hub cache; missing "
                   f"here: {', '.join(missing)}. They download automatically when online, or copy them into "
                   f"`{hub_checkpoint_dir()}`.")
    if UNTRAINED in label:
        st.caption("No trained weights are available here: these nets are untrained, so their feature maps show "
                   "structure from random filters only.")
    return pairs[label]
