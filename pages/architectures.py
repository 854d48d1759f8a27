"""Architectures: the zoo, and exactly what a skip connection adds to a block."""

import pandas as pd
import streamlit as st
import torch

from resnet_viz.figures.architecture import block_dot, params_vs_depth
from resnet_viz.i18n import N_, _
from resnet_viz.lessons.architectures import describe_twin_params, params_caption, shortcut_label
from resnet_viz.models.registry import REGISTRY, build_model
from resnet_viz.models.stats import model_stats
from resnet_viz.ui.common import friendly_errors, header, takeaway
from resnet_viz.ui.figures import show_figure

header(_("Architectures"), _("What is a residual block made of, and what exactly does the skip connection add?"))

# The keys are the widgets' values (and the URL's): English, shown translated with format_func.
BLOCKS = {
    N_("CIFAR basic block (ResNet-20 ... 1202)"): ("resnet20", "plain20"),
    N_("ImageNet basic block (ResNet-18/34)"): ("resnet34", "plain34"),
    N_("ImageNet bottleneck (ResNet-50/101/152)"): ("resnet50", "plain50"),
}
POSITIONS = {
    N_("first block of stage 2 (halves the resolution, doubles the channels)"): ("layer2", 0),
    N_("second block of stage 2 (same shape in and out)"): ("layer2", 1),
}
SHORTCUT_HELP = N_("Where a block changes the shape, x cannot be added as it is. A: subsample and pad with "
                   "zero channels (no parameters; the paper's CIFAR nets). B: a 1x1 convolution there "
                   "(torchvision's ImageNet ResNets). C: a 1x1 convolution on every block.")
# TRANSLATORS: "zoo": the family of other well-known architectures (VGG, DenseNet, ViT...) compared with ResNets
FAMILIES = {"cifar": "cifar", "imagenet": "imagenet", "zoo": N_("zoo")}

c1, c2, c3 = st.columns([2, 2, 1])
block_kind = c1.selectbox(_("Block"), list(BLOCKS), key="block", bind="query-params", format_func=_)
position = c2.selectbox(_("Which block"), list(POSITIONS), key="position", bind="query-params", format_func=_)
is_cifar = block_kind.startswith("CIFAR")
shortcut = c3.radio(_("Shortcut option"), ["A", "B", "C"], key="shortcut", bind="query-params", horizontal=True,
                    help=_(SHORTCUT_HELP),
                    disabled=not is_cifar, index=0 if is_cifar else 1)
if not is_cifar:
    shortcut = "B"  # torchvision's choice


@st.cache_resource(show_spinner=False)
def twin_blocks(kind: str, stage: str, index: int, option: str):
    """The same block position in a ResNet and its plain twin (meta device: shapes only)."""
    res_name, plain_name = BLOCKS[kind]
    opts = {"shortcut": option} if kind.startswith("CIFAR") else {}
    with torch.device("meta"):
        res, plain = build_model(res_name, **opts), build_model(plain_name, **opts)
    return res, plain, getattr(res, stage)[index], getattr(plain, stage)[index]


stage, index = POSITIONS[position]
res_model, plain_model, res_block, plain_block = twin_blocks(block_kind, stage, index, shortcut)
res_name, plain_name = BLOCKS[block_kind]
sc_label = shortcut_label(res_block)

left, right = st.columns(2)
with left:
    st.graphviz_chart(block_dot(res_block, title=_("{name}.{stage}[{index}]: residual block", name=res_name,
                                                   stage=stage, index=index), skip=True,
                                shortcut_label=sc_label), width="stretch")
with right:
    # TRANSLATORS: the plain twin: the same block without the skip connection
    st.graphviz_chart(block_dot(plain_block, title=_("{name}.{stage}[{index}]: plain twin", name=plain_name,
                                                     stage=stage, index=index), skip=False),
                      width="stretch")

takeaway(str(describe_twin_params((res_name, plain_name), (res_model, plain_model), (res_block, plain_block),
                                  shortcut)))

