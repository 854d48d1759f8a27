"""Classify and explain: the top-5 classes of a ResNet and its plain twin, and which pixels each used."""

import streamlit as st

from resnet_viz.i18n import N_, _
from resnet_viz.probes.attribution import METHOD_NAMES, METHODS
from resnet_viz.ui.classify import classify_section, explain_section, layer_options, user_checkpoint
from resnet_viz.ui.common import header
from resnet_viz.ui.widgets import image_and_pair

# the two choices of "Explain the class" besides the top-5 labels (English values: the URL's, the tests')
PREDICTED, ANOTHER = N_("the predicted class"), N_("another class...")

header(_("Classify and explain"), _("What does each network think your image shows, and which pixels did it look at?"))

image, caption, pair, right = image_and_pair("ce")
with right:
    upload, user_model = user_checkpoint()
if image is None:
    st.stop()

res = classify_section(image, pair, user_model)
if res is None:
    st.stop()
models, preds = res["models"], res["preds"]

st.subheader(_("Which pixels mattered"))
e1, e2, e3, e4 = st.columns([1.2, 1.2, 1.4, 1])
method = e1.selectbox(_("Method"), list(METHODS), format_func=lambda m: _(METHOD_NAMES[m]), key="ce_method",
                      bind="query-params")
layers, default = layer_options(models[0].model)
layer = e2.selectbox(_("Layer (Grad-CAM)"), layers, index=default, key="ce_layer", bind="query-params",
                     disabled="gradcam" not in method, help=_("Default: the last residual block, as in the paper."))
top = next(iter(preds.values()))
cats = models[0].meta.categories or [str(i) for i in range(models[0].meta.num_classes)]
# class names are shown translated where the catalogs have them (CIFAR-10's), else as the model names them
target_choice = e3.selectbox(_("Explain the class"), [PREDICTED] + [t["label"] for t in top] + [ANOTHER],
                             format_func=lambda o: _(str(o)), key="ce_target", bind="query-params")
if target_choice == ANOTHER:
    target = cats.index(e3.selectbox(_("Class"), cats, format_func=lambda o: _(str(o)), key="ce_target_any",
                                     bind="query-params"))
elif target_choice == PREDICTED:
    target = None  # each network explains its own top class
else:  # the index, not the name: names can repeat across case ("cardigan", "Cardigan")
    target = next(t["index"] for t in top if t["label"] == target_choice)
opacity = e4.slider(_("Opacity"), 0.0, 1.0, 0.5, 0.05, key="ce_opacity", bind="query-params")
# the colour scales keep their names (Plotly's)
colorscale = e4.selectbox(_("Colours"), ["Inferno", "Viridis", "Jet", "Greys"], key="ce_colors",
                          bind="query-params")

explain_section(res, method, target, layer, opacity, colorscale)

with st.expander(_("How to read these figures")):
    st.markdown(_(
        "The bars are each network's top-5 classes with their probabilities (softmax of the outputs). The maps show "
        "which pixels of the image the chosen class depends on, by the chosen method: bright = important. "
        "**Grad-CAM** weighs the feature maps of one layer by how much the class score changes with them "
        "(coarse: the layer's resolution, upsampled). **Saliency** and **Integrated Gradients** use gradients with "
        "respect to every pixel (fine, noisy). **Occlusion** hides patches and measures the drop in the score "
        "(slow, model-agnostic). Maps are scaled to their own maximum, so compare where the bright regions are, "
        "not how bright."))
with st.expander(_("Go deeper")):
    st.markdown(_(
        "- Selvaraju et al. (2017), Grad-CAM; Sundararajan et al. (2017), Integrated Gradients; Simonyan et al. "
        "(2013), saliency maps; Zeiler & Fergus (2014), occlusion. Attributions are computed with captum.\n"
        "- Adebayo et al. (2018), *Sanity Checks for Saliency Maps*: some methods look similar on untrained "
        "networks: try the untrained pair.\n"
        "- The same map from the command line: `python -m resnet_viz explain IMAGE --model {model} "
        "--weights {weights} --method {method} --out overlay.png --npy map.npy`.",
        model=pair[0][0], weights=pair[0][1], method=method))
