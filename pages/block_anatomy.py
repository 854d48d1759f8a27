"""Residual block anatomy: H(x) = F(x) + x made visible, block by block, on your image."""

import numpy as np
import streamlit as st

from resnet_viz.figures.images import anatomy_lines, feature_grid
from resnet_viz.figures.style import skip_color
from resnet_viz.i18n import _
from resnet_viz.lessons.blocks import describe_cosines, describe_residuals, first_map_label, three_maps_title
from resnet_viz.models.names import display_name
from resnet_viz.probes.activations import block_anatomy
from resnet_viz.ui.common import compute_slot, friendly_errors, header, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.inputs import loaded_pair, model_input
from resnet_viz.ui.widgets import image_and_pair

header(_("Inside a residual block"), _("How much of each block's output is the identity x, and how much is the "
                                       "learned correction F(x)?"))

image, caption, pair, _column = image_and_pair("ba")

if image is not None:
    with friendly_errors(_("Measuring the blocks")):
        models = loaded_pair(pair)
        with compute_slot("the block anatomy"):
            x = model_input(models[0], image)
            results = {lm.meta.arch: (lm, *block_anatomy(lm.model, x, keep=True)) for lm in models}

        records = {arch: recs for arch, (_lm, recs, _tensors) in results.items()}
        show_figure(anatomy_lines(records, "residual_ratio", ytitle=_("||F(x)|| / ||x||  (log)"), log=True),
                    width="stretch", key="ratio")
        takeaway(str(describe_residuals(records, {a: r[0].info.skip for a, r in results.items()},
                                        {a: r[0].meta.source for a, r in results.items()})))

        # TRANSLATORS: an axis title: the cosine similarity of a block's input x and output H(x)
        show_figure(anatomy_lines(records, "cosine", ytitle=_("cosine(x, H(x))")), width="stretch", key="cosine")
        takeaway(str(describe_cosines(records)))

        st.subheader(_("The three tensors of one block"))
        names = [r.name for r in next(iter(records.values()))]
        b1, b2 = st.columns([1, 1])
        block = b1.selectbox(_("Block"), names, index=min(1, len(names) - 1), key="ba_block", bind="query-params")
        for arch, (lm, _recs, tensors) in results.items():
            t = tensors[block]
            channels = t["h"].shape[1]
            ch = int(b2.number_input(_("Channel ({name}, 0-{last})", name=display_name(arch), last=channels - 1),
                                     0, channels - 1, 0, key=f"ba_ch_{arch}"))
            f_map, h_map = t["f"][0, ch].float().cpu().numpy(), t["h"][0, ch].float().cpu().numpy()
            s_map = t["s"][0, ch].float().cpu().numpy() if t["s"] is not None else None
            rec = next(r for r in results[arch][1] if r.name == block)
            first = first_map_label(lm.info.skip, rec.downsampling, s_map is not None,
                                    s_map is not None and not np.any(s_map))
            maps = np.stack([s_map if s_map is not None else np.zeros_like(h_map), f_map, h_map])
            fig = feature_grid(maps, [0, 1, 2], title=str(three_maps_title(arch, block, ch, lm.info.skip)),
                               color=skip_color(lm.info.skip), cols=3,
                               zrange=(float(maps.min()), float(maps.max())))
            for ann, label in zip(fig.layout.annotations, [str(first), "F(x)", "H(x)"]):
                ann.text = label
            show_figure(fig, width="stretch", key=f"three-{arch}")

        st.page_link("pages/architectures.py", label=_("Basic vs bottleneck blocks, shortcut options A/B/C and where "
                     "the ReLU sits, with parameter counts from the real modules: the Architectures page"),
                     icon=":material/account_tree:")
        st.page_link("pages/degradation.py", label=_("Layer responses of trained plain nets and ResNets (paper "
                     "Figure 7): the Degradation page"), icon=":material/show_chart:")
        with st.expander(_("How to read these figures")):
            st.markdown(_(
                "A residual block computes **H(x) = ReLU(F(x) + x)**: its layers learn a *correction* F(x) that is "
                "added to the input x carried by the shortcut. The first plot shows, for every block in order, how "
                "big the correction is compared with x (1 = as big; below 1 = smaller; big markers are blocks that "
                "halve the resolution, where x goes through the option A or B shortcut). In a plain twin there is no "
                "shortcut, so the same quantity compares the block's layers' output with its input. The second plot "
                "shows how similar the output is to the input (cosine similarity of the two tensors, 1 = same "
                "direction). The maps show one channel of x, F(x) and H(x) for the chosen block. Block diagrams and "
                "parameter counts of basic and bottleneck blocks and of the shortcut options are on the "
                "Architectures page."))
        with st.expander(_("Go deeper")):
            st.markdown("\n".join("- " + line for line in (
                _("He et al. (2015), section 3.1: if the identity were optimal, it is easier to push F(x) to zero "
                  "than to fit an identity with a stack of nonlinear layers; Figure 7 shows trained residual "
                  "functions have small responses (see the Degradation page)."),
                _("Veit et al. (2016): residual networks behave like ensembles of relatively shallow paths."),
                _("The same numbers: `python -m resnet_viz blocks IMAGE --model {model} --weights {weights} "
                  "--json`.", model=pair[0][0], weights=pair[0][1]))))
