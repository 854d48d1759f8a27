"""Classify and explain: the top-5 classes of a ResNet and its plain twin, and which pixels each used."""

import hashlib
import os
import tempfile

import numpy as np
import streamlit as st

from resnet_viz.figures.plots import overlay, skip_color, top_classes
from resnet_viz.models.names import display_name
from resnet_viz.models.registry import list_models
from resnet_viz.probes.activations import residual_blocks
from resnet_viz.probes.attribution import METHOD_NAMES, METHODS, default_layer, explain, normalise, overlay_image
from resnet_viz.probes.inference import classify
from resnet_viz.ui.common import compute_slot, friendly_errors, get_model, header, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.inputs import png_bytes, seen_image
from resnet_viz.ui.widgets import image_and_pair

header("Classify and explain", "What does each network think your image shows, and which pixels did it look at?")

image, caption, pair, right = image_and_pair("ce")
with right:
    with st.expander("Use your own checkpoint"):
        arch = st.selectbox("Architecture", [m.name for m in list_models() if m.family != "zoo"], key="ce_arch")
        upload = st.file_uploader("Checkpoint (.safetensors, .pt, .pth, .th)", key="ce_ckpt",
                                  type=["safetensors", "pt", "pth", "th"])
        if upload is not None:
            key = (arch, hashlib.sha1(upload.getvalue()).hexdigest())
            if st.session_state.get("ce_user_key") != key:
                st.session_state.pop("ce_user_model", None)
                suffix = os.path.splitext(upload.name)[1] or ".pt"
                with tempfile.TemporaryDirectory() as tmp, friendly_errors(f"Loading {upload.name}"):
                    path = os.path.join(tmp, "model" + suffix)
                    with open(path, "wb") as f:
                        f.write(upload.getvalue())
                    from resnet_viz.models.weights import load_model

                    st.session_state["ce_user_model"] = load_model(arch, path)  # this session only
                    st.session_state["ce_user_key"] = key
            if "ce_user_model" in st.session_state:
                st.success(f"Using {upload.name} as {arch} (only in your session).")

user_model = st.session_state.get("ce_user_model") if upload is not None else None
if image is None:
    st.stop()

classified = False
with friendly_errors("Classifying"):
    models = [user_model] if user_model is not None else [get_model(a, w) for a, w in pair]
    keys = ([f"user:{':'.join(st.session_state['ce_user_key'])}"] if user_model is not None
            else [f"{a}:{w}" for a, w in pair])
    img_png = png_bytes(image)

    @st.cache_data(max_entries=256, show_spinner=False)
    def cached_classify(model_key: str, png: bytes, _lm):
        from resnet_viz.ui.inputs import _decoded

        with compute_slot():
            return classify(_lm, _decoded(png), top=5)

    preds = {lm.meta.arch: cached_classify(k, img_png, lm) for k, lm in zip(keys, models)}
    show_figure(top_classes(preds), width="stretch", key="top5")
    seen = {lm.meta.arch: seen_image(lm, lm.transforms()(image).unsqueeze(0)) for lm in models}
    s1, s2 = st.columns([1, 3])
    first = models[0]
    s1.image(seen[first.meta.arch],
             caption=f"what {display_name(first.meta.arch)} saw: {seen[first.meta.arch].shape[1]}"
             f"x{seen[first.meta.arch].shape[0]} px", width=180)
    s2.caption("Weights: " + "; ".join(f"{display_name(lm.meta.arch)}: {lm.meta.source}" for lm in models))
    takeaway(" ".join(f"{display_name(a)} says **{p[0]['label']}** ({100 * p[0]['prob']:.1f} %), then {p[1]['label']} "
                      f"({100 * p[1]['prob']:.1f} %)." for a, p in preds.items() if len(p) > 1))
    classified = True
if not classified:
    st.stop()

st.subheader("Which pixels mattered")
e1, e2, e3, e4 = st.columns([1.2, 1.2, 1.4, 1])
method = e1.selectbox("Method", list(METHODS), format_func=METHOD_NAMES.get, key="ce_method", bind="query-params")
blocks = [n for n, _ in residual_blocks(models[0].model)]
stages = sorted({b.split(".")[0] for b in blocks})
layer_options = blocks + [s for s in stages if s not in blocks]
layer = e2.selectbox("Layer (Grad-CAM)", layer_options, index=len(blocks) - 1 if blocks else 0, key="ce_layer",
                     bind="query-params",
                     disabled="gradcam" not in method, help="Default: the last residual block, as in the paper.")
top = next(iter(preds.values()))
cats = models[0].meta.categories or [str(i) for i in range(models[0].meta.num_classes)]
target_choice = e3.selectbox("Explain the class", ["the predicted class"] + [t["label"] for t in top] +
                             ["another class..."], key="ce_target", bind="query-params")
if target_choice == "another class...":
    target = cats.index(e3.selectbox("Class", cats, key="ce_target_any", bind="query-params"))
