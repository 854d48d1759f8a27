"""Feature maps: what flows through a ResNet and its plain twin, layer by layer, on your image."""

import numpy as np
import streamlit as st

from resnet_viz.figures.images import feature_grid, overlay, stage_strip
from resnet_viz.figures.style import skip_color
from resnet_viz.i18n import N_, _
from resnet_viz.lessons.feature_maps import describe_layer, describe_stages
from resnet_viz.models.names import display_name
from resnet_viz.probes.activations import capture, residual_blocks
from resnet_viz.ui.common import compute_slot, friendly_errors, header, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.inputs import loaded_pair, model_input, seen_image
from resnet_viz.ui.widgets import image_and_pair

STAGE_OUTPUT = " (stage output)"  # the English option values (and URL values) of whole stages: "layer2 (stage output)"
RANKS = [N_("most active"), N_("choose")]


def layer_option(option: str) -> str:
    """A layer option as the student reads it: a stage's output, or a block's name as it is."""
    if option.endswith(STAGE_OUTPUT):
        return _("{stage} (stage output)", stage=option.removesuffix(STAGE_OUTPUT))
    return option


header(_("Feature maps"), _("What does each layer of a ResNet and of its plain twin respond to in your image?"))

image, caption, pair, _column = image_and_pair("fm")

with friendly_errors(_("Loading the networks")):
    models = loaded_pair(pair)
    ref = models[0]
    blocks = [n for n, _module in residual_blocks(ref.model)]
    stages = sorted({n.split(".")[0] for n in blocks})
    options = [s + STAGE_OUTPUT for s in stages] + blocks
    default = blocks[len(blocks) // 3] if blocks else options[0]
    d1, d2, d3, d4 = st.columns([1.4, 1, 1, 1])
    layer_label = d1.selectbox(_("Layer"), options, index=options.index(default), key="fm_layer",
                               bind="query-params", format_func=layer_option)
    layer = layer_label.split(" ")[0]
    k = d2.select_slider(_("Channels shown"), [4, 8, 12, 16, 32], value=8, key="fm_k", bind="query-params")
    rank = d3.radio(_("Which channels"), RANKS, key="fm_rank", bind="query-params", format_func=_)
    shared = d4.toggle(_("Shared colour scale"), value=True, key="fm_shared", bind="query-params",
                       help=_("One colour scale for both nets, so their magnitudes compare directly."))
    if image is None:
        st.stop()  # the picker has said what is wrong with the file; the settings above are kept

    with compute_slot("feature maps"):
        x = model_input(ref, image)
        results = {}
        for lm in models:
            acts, logits = capture(lm.model, x, [layer] + stages + (["relu"] if hasattr(lm.model, "relu") else []))
            results[lm.meta.arch] = (lm, {n: a[0].float().cpu().numpy() for n, a in acts.items()})

    C = next(iter(results.values()))[1][layer].shape[0]
    chosen = None
    if rank == "choose":
        chosen = st.multiselect(_("Channels"), list(range(C)), default=list(range(min(k, C))), key="fm_channels")
    grids, zmin, zmax = {}, np.inf, -np.inf
    for arch, (_lm, acts) in results.items():
        a = acts[layer]  # (C, H, W)
        means = a.mean(axis=(1, 2))
        channels = chosen if chosen else list(np.argsort(-means)[:k])
        grids[arch] = (a, [int(c) for c in channels], means)
        zmin, zmax = min(zmin, float(a[channels].min())), max(zmax, float(a[channels].max()))
    cols = st.columns(len(grids))
    for col, (arch, (a, channels, _means)) in zip(cols, grids.items()):
        lm = results[arch][0]
        with col:
            show_figure(feature_grid(a, channels, title=f"{display_name(arch)}: {layer} ({lm.meta.source})",
                                     color=skip_color(lm.info.skip),
                                     zrange=(zmin, zmax) if shared else None), width="stretch",
                        key=f"grid-{arch}")

    takeaway(str(describe_layer(layer, {arch: g[0] for arch, g in grids.items()},
                                {arch: g[2] for arch, g in grids.items()}, x.shape[-1])))

    st.subheader(_("One map per stage"))
    strips = {}
    for arch, (_lm, acts) in results.items():
        names = (["relu"] if "relu" in acts else []) + stages
        # TRANSLATORS: the stem: the first layers of the net, before the first stage of blocks
        strips[arch] = [(_("stem") if n == "relu" else n, acts[n].mean(0)) for n in names]
    first_acts = next(iter(results.values()))[1]
    first_name = "relu" if "relu" in first_acts else stages[0]
    f_map, l_map = first_acts[first_name], first_acts[stages[-1]]
    show_figure(stage_strip(strips), width="stretch", key="strip")
    takeaway(str(describe_stages(f_map.shape, l_map.shape)))

    st.subheader(_("One channel, large, on the image"))
    ch_options = sorted({c for _a, channels, _means in grids.values() for c in channels})
    ch = st.selectbox(_("Channel"), ch_options, key="fm_detail", bind="query-params")
    opacity = st.slider(_("Overlay opacity"), 0.0, 1.0, 0.5, 0.05, key="fm_opacity", bind="query-params")
    cols = st.columns(len(grids))
    for col, (arch, (a, _channels, _means)) in zip(cols, grids.items()):
        lm = results[arch][0]
        with col:
            show_figure(overlay(seen_image(lm, x), a[ch], opacity=opacity,
                                title=_("{name} {layer} channel {channel}", name=display_name(arch), layer=layer,
                                        channel=ch)),
                        width="stretch", key=f"ov-{arch}")

    with st.expander(_("How to read these figures")):
        st.markdown(_(
            "Each small square is one channel's *activation map*: how strongly one learned filter responds at "
            "each position of the image (yellow = strong, dark = weak; hover for the values). Channels are "
            "sorted by their average response. Early layers respond to colours and edges at full resolution; "
            "later layers respond to larger patterns on coarser grids. The two nets were trained separately, so "
            "channel 5 of one has nothing to do with channel 5 of the other: compare what kinds of maps they "
            "produce, not channel by channel. The image is the preprocessed input the models saw "
            "({px}x{px} pixels).", px=x.shape[-1]))
    with st.expander(_("Go deeper")):
        st.markdown("\n".join("- " + line for line in (
            _("Zeiler & Fergus (2014), *Visualizing and Understanding Convolutional Networks*."),
            _("The activations are captured with forward hooks only on the layers shown, then removed."),
            _("The same numbers from the command line: `python -m resnet_viz blocks IMAGE --model {model} "
              "--weights {weights}` (per-block norms).", model=pair[0][0], weights=pair[0][1]))))
