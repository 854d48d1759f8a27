"""Degradation: a deeper plain net trains worse, a deeper ResNet trains better (paper Figures 1, 6, 7)."""

import streamlit as st

from resnet_viz.i18n import N_, _
from resnet_viz.lessons.degradation import curves_reading_guide, one_depth_note
from resnet_viz.runs.twins import PRESETS, run_sets
from resnet_viz.ui.access import server_folder_input
from resnet_viz.ui.common import header
from resnet_viz.ui.degradation import URL, live_panel, live_tag, responses_section, train_buttons

# the "Data" choices (English values, drawn in the session's language) and the data spec each trains on
DATA_CHOICES = {N_("shapes, 2,000 images (quick demo)"): "shapes:2000", N_("shapes, 10,000 images"): "shapes:10000",
                "CIFAR-10": "cifar10", N_("image folder on the server"): None}

header(_("Degradation"), _("Does a deeper network train better? A plain net and a ResNet at two depths (paper "
                           "Figure 6)."))

sets = run_sets()
by_id = {("shipped:" if s.shipped else "local:") + s.tag: s for s in sets if s.depths}  # one depth still shows twins
labels = {s.label(): s for s in by_id.values()}

if labels:
    c1, c2, c3 = st.columns([3, 1, 1])
    chosen = c1.selectbox(_("Runs"), list(by_id), format_func=lambda i: str(by_id[i].label()), key="runset", **URL)
    rs = by_id[chosen]
    depths = rs.depths
    if len(depths) > 1:
        if st.session_state.get("shallow") not in depths[:-1]:
            st.session_state.pop("shallow", None)
        # TRANSLATORS: the shallower of the two depths compared (a number of layers)
        shallow = c2.selectbox(_("Shallow"), depths[:-1], index=0, key="shallow", **URL)
        deeper = [d for d in depths if d > shallow]
        if st.session_state.get("deep") not in deeper:
            st.session_state.pop("deep", None)
        deep = c3.selectbox(_("Deep"), deeper, index=len(deeper) - 1, key="deep", **URL)
    else:
        shallow = deep = depths[0]
        c2.caption(str(one_depth_note(depths[0])))

    live_panel(rs, shallow, deep)
    with st.expander(_("How to read this figure")):
        st.markdown(str(curves_reading_guide(next(iter(rs.runs.values())).config.get("batch_size", 128))))

    st.subheader(_("Layer responses (paper Figure 7)"))
    st.caption(_("Standard deviation of every 3x3 layer's output, after BatchNorm and before the addition or ReLU, "
                 "on test images, for the trained nets."))
    responses_section(rs, shallow, deep)
else:
    st.info(_("No finished runs with plain and ResNet twins yet. Train a set below: the default, 3 epochs on 2,000 "
              "built-in shapes images, takes a few minutes on a laptop CPU."), icon=":material/info:")

st.subheader(_("Train now"))
st.caption(_("Trains plain and ResNet at both depths one after another in the background, in the machine's job queue "
             "(shown below). You can leave the page: the runs keep going and appear above."))
t1, t2, t3, t4 = st.columns([1.4, 1, 1, 1])
data_choice = t1.selectbox(_("Data"), list(DATA_CHOICES), format_func=_, key="train_data")
preset = t2.selectbox(_("Preset"), list(PRESETS), format_func=lambda p: _(PRESETS[p]), key="train_preset",
                      help=_("fast: one-cycle schedule for short runs; paper: He et al.'s step schedule"))
epochs = int(t3.number_input(_("Epochs"), min_value=1, max_value=200, value=3, key="train_epochs"))
depth_pair = t4.selectbox(_("Depths"), ["20 vs 56", "20 vs 32", "32 vs 44", "20 vs 110"], key="train_depths",
                          format_func=lambda p: _("{shallow} vs {deep}", shallow=p.split(" vs ")[0],
                                                  deep=p.split(" vs ")[1]))
data = DATA_CHOICES[data_choice]
if data is None:
    folder = server_folder_input(_("Folder on the server (class sub-folders, optional train/ and test/)"),
                                 "train_folder")
    data = f"imagefolder:{folder}" if folder else None
    if folder and not (folder / "test").is_dir() and not (folder / "val").is_dir():
        st.caption(_("No test/ sub-folder: 20 % of every class is held out as test images (stratified, seed 0), "
                     "as on the Your data page."))
d1, d2 = (int(v) for v in depth_pair.split(" vs "))
models = [f"{k}{d}" for d in (d1, d2) for k in ("plain", "resnet")]
train_buttons(live_tag(data, preset, epochs), data, preset, epochs, models)

with st.expander(_("Go deeper")):
    st.markdown("\n".join([
        _("- He, Zhang, Ren, Sun (2015), *Deep Residual Learning for Image Recognition*: Figure 1 and Figure 6 (left: "
          "plain-20/32/44/56, right: ResNet-20 ... 110 on CIFAR-10), Table 6 (test error: ResNet-20 8.75 %, 32 7.51 %, "
          "44 7.17 %, 56 6.97 %, 110 6.43 %, 1202 7.93 %), Figure 7 (layer responses)."),
        _("- The paper trains for 64k iterations (164 epochs) with lr 0.1 divided by 10 at 32k and 48k, SGD momentum "
          "0.9, weight decay 1e-4, batch 128, 4-pixel padding + random crop + flip. The runs shipped here use a short "
          "one-cycle schedule (the same for all four nets) that fits a 2-core CPU; the takeaway above says what they "
          "show."),
        _("- Reproduce a run: `python -m resnet_viz train --model plain56 --data cifar10 --preset fast --epochs 12 "
          "--out runs/plain56-fast12`; all shipped runs: `bash scripts/train_shipped_runs.sh cifar10`.")]))