with st.expander(_("How to read this figure")):
    st.markdown(_(
        "Each box is a real layer of the model, with its parameter count read from the module. Data flows "
        "top to bottom. In the residual block (left) the input x also takes the coloured path around the "
        "layers and is **added** to their output F(x) before the last ReLU, so the layers only have to learn "
        "the *correction* F(x) = H(x) - x. The plain twin (right) has the same layers without that path: "
        "it must learn the whole mapping H(x). Bottleneck blocks squeeze the channels with a 1x1 conv, do the "
        "3x3 conv on 4x fewer channels, and expand them again: cheaper for deep nets."))

st.subheader(_("The model zoo"))
st.caption(_("Click a column header to sort. FLOPs are counted by `torch.utils.flop_counter` for one image at the "
             "model's input size: **1 multiply-add = 2 FLOPs** (torchvision's tables call ResNet-50's 4.09 GMAC "
             "\"4.09 GFLOPS\"; the paper's \"3.8 x 10^9 FLOPs\" are multiply-adds of the original V1 design)."))
families = st.multiselect(_("Families"), list(FAMILIES), default=list(FAMILIES), key="families",
                          format_func=lambda f: _(FAMILIES[f]))
rows = []
with st.spinner(_("Counting parameters and FLOPs of every model (once per machine)...")), \
        friendly_errors(_("Counting parameters and FLOPs")):
    rows = model_stats()
if not rows:
    st.stop()
df = pd.DataFrame(rows)
df = df[df["family"].isin(families)]
df = df.assign(gflops=df["flops"] / 1e9)[["name", "family", "depth", "skip", "params", "gflops", "input_size",
                                           "twin", "description"]]
# the keys stay English (the tests read them); what the student sees is translated: the column labels, the
# families and the descriptions (the registry's, drawn in the session's language; the stats file holds English)
df = df.assign(family=df["family"].map(lambda f: _(FAMILIES.get(f, f))),
               description=[str(REGISTRY[n].description) if n in REGISTRY else d
                            for n, d in zip(df["name"], df["description"])])
st.dataframe(
    df, hide_index=True, width="stretch",
    column_config={
        "name": st.column_config.TextColumn(_("name")),
        # TRANSLATORS: a column of the model zoo table: the model's family (cifar, imagenet, zoo)
        "family": st.column_config.TextColumn(_("family")),
        "depth": st.column_config.NumberColumn(_("depth")),
        "params": st.column_config.NumberColumn(_("parameters"), format="localized"),
        "gflops": st.column_config.NumberColumn(_("GFLOP / image"), format="%.3f"),
        "input_size": st.column_config.NumberColumn(_("input (px)")),
        # TRANSLATORS: a column of the model zoo table: whether the model has skip connections
        "skip": st.column_config.CheckboxColumn(_("skip")),
        # TRANSLATORS: a column of the model zoo table: the model's twin (the same net with or without skips)
        "twin": st.column_config.TextColumn(_("twin")),
        "description": st.column_config.TextColumn(_("description")),
    },
)
fam = "cifar" if "cifar" in families or not families else families[0]
if fam in ("cifar", "imagenet"):
    show_figure(params_vs_depth(rows, family=fam), width="stretch", key="params_plot")
    st.caption(str(params_caption(rows, fam)))

with st.expander(_("Go deeper")):
    st.markdown("\n".join("- " + line for line in (
        _("He, Zhang, Ren, Sun (2015), *Deep Residual Learning for Image Recognition*, arXiv:1512.03385: "
          "section 3.3 (shortcut options A/B/C), section 4.2 (the CIFAR-10 nets: 6n+2 layers, 16/32/64 "
          "filters), Table 6 (ResNet-20: 0.27M parameters ... ResNet-1202: 19.4M)."),
        _("torchvision's ResNet-50 and deeper are *V1.5*: the stride-2 sits in the 3x3 conv of the "
          "bottleneck, not the first 1x1."),
        _("Reproduce the numbers: `python -m resnet_viz models`, `python -m resnet_viz info resnet50`."))))
