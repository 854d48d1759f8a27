"""Step 3 of the Your data page: where each net of a trained pair goes wrong on the held-out images
(takeaway, confusion matrices, per-class accuracy, the most confidently wrong images with their Grad-CAM),
links to the image pages, download and saving of the pair, and loading a pair downloaded before."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from resnet_viz.figures.yourdata import class_accuracy_figure, confusion_figure
from resnet_viz.i18n import _
from resnet_viz.lessons.yourdata import all_correct, describe_evaluation, wrong_caption, wrong_summary
from resnet_viz.models.names import display_name, run_name, split_run_name
from resnet_viz.runs.evaluation import confusion, evaluation, per_class_accuracy
from resnet_viz.runs.transfer import RunUploadError, pack_runs, save_to_store, unpack_runs
from resnet_viz.runs.twins import run_label, twin_runs
from resnet_viz.ui.access import teacher_only, upload_allowed
from resnet_viz.ui.common import get_model, takeaway
from resnet_viz.ui.figures import show_figure


def results_section(scr, tag: str) -> None:
    """The trained pairs of the session (the one of ``tag`` first), the chosen pair's evaluation and its
    links, download and save."""
    pairs = twin_runs(scr.runs)
    if not pairs:
        st.info(_("No trained pair in your session yet: train above, or upload a pair you downloaded before "
                  "(below)."), icon=":material/info:")
        return
    by_tag = {t: (res, plain) for t, res, plain in pairs}
    tags = list(by_tag)
    # TRANSLATORS: a trained pair: its tag, then "ResNet-20 (from scratch) vs Plain-20 (from scratch)"
    chosen = st.selectbox(_("Results of"), tags, index=tags.index(tag) if tag in tags else 0, key="yd_result",
                          format_func=lambda t: _("{tag}: {resnet} vs {plain}", tag=t, resnet=run_label(by_tag[t][0]),
                                                  plain=run_label(by_tag[t][1])))
    res, plain = by_tag[chosen]
    evs = {r.model: evaluation(r) for r in (res, plain)}
    if any(ev is None for ev in evs.values()):
        st.info(_("These runs have no held-out evaluation yet (it is written after every epoch)."))
    else:
        evaluation_figures(evs)
        wrong_images(evs, res, plain)
    pair_actions(chosen, res, plain)


def evaluation_figures(evs: dict[str, dict]) -> None:
    """The takeaway, the confusion matrices and the per-class accuracy of both nets."""
    takeaway(str(describe_evaluation(evs)))
    classes = next(iter(evs.values()))["classes"]  # both nets were trained on the same classes
    # the CSV export's headers, in the session's language
    model_h, true_h, pred_h, conf_h = _("model"), _("true class"), _("predicted class"), _("confidence")
    show_figure(confusion_figure({m: confusion(ev) for m, ev in evs.items()}, classes), key="yd-confusion",
                rows=[{model_h: m, true_h: ev["classes"][y], pred_h: ev["classes"][p], conf_h: c}
                      for m, ev in evs.items() for y, p, c in zip(ev["labels"], ev["preds"], ev["confidences"])])
    show_figure(class_accuracy_figure({m: per_class_accuracy(ev) for m, ev in evs.items()}), key="yd-classes")


@st.cache_data(max_entries=256, show_spinner="Grad-CAM...")
def gradcam(path: str, mtime: float, target: int, _lm) -> np.ndarray:
    """The Grad-CAM of class ``target`` over the image at ``path`` (``mtime`` makes a changed file a new entry)."""
    from PIL import Image

    from resnet_viz.probes.attribution import explain, overlay_image

    img = Image.open(path).convert("RGB")
    att = explain(_lm, _lm.transforms()(img).unsqueeze(0), "gradcam", target=target)
    big = np.asarray(img.resize((112, 112), Image.BILINEAR))
    return overlay_image(big, att.map, 0.45)


def wrong_images(evs: dict[str, dict], res, plain) -> None:
    """The chosen net's most confidently wrong held-out images, with the Grad-CAM of the class it said."""
    st.markdown(_("**The most confidently wrong held-out images**, with the Grad-CAM of the class the net said (its "
                  "last residual block): what it looked at when it went wrong."))
    which = st.radio(_("Network"), list(evs), format_func=display_name, key="yd_wrong_net", horizontal=True)
    run = res if which == list(evs)[0] else plain
    wrong = evs[which]["wrong"][:8]
    if not wrong:
        st.success(str(all_correct(display_name(which))))
    else:
        lm = get_model(which, str(run.checkpoint))
        cols = st.columns(4)
        classes = evs[which]["classes"]
        for i, w in enumerate(wrong):
            p = run.path / w["file"]
            with cols[i % 4]:
                st.image(gradcam(str(p), p.stat().st_mtime, w["pred"], lm), width=140,
                         caption=str(wrong_caption(classes, w)))
    st.caption(str(wrong_summary(display_name(which), evs[which], len(wrong))))


def pair_actions(chosen: str, res, plain) -> None:
    """Links to the image pages with the pair, its download, and saving it to the shared run store."""
    from resnet_viz.ui.widgets import user_pairs

    label = next((k for k in user_pairs() if k.startswith(f"Your data {chosen}:")), None)
    if label:
        l1, l2 = st.columns(2)
        l1.page_link("pages/classify_explain.py", label=_("Classify your own photo with these two nets"),
                     icon=":material/center_focus_strong:", query_params={"ce_pair": label})
        l2.page_link("pages/feature_maps.py", label=_("Their feature maps"), icon=":material/grid_view:",
                     query_params={"fm_pair": label})
    d1, d2 = st.columns(2)
    d1.download_button(_("Download this pair (.zip: weights + metadata + metrics)"),
                       data=lambda: pack_runs([res, plain]), file_name=f"resnet-viz-{chosen}.zip",
                       mime="application/zip", key="yd_download", on_click="ignore")
    with d2.popover(_("Save to the shared run store"), icon=":material/save:"):
        if not teacher_only(_("Saving into the shared run store")):
            st.caption(_("Download the pair instead: you can upload it again later, here or on another server."))
            return
        st.caption(_("Every user of this server will see the pair on the image pages. Your images are not copied."))
        # TRANSLATORS: the name the pair is saved under
        name = st.text_input(_("Name"), value=chosen, key="yd_save_name")
        if st.button(_("Save"), key="yd_save"):
            try:
                for r in (res, plain):
                    save_to_store(r, run_name(split_run_name(r.name)[0], name))
                st.success(_("Saved as {name}.", name=name))
            except (ValueError, OSError, RuntimeError) as e:
                st.error(str(e), icon=":material/error:")


def upload_pair(scr) -> None:
    """Load a pair downloaded before (its weights checked) into the session's runs."""
    up = st.file_uploader(_("Pair (.zip from the download button above)"), type=["zip"], key="yd_run_zip")
    if not upload_allowed(up):
        return
    sha = hashlib.sha256(up.getvalue()).hexdigest()[:16]
    if st.session_state.get("yd_uploaded") != sha:
        path = scr.uploads / f"runs-{sha}.zip"
        path.write_bytes(up.getvalue())
        try:
            with st.spinner(_("Checking the weights...")):
                got = unpack_runs(path, scr.runs)
            st.session_state["yd_uploaded"] = sha
            st.success(_("Loaded {runs} into your session.", runs=", ".join(str(run_label(r)) for r in got)))
            st.rerun()
        except RunUploadError as e:
            st.error(f"{up.name}: {e}", icon=":material/error:")
        finally:
            path.unlink(missing_ok=True)
