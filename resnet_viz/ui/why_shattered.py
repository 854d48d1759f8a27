"""The shattered-gradients tab of the Why it works page (Balduzzi et al. 2017): input gradients of both
twins along a straight line between two photos, at initialisation or trained, and the shipped study of their
correlation against depth. The line is computed in the page (cached); the sentences come from
``resnet_viz.lessons.shattered``."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _
from resnet_viz.ui.common import compute_slot, friendly_errors, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.why import URL

SHATTERED = N_("Shattered gradients")  # the tab's and the experiment's name
# TRANSLATORS: the networks' weights: fresh from initialisation, or after training
INIT, TRAINED = N_("at initialisation"), N_("trained")  # the "Weights" radio's values (in the URL: English)


@st.cache_data(max_entries=32, show_spinner=False)
def shattered_lines(models: tuple[tuple[str, str, float], ...], seed: int, n: int, ends: tuple[str, str]) -> dict:
    """Input gradients along the line for each (arch, weights, file mtime): "init" builds the net fresh from
    ``seed``; the mtime makes a retrained checkpoint a new cache entry."""
    from resnet_viz.models.weights import load_model
    from resnet_viz.probes.gradients import build_at_init
    from resnet_viz.probes.shattered import line_gradients, line_inputs, photo_endpoints, summarise

    lines, rows = {}, []
    with compute_slot():
        for arch, weights, _mtime in models:
            if weights == "init":
                model, a_b, bn = build_at_init(arch, seed=seed), photo_endpoints(ends), "calibrate"
            else:
                lm = load_model(arch, weights)
                model, a_b, bn = lm.model, photo_endpoints(ends, transform=lm.transforms()), "eval"
            lg = line_gradients(model, line_inputs(*a_b, n), bn=bn, name=arch, private=weights == "init",
                                keep_grads=False)
            lines[arch] = lg
            depth = int(arch.removeprefix("plain").removeprefix("resnet"))
            rows.append(summarise(arch, [lg], depth=depth, skip=arch.startswith("resnet"),
                                  weights="init" if weights == "init" else "trained", line="photos",
                                  line_ends=list(ends), span=1.0, options={}))
    return {"lines": lines, "rows": rows}


def shatter_tab(pairs: dict) -> None:
    """The tab: which nets and which line, their gradients along it, and the study against depth."""
    from resnet_viz.data.samples import PHOTOS
    from resnet_viz.figures.why import autocorrelation, line_gradient_curves
    from resnet_viz.lessons.shattered import describe_shattering, line_spinner
    from resnet_viz.runs.twins import shipped_study

    st.markdown(_("**Does the gradient change smoothly as the input changes?** (Balduzzi et al. 2017)"))
    s1, s2, s3, s4, s5 = st.columns([1.3, 1.6, 1.2, 1.2, 1])
    when = s1.radio(_("Weights"), [INIT, TRAINED], key="sh_weights", **URL, format_func=_,
                    disabled=not pairs, help=_("Trained: the twins of a finished training run (shipped or yours)."))
    if when == TRAINED and pairs:
        tp = pairs[s2.selectbox(_("Trained twins"), list(pairs), key="sh_pair", **URL)]
        models = tuple((n, str(r.checkpoint), r.checkpoint.stat().st_mtime) for n, r in tp.runs.items())
        seed = 0
    else:
        depth = s2.select_slider(_("Depth (layers)"), options=[20, 32, 44, 56, 110], value=56, key="sh_depth",
                                 **URL)
        seed = int(s5.number_input(_("Seed"), min_value=0, max_value=9999, value=0, key="sh_seed", **URL))
        models = ((f"plain{depth}", "init", 0.0), (f"resnet{depth}", "init", 0.0))
    photos = list(PHOTOS)
    # the sample photos' names are option values (in the URL): shown through the catalogs
    end_a = s3.selectbox(_("From"), photos, index=0, key="sh_a", format_func=_, **URL)
    end_b = s3.selectbox(_("To"), photos, index=1, key="sh_b", format_func=_, **URL)
    n = s4.select_slider(_("Points on the line"), options=[64, 128, 256, 512], value=256, key="sh_n", **URL)
    if end_a == end_b:
        st.warning(_("Pick two different images: the line between an image and itself is a single point."))
    else:
        with friendly_errors(_(SHATTERED)):
            with st.spinner(str(line_spinner(n))):
                got = shattered_lines(models, seed, n, (end_a, end_b))
            lines = got["lines"]
            show_figure(line_gradient_curves(lines), width="stretch", key="sh_curves")
            study = shipped_study("shattered-init")
            show_figure(autocorrelation(lines, study["rows"] if study and when != TRAINED else None),
                        width="stretch", key="sh_corr")
            takeaway(str(describe_shattering(got["rows"])))
    depth_study()
    shatter_notes()


def depth_study() -> None:
    """The shipped study of the neighbouring points' correlation against depth, at initialisation."""
    from resnet_viz.figures.why import shattering_vs_depth
    from resnet_viz.lessons.shattered import describe_shattering, shipped_caption
    from resnet_viz.runs.twins import shipped_study

    st.subheader(_("Against depth, at initialisation"))
    study = shipped_study("shattered-init")
    if study:
        show_figure(shattering_vs_depth(study["rows"]), width="stretch", key="sh_depth_plot")
        takeaway(str(describe_shattering(study["rows"])))
        st.caption(str(shipped_caption(study)))
    else:
        st.caption(_("The precomputed depth study is missing (assets/why/shattered-init.json): "
                     "`python -m resnet_viz shattered --out assets/why/shattered-init.json`."))


def shatter_notes() -> None:
    """How to read the figures, and the paper behind them."""
    with st.expander(_("How to read these figures")):
        st.markdown(_(
            "The app walks in a straight line from one image to another (t = 0 is the first image, t = 1 the "
            "second) and at every point takes the gradient of the network's output (the logit of the class "
            "it predicts for the first image) with respect to the input pixels. **Top**: how fast that output "
            "changes along the line (df/dt), one panel per net, each on its own scale. **Middle**: the "
            "correlation between the full input gradients at two points `lag` steps apart (1 at lag 0). A "
            "smooth gradient stays correlated over many steps; a *shattered* one is uncorrelated already one "
            "step on, like white noise. The correlation length is where the curve crosses 1/e. **Bottom**: the "
            "correlation of neighbouring points against depth (mean over the initialisations named in the "
            "sentence below it; bars: min to max). "
            "Networks at initialisation have their BatchNorm statistics set from the line itself and then "
            "run in eval mode, so each point's gradient depends on that point alone."))
    with st.expander(_("Go deeper")):
        st.markdown(_(
            "- Balduzzi, Frean, Leary, Lewis, Ma, McWilliams (2017), *The Shattered Gradients Problem: If resnets "
            "are the answer, then what is the question?*: in feedforward nets the correlation between gradients "
            "at nearby inputs decays exponentially with depth, until they look like white noise; with skip "
            "connections it decays sublinearly. Gradients that carry no local information make gradient descent "
            "ineffective, which is one explanation of the degradation problem.\n"
            "- Balduzzi et al. measure networks at initialisation; choose *trained* above to measure trained "
            "twins the same way.\n"
            "- Reproduce: `python -m resnet_viz shattered --depths 20,56,110 --seeds 3 --n 256 --json`; trained: "
            "`python -m resnet_viz shattered --models plain20,resnet20 --weights shipped`."))
