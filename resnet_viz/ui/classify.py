"""The sections of the Classify and explain page: a student's own checkpoint (loaded for their session only),
the cached top-5 classification of both networks with the image they saw, and the attribution maps with their
PNG and .npy downloads. The widgets that choose the method, layer and class stay on the page; the sentences come
from ``resnet_viz.lessons.classify``."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile

import numpy as np
import streamlit as st

from resnet_viz.figures.images import overlay, top_classes
from resnet_viz.figures.style import skip_color
from resnet_viz.i18n import _
from resnet_viz.lessons.classify import describe_agreement, describe_predictions, seen_caption
from resnet_viz.models.names import display_name
from resnet_viz.models.registry import list_models
from resnet_viz.probes.activations import residual_blocks
from resnet_viz.probes.attribution import METHOD_NAMES, default_layer, explain, normalise, overlay_image
from resnet_viz.probes.inference import classify
from resnet_viz.ui.access import upload_allowed
from resnet_viz.ui.common import compute_slot, friendly_errors, get_model, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.inputs import png_bytes, seen_image


def user_checkpoint():
    """The "Use your own checkpoint" expander: returns the upload (or None) and, once it loaded, the model
    (kept in this session only, reloaded when the file or the architecture changes)."""
    with st.expander(_("Use your own checkpoint")):
        arch = st.selectbox(_("Architecture"), [m.name for m in list_models() if m.family != "zoo"], key="ce_arch")
        upload = st.file_uploader(_("Checkpoint (.safetensors, .pt, .pth, .th)"), key="ce_ckpt",
                                  type=["safetensors", "pt", "pth", "th"])
        if upload is not None and upload_allowed(upload):
            key = (arch, hashlib.sha1(upload.getvalue()).hexdigest())
            if st.session_state.get("ce_user_key") != key:
                st.session_state.pop("ce_user_model", None)
                suffix = os.path.splitext(upload.name)[1] or ".pt"
                with tempfile.TemporaryDirectory() as tmp, friendly_errors(_("Loading {name}", name=upload.name)):
                    path = os.path.join(tmp, "model" + suffix)
                    with open(path, "wb") as f:
                        f.write(upload.getvalue())
                    from resnet_viz.models.weights import load_model

                    st.session_state["ce_user_model"] = load_model(arch, path)  # this session only
                    st.session_state["ce_user_key"] = key
            if "ce_user_model" in st.session_state:
                st.success(_("Using {name} as {arch} (only in your session).", name=upload.name, arch=arch))
    return upload, (st.session_state.get("ce_user_model") if upload is not None else None)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_classify(model_key: str, png: bytes, _lm):
    from resnet_viz.ui.inputs import decoded_image

    with compute_slot():
        return classify(_lm, decoded_image(png), top=5)


def classify_section(image, pair, user_model) -> dict | None:
    """The top-5 bars of both networks (or of the user's model), the image the first one saw and the takeaway.
    Returns what the explanations need (models, cache keys, predictions, seen images, the PNG), or None when
    classifying failed (the error has been shown)."""
    with friendly_errors(_("Classifying")):
        models = [user_model] if user_model is not None else [get_model(a, w) for a, w in pair]
        keys = ([f"user:{':'.join(st.session_state['ce_user_key'])}"] if user_model is not None
                else [f"{a}:{w}" for a, w in pair])
        img_png = png_bytes(image)
        preds = {lm.meta.arch: cached_classify(k, img_png, lm) for k, lm in zip(keys, models)}
        show_figure(top_classes(preds), width="stretch", key="top5")
        seen = {lm.meta.arch: seen_image(lm, lm.transforms()(image).unsqueeze(0)) for lm in models}
        s1, s2 = st.columns([1, 3])
        first = models[0]
        s1.image(seen[first.meta.arch], caption=str(seen_caption(first.meta.arch, seen[first.meta.arch])), width=180)
        # a model's source is a Msg where load_model wrote it: the f-string draws it in the session's language
        s2.caption(_("Weights: {sources}", sources="; ".join(f"{display_name(lm.meta.arch)}: {lm.meta.source}"
                                                            for lm in models)))
        takeaway(str(describe_predictions(preds)))
        return {"models": models, "keys": keys, "preds": preds, "seen": seen, "png": img_png}
    return None


def layer_options(model) -> tuple[list[str], int]:
    """The layers Grad-CAM can use (every residual block, then the stages) and the default: the last block."""
    blocks = [n for n, _block in residual_blocks(model)]
    stages = sorted({b.split(".")[0] for b in blocks})
    return blocks + [s for s in stages if s not in blocks], len(blocks) - 1 if blocks else 0


@st.cache_data(max_entries=256, show_spinner=False)
def cached_explain(model_key: str, png: bytes, method: str, target, layer, _lm):
    from resnet_viz.ui.inputs import decoded_image

    with compute_slot():
        return explain(_lm, _lm.transforms()(decoded_image(png)).unsqueeze(0), method, target=target, layer=layer)


def explain_section(res: dict, method: str, target, layer, opacity: float, colorscale: str) -> None:
    """One attribution map per network, side by side with its downloads, and how far the two agree."""
    with friendly_errors(_("Explaining")):
        maps = {}
        with st.spinner(f"{_(METHOD_NAMES[method])}..."):
            for k, lm in zip(res["keys"], res["models"]):
                lay = layer if layer in dict(lm.model.named_modules()) else default_layer(lm.model)
                maps[lm.meta.arch] = cached_explain(k, res["png"], method, target, lay, lm)
        cols = st.columns(len(maps))
        for col, (arch, att) in zip(cols, maps.items()):
            lm = next(m for m in res["models"] if m.meta.arch == arch)
            with col:
                overlay_column(lm, att, res["seen"][arch], method, opacity, colorscale)
        if len(maps) == 2:
            takeaway(str(describe_agreement({arch: att.map for arch, att in maps.items()})))


def overlay_column(lm, att, seen: np.ndarray, method: str, opacity: float, colorscale: str) -> None:
    """A network's map over the image it saw, with the overlay (PNG) and raw map (.npy) downloads."""
    arch = lm.meta.arch
    label = (lm.meta.categories or [str(att.target)])[att.target] if lm.meta.categories else str(att.target)
    # TRANSLATORS: the title of an attribution map: "ResNet-20: Grad-CAM for 'cat'" ({label} is the class)
    fig = overlay(seen, normalise(att.map), opacity=opacity,
                  title=_("{model}: {method} for '{label}'", model=display_name(arch), method=_(METHOD_NAMES[method]),
                          label=label))
    fig.update_traces(colorscale=colorscale, selector=dict(type="heatmap"))
    fig.update_layout(title_font_color=skip_color(lm.info.skip))
    show_figure(fig, width="stretch", key=f"ov-{arch}")
    big = max(1, 224 // seen.shape[0])
    img_big = np.kron(seen, np.ones((big, big, 1), dtype=np.uint8))
    from PIL import Image

    st.download_button(_("Overlay (PNG)"), png_bytes(Image.fromarray(overlay_image(img_big, att.map, opacity,
                                                                                colorscale))),
                       file_name=f"{arch}-{method}.png", mime="image/png", key=f"dl-{arch}")
    buf = io.BytesIO()
    np.save(buf, att.map)
    st.download_button(_("Raw map (.npy)"), buf.getvalue(), file_name=f"{arch}-{method}.npy", key=f"dln-{arch}")
