"""The sections of the Gradient flow page: the batch chooser for uploaded images, the twin measurement at
initialisation with its two figures, the depth sweep, the gradient norms during training (a short run now or a
finished run's log) and the notes. The settings widgets stay on the page; the sentences come from
``resnet_viz.lessons.gradients``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from resnet_viz.data.images import SUPPORTED_TYPES, ImageError, load_image
from resnet_viz.figures.gradients import block_gradients, depth_sweep, gradient_heatmaps, layer_gradients
from resnet_viz.i18n import N_, _
from resnet_viz.lessons.gradients import (
    describe_block_gradients,
    describe_logged_norms,
    describe_short_run,
    describe_sweep,
    describe_twins,
    flow_reading_guide,
    sweep_table,
)
from resnet_viz.models.names import display_name
from resnet_viz.ui.access import upload_allowed
from resnet_viz.ui.common import compute_slot, friendly_errors, takeaway
from resnet_viz.ui.figures import show_figure

# the option labels are English constants, drawn with _() (the widgets' values are the keys)
FAMILIES = {"cifar": (N_("CIFAR-10 nets (32 px)"), [20, 32, 44, 56, 110]),
            "imagenet": (N_("ImageNet nets (224 px)"), [18, 34, 50, 101, 152])}
SOURCES = {"noise": N_("random noise"), "shapes": N_("shapes (built in)"), "cifar10": N_("CIFAR-10 test images"),
           "images": N_("my own images")}
# TRANSLATORS: weight initialisations; "zero-residual" = every residual branch starts at zero (Goyal et al. 2017)
INITS = {"kaiming": N_("Kaiming (He et al.)"), "xavier": N_("Xavier (Glorot)"), "zero-residual": N_("zero-residual")}
SHORT_RUN = "short"  # the "Gradients from" choice of a short run now (the others: a run set's id)
# the depth sweep table's column headers, drawn in the session's language (lessons.gradients.sweep_table's keys)
SWEEP_HEADERS = {"depth": N_("depth"), "plain ratio": N_("plain ratio"), "plain min-max": N_("plain min-max"),
                 "ResNet ratio": N_("ResNet ratio"), "ResNet min-max": N_("ResNet min-max")}
URL = dict(bind="query-params")  # every setting is in the page's URL: a link reproduces the figure


def batch_uploads(source: str) -> tuple[str, list[bytes]]:
    """The uploaded images for an "images" batch (unreadable files are reported and skipped); with none, the
    batch falls back to random noise. Returns the source actually used and the image bytes."""
    uploads: list[bytes] = []
    if source != "images":
        return source, uploads
    files = st.file_uploader(_("Images for the batch (cycled and flipped to fill it; labels are random)"),
                             type=SUPPORTED_TYPES, accept_multiple_files=True, key="images")
    for f in files or []:
        if not upload_allowed(f):
            continue
        try:
            load_image(f.getvalue())
            uploads.append(f.getvalue())
        except ImageError as e:
            st.warning(f"{f.name}: {e}")
    if not uploads:
        st.info(_("Upload one or more images to use them as the batch; showing random noise until then."))
        source = "noise"
    return source, uploads


@st.cache_data(max_entries=64, show_spinner=False)
def compute(names: tuple[str, ...], options: tuple, source: str, batch: int, seed: int, images: tuple[bytes, ...]):
    from resnet_viz.probes.gradients import twin_gradient_flow

    pil = [load_image(b) for b in images] or None
    with compute_slot():
        return twin_gradient_flow(list(names), source=source, batch=batch, seed=seed, images=pil, **dict(options))


def flow_section(names: tuple[str, str], options: dict, source: str, batch: int, seed: int, uploads: list[bytes],
                 guide: dict) -> None:
    """One forward/backward pass of both twins: the per-layer and per-block figures with their takeaways.
    ``guide`` holds the settings the reading guide names (see ``lessons.gradients.flow_reading_guide``)."""
    flows = None
    with friendly_errors(_("Computing the gradients")):
        with st.spinner(_("One forward/backward pass of {plain} and {res} on {batch} images (or waiting for a free "
                          "compute slot)...", plain=display_name(names[0]), res=display_name(names[1]), batch=batch)):
            flows = compute(names, tuple(options.items()), source, batch, seed, tuple(uploads))
    if not flows:
        return
    plain, res = flows[names[0]], flows[names[1]]
    show_figure(layer_gradients(flows), width="stretch", key="layer_plot")
    takeaway(str(describe_twins(plain, res)))
    with st.expander(_("How to read this figure")):
        st.markdown(str(flow_reading_guide(**guide)))

    st.subheader(_("The backward signal that the skip connection carries"))
    show_figure(block_gradients(flows), width="stretch", key="block_plot")
    text = describe_block_gradients(plain, res)
    if text:
        takeaway(str(text))


@st.cache_data(max_entries=16, show_spinner=False)
def sweep(norm: str, init: str, source: str, seeds: int):
    from resnet_viz.probes.gradients import shared_depth_sweep

    with compute_slot():
        return shared_depth_sweep(tuple(FAMILIES["cifar"][1]), seeds=seeds, batch=32, source=source,
                                  norm=norm, init=init)


def sweep_section(norm: str, init: str, source: str) -> None:
    """The depth sweep of the CIFAR-10 twins (behind a toggle): figure, table and takeaway."""
    seeds = 3
    run_sweep = st.toggle(_("Compute the depth sweep (20 to 110 layers, 3 initialisations each; a few seconds)"),
                          value=True, key="sweep", **URL)
    if not run_sweep:
        return
    with friendly_errors(_("Computing the depth sweep")):
        with st.spinner(_("Measuring 5 depths x 2 twins x 3 initialisations...")):
            rows = sweep(norm, init, source if source != "images" else "noise", seeds)
        show_figure(depth_sweep(rows), width="stretch", key="sweep_plot")
        headers = {k: _(v) for k, v in SWEEP_HEADERS.items()}
        st.dataframe(pd.DataFrame(sweep_table(rows)).rename(columns=headers), hide_index=True, width="stretch",
                     column_config={headers["plain ratio"]: st.column_config.NumberColumn(format="%.3g"),
                                    headers["ResNet ratio"]: st.column_config.NumberColumn(format="%.3g")})
        takeaway(str(describe_sweep(rows)))


def training_section(depth: int, names: tuple[str, str], norm: str, init: str, seed: int) -> None:
    """The gradient norms during training: a short run of both twins now, or a finished run's log."""
    from resnet_viz.runs.twins import logged_gradients, run_sets

    logged = {("shipped:" if s.shipped else "local:") + s.tag: s for s in run_sets() if depth in s.depths}

    def option(m: str) -> str:
        if m == SHORT_RUN:
            return _("a short run now (shapes)")
        return _("training run {label}", label=str(logged[m].label()))

    mode = st.radio(_("Gradients from"), [SHORT_RUN, *logged], format_func=option, key="traj_source",
                    horizontal=False)
    if mode != SHORT_RUN:
        rs = logged[mode]
        trajs = {n: logged_gradients(rs.runs[n]) for n in names}
        if all(t["norms"] for t in trajs.values()):
            show_figure(gradient_heatmaps(trajs), width="stretch", key="heatmap_run")
            takeaway(str(describe_logged_norms(trajs)))
        else:
            st.caption(_("These runs logged no gradient norms."))
        return
    steps = st.select_slider(_("Training steps"), options=[10, 20, 30, 50], value=20, key="steps")
    key = (depth, norm, init, steps, seed)
    if st.button(_("Run the training steps for both twins"), key="run_train"):
        st.session_state["traj"] = key
    if st.session_state.get("traj") == key:
        with friendly_errors(_("Training")):
            trajs = trajectories(*key)
            show_figure(gradient_heatmaps(trajs), width="stretch", key="heatmap")
            takeaway(str(describe_short_run(trajs, *names)))


