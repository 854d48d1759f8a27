"""The loss-landscape tab of the Why it works page (Li et al. 2018): the training loss of each trained twin on
a slice through its weights along filter-normalised random directions. Results are the stored ones that ship
with the runs, or computed now by background ``landscape`` jobs; the sentences come from
``resnet_viz.lessons.landscape``."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _, localize_number_text
from resnet_viz.runs.twins import data_for, store, stored
from resnet_viz.training.jobs import probe_paths
from resnet_viz.ui.access import is_teacher
from resnet_viz.ui.common import friendly_errors, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.why import (
    COMPUTE,
    STORED,
    URL,
    compute_note,
    data_choice,
    no_twins,
    plain_and_resnet,
    probe_key,
    probe_panel,
    start_button,
)

LANDSCAPE = N_("Loss landscape")  # the experiment's name: the jobs' label and kind (English), shown translated
CONTOUR, SURFACE = N_("contour"), N_("3-D surface")  # the "View" radio's values (in the URL: English)
SLICE_2D, SLICE_1D = N_("2-D"), N_("1-D")  # the "Slice" radio's values


def land_tab(pairs: dict) -> None:
    """The tab: the question, the twins and where their landscapes come from, the figure and its takeaway."""
    from resnet_viz.figures.why import landscape_figure
    from resnet_viz.lessons.landscape import describe_landscape, landscape_caption
    from resnet_viz.probes.landscape import LandscapeResult

    st.markdown(_("**What does the loss look like around the trained weights?** (Li et al. 2018)"))
    if not pairs:
        no_twins()
        return
    l1, l2, l3 = st.columns([3, 1.4, 1])
    lpair = pairs[l1.selectbox(_("Trained twins"), list(pairs), key="land_pair", **URL)]
    have = all(stored(r, "landscape") for r in lpair.runs.values())
    lmode = l2.radio(_("Results"), ([STORED] if have else []) + [COMPUTE], horizontal=True, key="land_mode",
                     format_func=_)
    view = l3.radio(_("View"), [CONTOUR, SURFACE], key="land_view", format_func=_, **URL)
    if lmode == STORED:
        land = {n: LandscapeResult.from_json(stored(r, "landscape")) for n, r in lpair.runs.items()}
    else:
        land = compute_landscapes(lpair)
    if land:
        show_figure(landscape_figure(land, view="surface" if view == SURFACE else "contour"),
                    width="stretch", key="land_plot")
        lp, lr = plain_and_resnet(land)
        if lp and lr:
            takeaway(str(describe_landscape(lp, lr)))
        st.caption(str(landscape_caption(next(iter(land.values())))))
    land_notes()


def compute_landscapes(lpair) -> dict:
    """The settings of landscapes computed now, their background jobs and, once they have finished, their
    results (empty until then)."""
    from resnet_viz.lessons.landscape import landscape_job_caption
    from resnet_viz.probes.landscape import LandscapeResult

    land: dict[str, LandscapeResult] = {}
    compute_note(LANDSCAPE)
    m1, m2, m3, m4, m5 = st.columns([2, 1, 1.2, 1.2, 1])
    ldata = data_choice(m1, lpair, "land_data", "train")
    dims = 2 if m2.radio(_("Slice"), [SLICE_2D, SLICE_1D], key="land_dims", format_func=_) == SLICE_2D else 1
    steps = m3.select_slider(_("Grid points per axis"), options=[5, 9, 13, 17, 21, 25, 31, 41, 51],
                             value=13 if dims == 2 else 41, key="land_steps")
    images = m4.select_slider(_("Images"), options=[32, 64, 128, 256, 512, 1024], value=128, key="land_images")
    span = m5.select_slider(_("Span"), options=[0.25, 0.5, 1.0, 2.0], value=1.0, key="land_span",
                            format_func=lambda v: localize_number_text(str(v)))
    if not ldata:
        return land
    keys = {n: probe_key("landscape", r, (ldata, dims, steps, span, images)) for n, r in lpair.runs.items()}
    speed = [LandscapeResult.from_json(d) for r in lpair.runs.values() if (d := stored(r, "landscape"))]
    st.caption(str(landscape_job_caption(len(keys), steps ** dims, images, speed)))
    start_button(_("Compute the landscapes"), "land_run", LANDSCAPE, lpair, keys,
                 ["landscape", f"--data={ldata}", "--dims", str(dims), "--steps", str(steps), "--span",
                  str(span), "--images", str(images)])
    if probe_panel(LANDSCAPE, keys):
        with friendly_errors(_(LANDSCAPE)):
            land = {n: LandscapeResult.load(probe_paths(k)[0]) for n, k in keys.items()}
            teacher = is_teacher()  # writing into the shared run store is a teacher action
            for n, r in lpair.runs.items():
                if (teacher and ldata == data_for(r) and land[n].dims == 2 and land[n].steps >= 21
                        and stored(r, "landscape") is None):
                    store(r, "landscape", land[n].to_json())  # keep it beside a local run
    return land


def land_notes() -> None:
    """How to read the figure, and the paper behind it."""
    with st.expander(_("How to read this figure")):
        st.markdown(_(
            "The trained weights are the centre (the white cross). Each axis moves *all* the weights along one "
            "random direction, scaled filter by filter to the size of the trained filters (a = 1 is a step as "
            "large as each filter itself); BatchNorm parameters stay put. The colour is the training loss "
            "there (log scale, the same colours for both nets), measured on a fixed set of training images "
            "with the network in evaluation mode. A wide, round bowl means small changes of the weights "
            "change the loss smoothly; many separate pits and ridges make gradient descent's job hard."))
    with st.expander(_("Go deeper")):
        st.markdown(_(
            "- Li, Xu, Taylor, Studer, Goldstein (2018), *Visualizing the Loss Landscape of Neural Nets*: with "
            "filter-normalised directions, ResNet-56's loss surface on CIFAR-10 is a smooth, nearly convex "
            "bowl, while the same net without skip connections has a chaotic surface; the chaos grows with "
            "depth (their Figure 5: 20, 56 and 110 layers).\n"
            "- Reproduce: `python -m resnet_viz landscape --model resnet56 --weights assets/runs/<run>/"
            "model.safetensors --data cifar10 --steps 21 --images 128 --json`."))
