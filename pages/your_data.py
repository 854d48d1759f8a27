"""Your data: train a ResNet and its plain twin on your own images (from scratch or by transfer learning),
then see where each one goes wrong."""

import streamlit as st

from resnet_viz.data.examples import data_key
from resnet_viz.i18n import N_, _
from resnet_viz.training.config import cli_command
from resnet_viz.training.jobs import set_active, set_runs, start_set, stop_set
from resnet_viz.training.plan import Plan
from resnet_viz.ui.access import is_teacher, owner
from resnet_viz.ui.common import friendly_errors, header, scratch
from resnet_viz.ui.jobs import queue_panel
from resnet_viz.ui.yourdata_results import results_section, upload_pair
from resnet_viz.ui.yourdata_source import EXAMPLE, FOLDER, UPLOAD, data_report, find_data
from resnet_viz.ui.yourdata_train import batch_size_for, live_panel, weights_warning

header(_("Your data"), _("Does a skip connection help on your own images too? Train a ResNet and its plain twin on "
                         "them and compare."))
scr = scratch()

st.subheader(_("1. Your images"))
source = st.radio(_("Data"), [EXAMPLE, UPLOAD, FOLDER], format_func=_, key="yd_source", horizontal=True,
                  bind="query-params",
                  help=_("A .zip of class folders (cat/..., dog/...), optionally inside train/ and test/ folders."))
found = find_data(source, scr)
if found is None:
    st.stop()
spec, extract, report = found
n_train = data_report(spec, extract, report)

# ----------------------------------------------------------------------------- 2. training

st.subheader(_("2. Train a ResNet and its plain twin"))
# the radios' values stay English (the URL, the tests): shown with format_func=_
SCRATCH, TRANSFER = N_("from scratch (CIFAR-style twins, 32x32)"), N_("transfer learning (ImageNet ResNet)")
FINETUNE, PROBE = N_("fine-tune all layers"), N_("linear probe (frozen)")
approach = st.radio(_("Approach"), [SCRATCH, TRANSFER], format_func=_, key="yd_approach", horizontal=True,
                    bind="query-params")
t1, t2, t3, t4 = st.columns(4)
from resnet_viz.env import resolve_device  # noqa: E402 - only now: torch is needed from here on

gpu = resolve_device("auto").type == "cuda"
if approach == SCRATCH:
    depth = t1.selectbox(_("Depth"), [20, 32, 44, 56], key="yd_depth_s", bind="query-params",
                         help=_("He et al.'s CIFAR nets: 6n+2 layers, 16-32-64 channels"))
    plan_kw = dict(approach="scratch", depth=depth, size=32)
else:
    depth = t1.selectbox(_("Depth"), [18, 34, 50], key="yd_depth_t", bind="query-params")
    # TRANSLATORS: a label: how the ImageNet ResNet is trained (fine-tuned or linear probe)
    method = t2.radio(_("Train"), [FINETUNE, PROBE], format_func=_, key="yd_method",
                      help=_("Fine-tune: every layer starts from the ImageNet weights and keeps learning. Linear "
                             "probe: the ImageNet layers stay frozen and only a new last layer learns."))
    size = t3.selectbox(_("Image size"), [64, 112, 160, 224], index=3 if gpu else 1, key="yd_size",
                        help=_("ImageNet models were trained at 224 px; smaller is much faster on a CPU."))
    plan_kw = dict(approach="transfer", depth=depth, method="finetune" if method == FINETUNE else "probe", size=size)
epochs = int(t4.number_input(_("Epochs"), min_value=1, max_value=100, value=20, key="yd_epochs"))
plan = Plan(**plan_kw, epochs=epochs, batch_size=batch_size_for(n_train))
st.caption(_("Plan: {plan}. Both nets see the same images in the same order, with the same schedule.",
             plan=plan.describe()))

weights_missing = weights_warning(plan)  # shown above the buttons; Train stays disabled while it holds
tag = plan.tag(data_key(spec))
b1, b2, _spacer = st.columns([1, 1, 3])
# TRANSLATORS: the button that starts training the two nets
if b1.button(_("Train"), key="yd_train", type="primary", disabled=weights_missing is not None):
    with friendly_errors(_("Starting the training job")):
        started = start_set(tag, plan.configs(spec), root=scr.runs, env=scr.job_env, owner=owner(),
                            one_per_owner=not is_teacher(), label=plan.queue_label(), work=plan.work(n_train))
        if started:
            st.toast(_("Training started in the background. You can look at other pages meanwhile."))
        elif all(r.status.get("state") == "finished" for r in set_runs(tag, plan.models, scr.runs)):
            st.info(_("These two nets have already been trained on this data with these settings: see below."))
        else:
            st.info(_("This training job is already queued or running: it was not started twice."))
if b2.button(_("Stop"), key="yd_stop", disabled=not set_active(tag, scr.runs)):
    stop_set(tag, plan.models, scr.runs)
    st.warning(_("Asked both runs to stop; each keeps its last finished epoch."))

live_panel(plan, tag, scr.runs)
queue_panel("yd")

# ----------------------------------------------------------------------------- 3. results

st.subheader(_("3. Where each net goes wrong"))
results_section(scr, tag)
with st.expander(_("Upload a pair you downloaded before")):
    upload_pair(scr)

with st.expander(_("How to read these figures")):
    st.markdown(_(
        "The **confusion matrix** has one row per true class and one column per predicted class: the diagonal is "
        "what each net got right, a bright cell off the diagonal is a pair of classes it mixes up (numbers are "
        "images, colours the share of the row). **Per-class accuracy** shows the same diagonal as bars. The "
        "**most confidently wrong** images are the held-out images each net misclassified with the highest "
        "probability; the Grad-CAM overlay shows which part of the image drove the wrong answer. All of it is "
        "measured on images neither net trained on."))
with st.expander(_("Go deeper")):
    st.markdown("\n".join([
        _("- From scratch, the twins differ only by the skip connections (He et al. 2015): on a small data set both "
          "can be far from their CIFAR-10 numbers, and the deeper the pair, the more the plain net struggles."),
        _("- Transfer learning (Yosinski et al. 2014, *How transferable are features in deep neural networks?*; "
          "Kornblith et al. 2019, *Do Better ImageNet Models Transfer Better?*): a ResNet pretrained on ImageNet "
          "usually beats any net trained from scratch on a few hundred images; there is no pretrained plain twin, "
          "so the plain net here is the from-scratch contrast."),
        _("- The same training from the command line: `{command}`.",
          command=cli_command(plan.configs("zip:YOUR.zip")[0], "my-run"))]))