elif target_choice == "the predicted class":
    target = None  # each network explains its own top class
else:  # the index, not the name: names can repeat across case ("cardigan", "Cardigan")
    target = next(t["index"] for t in top if t["label"] == target_choice)
opacity = e4.slider("Opacity", 0.0, 1.0, 0.5, 0.05, key="ce_opacity", bind="query-params")
colorscale = e4.selectbox("Colours", ["Inferno", "Viridis", "Jet", "Greys"], key="ce_colors", bind="query-params")

with friendly_errors("Explaining"):
    @st.cache_data(max_entries=256, show_spinner=False)
    def cached_explain(model_key: str, png: bytes, method: str, target, layer, _lm):
        from resnet_viz.ui.inputs import _decoded

        with compute_slot():
            return explain(_lm, _lm.transforms()(_decoded(png)).unsqueeze(0), method, target=target, layer=layer)

    maps = {}
    with st.spinner(f"{METHOD_NAMES[method]}..."):
        for k, lm in zip(keys, models):
            lay = layer if layer in dict(lm.model.named_modules()) else default_layer(lm.model)
            maps[lm.meta.arch] = cached_explain(k, img_png, method, target, lay, lm)
    cols = st.columns(len(maps))
    for col, (arch, att) in zip(cols, maps.items()):
        lm = next(m for m in models if m.meta.arch == arch)
        label = (lm.meta.categories or [str(att.target)])[att.target] if lm.meta.categories else str(att.target)
        with col:
            fig = overlay(seen[arch], normalise(att.map), opacity=opacity,
                          title=f"{display_name(arch)}: {METHOD_NAMES[method]} for '{label}'")
            fig.update_traces(colorscale=colorscale, selector=dict(type="heatmap"))
            fig.update_layout(title_font_color=skip_color(lm.info.skip))
            show_figure(fig, width="stretch", key=f"ov-{arch}")
            big = max(1, 224 // seen[arch].shape[0])
            img_big = np.kron(seen[arch], np.ones((big, big, 1), dtype=np.uint8))
            from PIL import Image

            st.download_button("Overlay (PNG)", png_bytes(Image.fromarray(overlay_image(img_big, att.map, opacity,
                                                                                        colorscale))),
                               file_name=f"{arch}-{method}.png", mime="image/png", key=f"dl-{arch}")
            import io

            buf = io.BytesIO()
            np.save(buf, att.map)
            st.download_button("Raw map (.npy)", buf.getvalue(), file_name=f"{arch}-{method}.npy", key=f"dln-{arch}")
    if len(maps) == 2:
        norm = [normalise(m.map) for m in maps.values()]
        if all(n.max() > 0 for n in norm):
            # the top 20 % of each map's *positive* pixels (Grad-CAM is zero on much of the image)
            tops = [n >= np.quantile(n[n > 0], 0.8) for n in norm]
            iou = float((tops[0] & tops[1]).sum() / max(1, (tops[0] | tops[1]).sum()))
            peaks = {arch: np.unravel_index(int(np.argmax(m.map)), m.map.shape) for arch, m in maps.items()}
            takeaway(f"The brightest 20 % of the two maps overlap by {100 * iou:.0f} % (intersection over union); "
                     + "; ".join(f"{display_name(a)} peaks at x={c}, y={r}" for a, (r, c) in peaks.items()) + ".")
        else:
            empty = [display_name(a) for a, n in zip(maps, norm) if n.max() == 0]
            takeaway(f"The map of {', '.join(empty)} is zero everywhere: no pixel raises that class's score "
                     "through this layer.")

with st.expander("How to read these figures"):
    st.markdown(
        "The bars are each network's top-5 classes with their probabilities (softmax of the outputs). The maps show "
        "which pixels of the image the chosen class depends on, by the chosen method: bright = important. "
        "**Grad-CAM** weighs the feature maps of one layer by how much the class score changes with them "
        "(coarse: the layer's resolution, upsampled). **Saliency** and **Integrated Gradients** use gradients with "
        "respect to every pixel (fine, noisy). **Occlusion** hides patches and measures the drop in the score "
        "(slow, model-agnostic). Maps are scaled to their own maximum, so compare where the bright regions are, "
        "not how bright.")
with st.expander("Go deeper"):
    st.markdown(
        "- Selvaraju et al. (2017), Grad-CAM; Sundararajan et al. (2017), Integrated Gradients; Simonyan et al. "
        "(2013), saliency maps; Zeiler & Fergus (2014), occlusion. Attributions are computed with captum.\n"
        "- Adebayo et al. (2018), *Sanity Checks for Saliency Maps*: some methods look similar on untrained "
        "networks: try the untrained pair.\n"
        f"- The same map from the command line: `python -m resnet_viz explain IMAGE --model {pair[0][0]} "
        f"--weights {pair[0][1]} --method {method} --out overlay.png --npy map.npy`.")
