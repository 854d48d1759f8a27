"""The sections of the Home page: the six story cards (each line measured by ``resnet_viz.lessons.home`` at
start-up and filled in when ready), the lesson links that reproduce the papers' figures, and what this machine
has (compute, network, models, pretrained weight files). Nothing here imports torch at import time: Home
renders before torch has loaded, and the machine section waits for it.
"""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _, current_language, use_language
from resnet_viz.lessons.home import missing_weights_line, peek
from resnet_viz.ui.common import hub_dir, network_available, torch_ready

# (title, page, page label, icon, story line, what the page shows): the texts are translated where they are drawn
STEPS = [
    (N_("1. The problem"), "pages/degradation.py", N_("Degradation"), ":material/show_chart:", "degradation_line",
     N_("Deeper plain nets train *worse*: training curves of plain nets and ResNets at two depths (paper Figure 6).")),
    (N_("2. The fix"), "pages/architectures.py", N_("Architectures"), ":material/account_tree:", "architecture_line",
     N_("A residual block computes H(x) = F(x) + x: block diagrams, the model zoo, parameters and FLOPs.")),
    (N_("3. Gradient flow"), "pages/gradient_flow.py", N_("Gradient flow"), ":material/trending_down:",
     "gradient_line",
     N_("Does the gradient reach the first layer? Per-layer gradient norms of both twins, against depth.")),
    (N_("4. Inside a block"), "pages/block_anatomy.py", N_("Inside a block"), ":material/add_circle:", "block_line",
     N_("How big is the learned correction F(x) compared with the identity x? Also: feature maps of every stage.")),
    (N_("5. Explanations"), "pages/classify_explain.py", N_("Classify and explain"), ":material/center_focus_strong:",
     "explain_line",
     N_("Upload a photo: top-5 classes of both twins and Grad-CAM, saliency, IG and occlusion maps.")),
    (N_("6. Why it works"), "pages/why_it_works.py", N_("Why it works"), ":material/science:", "lesion_line",
     N_("Lesion study, shattered gradients and loss landscapes of the trained twins.")),
]

# (page, label, query parameters). The "tab" of Why it works is in its URL by the tab's label, which is translated
# (st.tabs has no format_func): its value here is the English label, translated when the link is drawn.
LESSONS = [
    ("pages/degradation.py", N_("He et al. 2015, Figures 1 and 6: plain-20 vs plain-56, ResNet-20 vs ResNet-56"),
     {"shallow": "20", "deep": "56"}),
    ("pages/degradation.py", N_("He et al. 2015, Figure 7: layer responses (below the training curves)"), {}),
    ("pages/gradient_flow.py", N_("Gradient flow at 20 layers"), {"depth": "20"}),
    ("pages/gradient_flow.py", N_("Gradient flow at 56 layers"), {"depth": "56"}),
    ("pages/gradient_flow.py", N_("Gradient flow at 110 layers"), {"depth": "110"}),
    ("pages/gradient_flow.py", N_("Gradient flow at 56 layers without BatchNorm"), {"depth": "56", "bn": "false"}),
    ("pages/why_it_works.py", N_("Veit et al. 2016: the lesion study"), {"tab": N_("Lesion study")}),
    ("pages/why_it_works.py", N_("Balduzzi et al. 2017: shattered gradients at 110 layers"),
     {"tab": N_("Shattered gradients"), "sh_depth": "110"}),
    ("pages/why_it_works.py", N_("Li et al. 2018: loss landscapes"), {"tab": N_("Loss landscape")}),
]
TRANSLATED_QUERY = ("tab",)  # query parameters whose value is a label of the page (translated at draw time)


def lesson_query(query: dict) -> dict:
    """A lesson link's query parameters in the session's language (the tab labels of Why it works)."""
    return {k: _(v) if k in TRANSLATED_QUERY else v for k, v in query.items()}


