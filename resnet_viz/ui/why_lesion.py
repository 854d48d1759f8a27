"""The lesion-study tab of the Why it works page (Veit et al. 2016): delete one block of each trained twin
and measure the test error again. Results are the stored ones that ship with the runs, or computed now by
background ``lesion`` jobs; the sentences come from ``resnet_viz.lessons.lesion``."""

from __future__ import annotations

import json

import streamlit as st

from resnet_viz.figures.why import lesion_blocks, lesion_curve
from resnet_viz.i18n import N_, _
from resnet_viz.lessons.lesion import (
    chance_error,
    chance_sentence,
    describe_lesions,
    lesion_job_caption,
    measured_on,
)
from resnet_viz.probes.lesion import LesionResult
from resnet_viz.runs.store import read_json
from resnet_viz.runs.twins import data_for, store, stored
from resnet_viz.training.jobs import probe_paths
from resnet_viz.ui.access import is_teacher
from resnet_viz.ui.common import friendly_errors, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.why import (
    COMPUTE,
    STORED,
    URL,
    compute_note,
    data_choice,
    no_twins,
    plain_and_resnet,
    probe_key,
    probe_panel,
    start_button,
)

LESION = N_("Lesion study")  # the experiment's name: the jobs' label and kind (English), shown translated


def lesion_tab(pairs: dict) -> None:
    """The tab: the question, the twins and where their results come from, the figures and their takeaway."""
    st.markdown(_("**Delete one block of a trained network. Does it still work?** (Veit et al. 2016)"))
    if not pairs:
        no_twins()
        return
    c1, c2 = st.columns([3, 2])
    pair = pairs[c1.selectbox(_("Trained twins"), list(pairs), key="lesion_pair", **URL)]
    shipped = {n: stored(r, "lesion") for n, r in pair.runs.items()}
    modes = ([STORED] if all(shipped.values()) else []) + [COMPUTE]
    mode = c2.radio(_("Results"), modes, horizontal=True, key="lesion_mode", format_func=_,
                    help=_("Stored results ship with the app (or were saved when computed for a local run)."))
    if mode == STORED:
        results = {n: LesionResult.from_json(d) for n, d in shipped.items()}
    else:
        results = compute_lesions(pair)
    n_classes = (read_json(pair.resnet.path / "model.json", {}) or {}).get("num_classes", 10)
    if results:
        lesion_figures(results, n_classes)
    lesion_notes(n_classes)


def compute_lesions(pair) -> dict[str, LesionResult]:
    """The settings of a lesion study computed now, its background jobs and, once they have finished, their
    results (empty until then)."""
    results: dict[str, LesionResult] = {}
    compute_note(LESION)
    d1, d2, d3 = st.columns([2, 1, 1])
    data = data_choice(d1, pair, "lesion_data", "test")
    n = d2.select_slider(_("Test images"), options=[100, 200, 500, 1000, 2000], value=500, key="lesion_n")
    draws = d3.select_slider(_("Random draws"), options=[0, 1, 2, 3], value=0, key="lesion_draws",
                             help=_("Also delete k = 1, 2, ... random blocks at once, this many random "
                                    "sets per k (slower)"))
    if not data:
        return results
    keys = {m: probe_key("lesion", r, (data, n, draws)) for m, r in pair.runs.items()}
    st.caption(str(lesion_job_caption(n)))
    start_button(_("Run the lesion study"), "lesion_run", LESION, pair, keys,
                 ["lesion", f"--data={data}", "--limit", str(n), "--random-draws", str(draws)])
    if probe_panel(LESION, keys):
        with friendly_errors(_(LESION)):
            teacher = is_teacher()  # writing into the shared run store is a teacher action
            for m, r in pair.runs.items():
                got = LesionResult.from_json(json.loads(probe_paths(keys[m])[0].read_text()))
                results[m] = got
                if teacher and data == data_for(r) and n >= 1000 and not draws and stored(r, "lesion") is None:
                    store(r, "lesion", got.to_json())  # keep it beside a local run
    return results


def lesion_figures(results: dict[str, LesionResult], n_classes: int) -> None:
    """The errors with one block removed, the takeaway, and the curves of random removals and swaps when
    the study measured them."""
    chance = chance_error(n_classes)
    show_figure(lesion_blocks(results, chance=chance), width="stretch", key="lesion_plot")
    plain, res = plain_and_resnet(results)
    takeaway(str(describe_lesions(plain, res, n_classes=n_classes)))
    if any(r.random for r in results.values()):
        xtitle = _("number of blocks removed at random (not the downsampling ones)")
        show_figure(lesion_curve(results, "k", xtitle=xtitle, chance=chance), key="lesion_k")
    if any(r.reorder for r in results.values()):
        show_figure(lesion_curve(results, "swaps", xtitle=_("pairs of same-stage blocks swapped"),
                                 chance=chance), key="lesion_swaps")
    st.caption(str(measured_on(next(iter(results.values())))))


def lesion_notes(n_classes: int) -> None:
    """How to read the figure, and the paper behind it."""
    with st.expander(_("How to read this figure")):
        st.markdown(_(
            "Each point is the test error of the trained network with **one** block deleted (x axis: which one, "
            "input side on the left); the dotted line is the intact network's error. In a ResNet a deleted "
            "block leaves its skip connection: the block's input is passed on unchanged (at a downsampling "
            "block, the shortcut's subsample-and-pad). A plain block has no skip: it is replaced by "
            "the identity, which is impossible where it changes the resolution (marked *cannot remove*). "
            "Diamonds are downsampling blocks. {chance}", chance=chance_sentence(n_classes)))
    with st.expander(_("Go deeper")):
        st.markdown(_(
            "- Veit, Wilber, Belongie (2016), *Residual Networks Behave Like Ensembles of Relatively Shallow "
            "Networks*: deleting single blocks of a ResNet-110 at test time barely changes its CIFAR-10 error, "
            "except at downsampling blocks, while a VGG-style net fails completely; the error grows smoothly "
            "with the number of blocks deleted, and swapping blocks hurts little. They read this as: a ResNet "
            "with n blocks is a collection of 2^n paths of different lengths, and most gradient flows through "
            "the short ones.\n"
            "- Reproduce: `python -m resnet_viz lesion --model resnet56 --weights assets/runs/<run>/"
            "model.safetensors --data cifar10 --limit 1000 --random-draws 3 --json`."))