@st.cache_data(max_entries=8, show_spinner=False)
def trajectories(depth: int, norm: str, init: str, steps: int, seed: int):
    from resnet_viz.probes.gradients import gradient_trajectory

    bar = st.progress(0.0, text=_("training (or waiting for a free compute slot)..."))
    out = {}
    for i, name in enumerate((f"plain{depth}", f"resnet{depth}")):
        with compute_slot():
            out[name] = gradient_trajectory(
                name, steps=steps, batch=32, seed=seed, norm=norm, init=init,
                progress=lambda k, n, i=i, name=name: bar.progress((i * n + k) / (2 * n),
                                                                 text=_("{model}: step {k}/{n}",
                                                                        model=display_name(name), k=k, n=n)))
    bar.empty()
    return out


def gradient_notes(names: tuple[str, str], norm: str, init: str, batch: int, seed: int, source: str) -> None:
    """The page's "Go deeper" expander: the papers, and the command that reproduces the figure."""
    with st.expander(_("Go deeper")):
        st.markdown("\n".join([
            _("- **With BatchNorm** (the paper's setting) deep plain nets do *not* suffer vanishing gradients at "
              "initialisation: He et al. (2015, section 4.1) note that BN keeps forward signals at non-zero variance "
              "and the backward gradients healthy, and call the degradation problem an *optimisation* difficulty. "
              "What the plot shows instead is the gradient *growing* towards the input in deep plain nets, layer by "
              "layer."),
            _("- **Without normalisation** deep plain nets are at the mercy of the random draw: the ratio varies by "
              "orders of magnitude between seeds (see the bars in the sweep), and un-normalised ResNets blow up in "
              "the forward pass because every residual branch adds variance, unless the branches start at zero "
              "(zero-residual: Goyal et al. 2017; Fixup: Zhang et al. 2019)."),
            _("- Balduzzi et al. (2017), *The Shattered Gradients Problem*: gradients of deep plain nets resemble "
              "white noise; skip connections keep them correlated."),
            # the command's values are plain text (a seed or batch size must stay as the CLI reads it)
            _("- Reproduce this figure: `python -m resnet_viz gradflow --models {models} --norm {norm} --init {init} "
              "--batch {batch} --seed {seed} --data {data}`", models=",".join(names), norm=norm, init=init,
              batch=str(batch), seed=str(seed), data=source if source != "images" else "noise")]))