def story_cards() -> None:
    """The six cards; a line still being measured at start-up shows as such and fills in when ready."""
    lines = {fn: peek(fn) for *_rest, fn, _what in STEPS}
    pending = [fn for fn, (known, _line) in lines.items() if not known]

    @st.fragment(run_every=1.0 if pending else None)
    def cards():
        now = {fn: peek(fn) for fn in lines}
        cols = st.columns(3)
        for i, (title, page, label, icon, fn, what) in enumerate(STEPS):
            with cols[i % 3].container(border=True):
                st.markdown(f"**{_(title)}**")
                st.page_link(page, label=_(label), icon=icon)
                st.caption(_(what))
                known, line = now[fn]
                if line:
                    st.markdown(f":blue-background[{line}]")  # a Msg: f-strings draw it in this session's language
                elif known:
                    st.caption(_("Not available here: the shipped runs or checkpoints this step reads are missing."))
                else:
                    st.caption(_("Measuring on the shipped networks..."))
        if pending and all(k for k, _line in now.values()):
            st.rerun()  # everything measured: draw the page once more without the timer

    cards()


def lesson_links() -> None:
    """The lesson links, three to a row: each opens a page with the settings of a paper's figure."""
    lc = st.columns(3)
    for i, (page, label, query) in enumerate(LESSONS):
        lc[i % 3].page_link(page, label=_(label), query_params=lesson_query(query), icon=":material/school:")


@st.cache_data(ttl=30, show_spinner=False)
def weights_table(lang: str = "en"):
    """The pretrained weight files and whether each is on this machine. The column names are the English keys
    the page reads (``available``); the texts in the cells are in ``lang`` (the cache keeps one table per
    language)."""
    import pandas as pd

    from resnet_viz.models.registry import list_models
    from resnet_viz.models.weights import REFERENCE_FILES, available_weights, shipped_path, torchvision_weights

    rows = []
    with use_language(lang):
        for arch in REFERENCE_FILES:
            avail = available_weights(arch)
            rows.append({"model": arch, "weights": _("reference CIFAR-10 (Idelbayev 2018)"),
                         "available": "reference" in avail, "file": REFERENCE_FILES[arch]})
            if shipped_path(arch):
                rows.append({"model": arch, "weights": _("trained by resnet-viz (shipped)"), "available": True,
                             "file": shipped_path(arch).name})
        for m in list_models("imagenet"):
            if m.tv_name:
                w = torchvision_weights(m)
                rows.append({"model": m.name, "weights": _("torchvision ImageNet ({weights})", weights=w.name),
                             "available": "DEFAULT" in available_weights(m.name),
                             "file": w.url.rsplit("/", 1)[-1]})
    return pd.DataFrame(rows)


# the weights table's column headers as shown (the frame's own columns stay the English keys)
WEIGHTS_COLUMNS = {
    "model": N_("model"),
    # TRANSLATORS: a column header of the table of pretrained weight files: which trained weights a file holds
    "weights": N_("weights"),
    "available": N_("available"),
    "file": N_("file"),
}


def machine() -> None:
    """Compute, network, models and weight files; until torch is loaded, a line that says so (it fills in)."""
    from resnet_viz.env import device_summary
    from resnet_viz.models.registry import list_models

    c1, c2, c3 = st.columns(3)
    c1.metric(_("Compute"), device_summary())
    online = network_available()
    c2.metric(_("Network"), _("online") if online else _("offline"))
    c3.metric(_("Models registered"), len(list_models()))
    st.caption(_("torch hub cache (ImageNet and reference weights): `{path}`", path=hub_dir()))

    st.subheader(_("Pretrained weights on this machine"))
    table = weights_table(current_language())
    n_ok = int(table["available"].sum())
    headers = {k: _(v) for k, v in WEIGHTS_COLUMNS.items()}
    st.dataframe(table.rename(columns=headers), hide_index=True, width="stretch",
                 column_config={headers["available"]: st.column_config.CheckboxColumn(headers["available"])})
    if n_ok < len(table):
        st.caption(str(missing_weights_line(len(table) - n_ok, len(table), online, hub_dir())))


def machine_section() -> None:
    """The machine section, drawn once the server's start-up thread has imported torch (polled until then)."""
    ready = torch_ready()

    @st.fragment(run_every=None if ready else 0.5)
    def section() -> None:
        if not torch_ready():
            st.caption(_("Checking this machine: the server is loading PyTorch (a few seconds after it starts)..."))
        elif not ready:
            st.rerun()  # the whole app once more: this section and the sidebar's compute line, without the timer
        else:
            machine()

    section()
