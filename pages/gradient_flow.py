"""Gradient flow: where the gradient goes in a plain net and its residual twin, at initialisation."""

import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.ui.common import header
from resnet_viz.ui.gradient_flow import (
    FAMILIES,
    INITS,
    SOURCES,
    URL,
    batch_uploads,
    flow_section,
    gradient_notes,
    sweep_section,
    training_section,
)

header(_("Gradient flow"), _("Does the gradient reach the first layer, with and without skip connections?"))

c1, c2, c3 = st.columns([1.3, 2, 1])
family = c1.radio(_("Networks"), list(FAMILIES), format_func=lambda f: _(FAMILIES[f][0]), key="family", **URL)
cifar = family == "cifar"
depths = FAMILIES[family][1]
if st.session_state.get("depth") not in depths:
    st.session_state.pop("depth", None)
depth = c2.select_slider(_("Depth (layers)"), options=depths, value=56 if cifar else 34, key="depth", **URL)
bn = c3.toggle("BatchNorm", value=True, key="bn", disabled=not cifar, **URL,
               help=_("Without normalisation the paper's nets are initialised with Kaiming init only. "
                      "torchvision's ImageNet nets always have BatchNorm."))
c4, c5, c6, c7 = st.columns([1.3, 1.2, 1, 0.8])
init = c4.selectbox(_("Initialisation"), list(INITS) if cifar else ["kaiming", "zero-residual"],
                    format_func=lambda i: _(INITS[i]), key="init", **URL)
source = c5.selectbox(_("Input batch"), list(SOURCES), format_func=lambda s: _(SOURCES[s]), key="source", **URL)
source_label = _(SOURCES[source])
batch = c6.select_slider(_("Batch size"), options=[4, 8, 16, 32, 64, 128], value=64 if cifar else 8, key="batch", **URL)
seed = int(c7.number_input(_("Seed"), min_value=0, max_value=9999, value=0, step=1, key="seed", **URL))
norm = "bn" if (bn or not cifar) else "none"
source, uploads = batch_uploads(source)

names = (f"plain{depth}", f"resnet{depth}")
options = {"norm": norm, "init": init} if cifar else ({"zero_init_residual": True} if init == "zero-residual" else {})
flow_section(names, options, source, batch, seed, uploads,
             guide=dict(norm=norm, init_label=_(INITS[init]), batch=batch, source_label=source_label, seed=seed))

st.subheader(_("The single number that tells the story, against depth"))
if cifar:
    sweep_section(norm, init, source)
else:
    st.caption(_("The depth sweep runs on the CIFAR-10 nets (an ImageNet sweep takes minutes on a CPU)."))

st.subheader(_("During training"))
st.caption(_("How the per-layer gradient norms evolve during training: either a short run of the paper's optimiser "
             "(SGD, momentum 0.9, weight decay 1e-4, lr 0.1) on the built-in shapes data, or the norms a finished "
             "training run logged every 20 steps."))
if cifar:
    training_section(depth, names, norm, init, seed)
else:
    st.caption(_("Live training runs on the CIFAR-10 nets."))

gradient_notes(names, norm, init, batch, seed, source)
