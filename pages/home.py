"""Home: what the app shows, a path through it, and what this machine has available.

The first page a student sees renders without torch (importing torch and torchvision takes 3-4 s on a
small CPU): parameter counts come from the shipped model-stats file, and the machine and weights sections,
which need torch, fill in when the server's start-up thread has imported it (``common.torch_ready``).
"""

import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.lessons.home import param_count, params_takeaway
from resnet_viz.ui.common import takeaway
from resnet_viz.ui.home import lesson_links, machine_section, story_cards

st.title(_("resnet-viz: why do skip connections work?"))
st.markdown(_(
    "In 2015 He et al. showed that simply stacking more layers makes a network **harder to train**: "
    "a 56-layer plain net ends with higher *training* error than a 20-layer one. Adding a skip connection "
    "around every pair of layers, so that each block computes **H(x) = F(x) + x**, fixed it and won "
    "ImageNet. This app lets you check that claim on real networks: every ResNet here has a *plain twin*, "
    "the same layers with the `+ x` removed, shown side by side."
))

takeaway(params_takeaway(param_count("resnet56"), param_count("plain56")))

st.subheader(_("The story in six steps"))
st.caption(_("Each line below is computed now from the networks and training runs that ship with the app."))
story_cards()
st.page_link("pages/feature_maps.py", label=_("**Feature maps**: what every layer responds to in your image, plain "
                                              "twin beside ResNet"), icon=":material/grid_view:")

st.subheader(_("Lessons: links that reproduce the paper's figures"))
st.caption(_("Every setting of a page is kept in its address: copy the URL from the browser to share exactly what "
             "you see. These links open the figures of the papers."))
lesson_links()

st.subheader(_("This machine"))
machine_section()
