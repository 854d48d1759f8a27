"""Reusable widgets: the image source picker and the model-pair picker.

Their option values stay English (the URL's query parameters, the tests' ``set_value``, links from other pages);
what a student reads is translated: the image sources and samples through ``format_func``, the pair labels
because they are ``Msg`` (a ``str`` whose value is the English label, drawn in the session's language).
"""

from __future__ import annotations

import streamlit as st
from PIL import Image

from resnet_viz.data.images import SUPPORTED_TYPES, ImageError, load_image
from resnet_viz.data.samples import load_sample, sample_label, sample_names
from resnet_viz.i18n import N_, Msg, _
from resnet_viz.models.weights import REFERENCE_FILES, available_weights
from resnet_viz.ui.access import upload_allowed

UNTRAINED = "untrained (random initialisation)"  # in the English label of the untrained pair
# TRANSLATORS: where the picked image comes from: a sample photo, a file the student uploads, or their camera
SOURCES = [N_("sample"), N_("upload"), N_("camera")]


def image_picker(key: str) -> tuple[Image.Image | None, str]:
    """Sample gallery, upload or camera; returns (RGB image or None, a caption). Bad files get a message."""
    source = st.radio(_("Image"), SOURCES, format_func=_, horizontal=True, key=f"{key}_source",
                      bind="query-params")
    if source == "sample":
        name = st.selectbox(_("Sample"), sample_names(), format_func=sample_label, key=f"{key}_sample",
                            bind="query-params")
        return load_sample(name), sample_label(name)
    f = (st.file_uploader(_("Upload an image"), type=SUPPORTED_TYPES, key=f"{key}_upload") if source == "upload"
         else st.camera_input(_("Take a picture"), key=f"{key}_camera"))
    if f is None:
        st.caption(_("No image yet: showing the cat sample."))
        return load_sample(sample_names()[0]), sample_label(sample_names()[0])
    if not upload_allowed(f):
        return None, f.name
    try:
        return load_image(f.getvalue()), f.name
    except ImageError as e:
        st.error(f"{f.name}: {e}", icon=":material/error:")
        return None, f.name


def model_pairs() -> dict[str, tuple[tuple[str, str], ...]]:
    """Label -> ((arch, weights), ...): ResNet first, its plain twin second where a trained twin exists.

    Only what can be loaded right now (offline included) is offered; untrained twins come last. The labels are
    ``Msg``: equal to the English label (the widget's value), shown in the session's language.
    """
    pairs: dict[str, tuple[tuple[str, str], ...]] = {}
    for d in (20, 56, 32, 44, 110):
        res, plain = available_weights(f"resnet{d}"), available_weights(f"plain{d}")
        if "shipped" in res and "shipped" in plain:
            pairs[Msg("CIFAR-10 ResNet-{d} vs Plain-{d} (trained by resnet-viz)", d=d)] = (
                (f"resnet{d}", "shipped"), (f"plain{d}", "shipped"))
    for arch in REFERENCE_FILES:
        if "reference" in available_weights(arch):
            pairs[Msg("CIFAR-10 ResNet-{d} (reference checkpoint, no plain twin)", d=int(arch[6:]))] = (
                (arch, "reference"),)
    for d in (18, 34, 50, 101, 152):
        if "DEFAULT" in available_weights(f"resnet{d}"):
            pairs[Msg("ImageNet ResNet-{d} (torchvision; plain twin untrained)", d=d)] = (
                (f"resnet{d}", "DEFAULT"), (f"plain{d}", "random"))
    pairs[Msg("CIFAR-10 ResNet-20 vs Plain-20, untrained (random initialisation)")] = (
        ("resnet20", "random"), ("plain20", "random"))
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
            if where == "your data":  # the English value "Your data <tag>: ..." is what yourdata_results looks for
                # TRANSLATORS: a pair of networks trained on the student's data; {tag} names the training run
                label = Msg("Your data {tag}: {resnet} vs {plain}", tag=tag, resnet=run_label(res),
                            plain=run_label(plain))
            else:
                # TRANSLATORS: a pair of networks from the server's saved runs; {tag} names the training run
                label = Msg("Saved run {tag}: {resnet} vs {plain}", tag=tag, resnet=run_label(res),
                            plain=run_label(plain))
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
    # format_func=str: a label is a Msg, str() gives it in the session's language (the value stays the English one)
    label = st.selectbox(_("Networks"), list(pairs), format_func=str, key=f"{key}_pair", bind="query-params")
    missing = missing_imagenet()
    if missing:
        from resnet_viz.env import hub_checkpoint_dir

        st.caption(_("ImageNet ResNets are offered when their torchvision weights are in the torch hub cache; missing "
                     "here: {files}. They download automatically when online, or copy them into `{folder}`.",
                     files=", ".join(missing), folder=hub_checkpoint_dir()))
    if UNTRAINED in label:
        st.caption(_("No trained weights are available here: these nets are untrained, so their feature maps show "
                     "structure from random filters only."))
    return pairs[label]
