"""Home: what the app shows, a path through it, and what this machine has available."""

import pandas as pd
import streamlit as st

from resnet_viz.app.common import hub_dir, network_available, takeaway
from resnet_viz.env import device_summary
from resnet_viz.models import count_params, list_models
from resnet_viz.weights import REFERENCE_FILES, available_weights, shipped_path, torchvision_weights

st.title("resnet-viz: why do skip connections work?")
st.markdown(
    "In 2015 He et al. showed that simply stacking more layers makes a network **harder to train**: "
    "a 56-layer plain net ends with higher *training* error than a 20-layer one. Adding a skip connection "
    "around every pair of layers, so that each block computes **H(x) = F(x) + x**, fixed it and won "
    "ImageNet. This app lets you check that claim on real networks: every ResNet here has a *plain twin*, "
    "the same layers with the `+ x` removed, shown side by side."
)

p_res, p_plain = count_params("resnet56"), count_params("plain56")
takeaway(f"ResNet-56 has {p_res:,} parameters and its plain twin Plain-56 has {p_plain:,}: "
         f"{'exactly the same' if p_res == p_plain else 'not the same'}. With the paper's option A shortcut "
         "the skip connection adds no parameters at all, so any difference you see between the twins "
         "comes from the `+ x` alone.")

st.subheader("A path through the app")
st.page_link("pages/architectures.py", label="**Architectures**: what a residual block is, the model zoo "
             "with parameters and FLOPs, and exactly what a skip connection adds", icon=":material/account_tree:")
st.page_link("pages/gradient_flow.py", label="**Gradient flow**: does the gradient reach the first layer? "
             "Per-layer gradient norms of a plain net and its ResNet twin, against depth and during training",
             icon=":material/trending_down:")
st.page_link("pages/classify_explain.py", label="**Classify and explain**: upload a photo (or pick a sample): the "
             "top-5 classes of a ResNet and its plain twin, and Grad-CAM, saliency, Integrated Gradients and occlusion "
             "maps of which pixels each used", icon=":material/center_focus_strong:")
st.page_link("pages/feature_maps.py", label="**Feature maps**: what every layer responds to in your image, plain twin "
             "beside ResNet", icon=":material/grid_view:")
st.page_link("pages/block_anatomy.py", label="**Inside a block**: H(x) = F(x) + x measured block by block: how big "
             "is the learned correction compared with the identity?", icon=":material/add_circle:")
st.page_link("pages/degradation.py", label="**Degradation**: does a deeper network train better? Training curves of "
             "plain nets and ResNets at two depths (paper Figure 6), layer responses (Figure 7), and training your "
             "own set in the background", icon=":material/show_chart:")

st.subheader("This machine")
c1, c2, c3 = st.columns(3)
c1.metric("Compute", device_summary())
online = network_available()
c2.metric("Network", "online" if online else "offline")
c3.metric("Models registered", len(list_models()))
st.caption(f"torch hub cache (ImageNet and reference weights): `{hub_dir()}`")


@st.cache_data(ttl=30, show_spinner=False)
def weights_table() -> pd.DataFrame:
    rows = []
    for arch in REFERENCE_FILES:
        avail = available_weights(arch)
        rows.append({"model": arch, "weights": "reference CIFAR-10 (Idelbayev 2018)",
                     "available": "reference" in avail, "file": REFERENCE_FILES[arch]})
        if shipped_path(arch):
            rows.append({"model": arch, "weights": "trained by resnet-viz (shipped)", "available": True,
                         "file": shipped_path(arch).name})
    for m in list_models("imagenet"):
        if m.tv_name:
            w = torchvision_weights(m)
            rows.append({"model": m.name, "weights": f"torchvision ImageNet ({w.name})",
                         "available": "DEFAULT" in available_weights(m.name),
                         "file": w.url.rsplit("/", 1)[-1]})
    return pd.DataFrame(rows)


st.subheader("Pretrained weights on this machine")
table = weights_table()
n_ok = int(table["available"].sum())
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"available": st.column_config.CheckboxColumn("available")})
if n_ok < len(table):
    where = "downloaded automatically the first time a page needs them" if online else (
        f"missing: this machine is offline. Copy the files into `{hub_dir()}` (or a folder listed in "
        "`RESNET_VIZ_WEIGHTS_DIRS`); pages fall back to what is available")
    st.caption(f"{len(table) - n_ok} of {len(table)} weight files are {where}.")
