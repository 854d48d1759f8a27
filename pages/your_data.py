"""Your data: train a ResNet and its plain twin on your own images (from scratch or by transfer learning),
then see where each one goes wrong."""

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from resnet_viz.data.examples import data_key, example_folder
from resnet_viz.data.folders import UserDataError, prepare_zip, scan_folder, stratified_split
from resnet_viz.figures.plots import (
    class_accuracy_figure,
    class_counts_figure,
    confusion_figure,
    training_curves,
)
from resnet_viz.models.names import display_name
from resnet_viz.runs.yourdata import (
    RunUploadError,
    describe_evaluation,
    evaluation,
    pack_runs,
    run_label,
    save_to_store,
    twin_runs,
    unpack_runs,
)
from resnet_viz.training.jobs import set_active, set_pid, set_runs, start_set, stop_set
from resnet_viz.training.plan import Plan
from resnet_viz.ui.common import friendly_errors, get_model, header, scratch, takeaway
from resnet_viz.ui.figures import show_figure

header("Your data", "Does a skip connection help on your own images too? Train a ResNet and its plain twin on "
                    "them and compare.")
scr = scratch()

EXAMPLE, UPLOAD, FOLDER = "built-in example (600 shapes images, 3 classes)", "upload a .zip", "folder on this server"
st.subheader("1. Your images")
source = st.radio("Data", [EXAMPLE, UPLOAD, FOLDER], key="yd_source", horizontal=True, bind="query-params",
                  help="A .zip of class folders (cat/..., dog/...), optionally inside train/ and test/ folders.")


def scan_with_progress(path: Path):
    bar = st.progress(0.0, text="Checking every image...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Checking every image: {done} of {total}")

    report = scan_folder(path, progress=progress)
    bar.empty()
    return report


@st.cache_resource(show_spinner="Making the example images (once per server)...")
def example_data():
    """The built-in example, made and scanned once per server and shared (read-only) by every session."""
    path = example_folder()
    return f"imagefolder:{path}", None, scan_folder(path)


@st.cache_data(max_entries=32, show_spinner=False)
def thumbnails(spec: str, _report) -> list[tuple[str, list[np.ndarray]]]:
    """Up to 6 thumbnails of each of the first 12 classes, decoded once per data set (its spec names a folder
    of this session, or the shared example)."""
    from resnet_viz.data.datasets import load_image

    out = []
    for k, cls in enumerate(_report.classes[:12]):
        row = []
        for p in [_report.base / s.path for s in _report.samples if s.label == k][:6]:
            img = load_image(p)
            img.thumbnail((72, 72))
            row.append(np.asarray(img))
        out.append((cls, row))
    return out


def find_data():
    """``(spec, extract report or None, folder report)`` of the chosen source, scanned once per session."""
    cache = st.session_state.setdefault("yd_scans", {})
    if source == EXAMPLE:
        return example_data()
    if source == UPLOAD:
        f = st.file_uploader("Zip of class folders", type=["zip"], key="yd_zip",
                             help="Limits: 20,000 entries, 2 GB unpacked, 50 MB and 40 megapixels per image. "
                                  "Files that are not images are skipped and listed below.")
        if f is None:
            st.info("Upload a .zip: one folder per class (`cat/`, `dog/`, ...), or `train/` and `test/` folders "
                    "of those. Without `test/`, 20 % of every class is held out for testing.",
                    icon=":material/upload_file:")
            return None
        data = f.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        if sha not in cache:
            path = scr.uploads / f"{sha[:16]}.zip"
            path.write_bytes(data)
            with st.spinner(f"Unpacking {f.name} safely and checking every image..."):
                try:
                    extract, report = prepare_zip(path, cache_root=scr.unpacked)
                except UserDataError as e:
                    path.unlink(missing_ok=True)
                    st.error(f"{f.name}: {e}", icon=":material/error:")
                    return None
            cache[sha] = (f"zip:{path}", extract, report)
        return cache[sha]
    folder = st.text_input("Folder on this server (class folders, optionally inside train/ and test/)",
                           key="yd_folder", placeholder="/data/pets")
    if not folder:
        st.info("For teachers running the app themselves: type the path of a folder on the server.",
                icon=":material/folder_open:")
        return None
    path = Path(folder).expanduser()
    if str(path) not in cache:
        try:
            cache[str(path)] = (f"imagefolder:{path}", None, scan_with_progress(path))
        except UserDataError as e:
            st.error(str(e), icon=":material/folder_off:")
            return None
    return cache[str(path)]


found = find_data()
if found is None:
    st.stop()
spec, extract, report = found
for w in report.warnings:
    st.warning(w, icon=":material/warning:")
if report.errors:
    for e in report.errors:
        st.error(e, icon=":material/error:")
    st.stop()

counts = report.counts()
if "all" in counts:  # the hold-out the training engine makes: stratified, seed 0, 20 % of each class
    labels = [s.label for s in report.samples]
    train_idx, test_idx = stratified_split(labels)
    counts = {split: {c: sum(1 for i in idx if labels[i] == k) for k, c in enumerate(report.classes)}
              for split, idx in (("train", train_idx), ("test", test_idx))}
skipped = (extract.skipped if extract else []) + report.skipped
n_train, n_test = (sum(counts[s].values()) for s in ("train", "test"))
c1, c2, c3, c4 = st.columns(4)
c1.metric("Images", f"{len(report.samples):,}")
c2.metric("Classes", len(report.classes))
c3.metric("Train / test", f"{n_train:,} / {n_test:,}",
          help="From your train/ and test/ folders" if report.layout == "train/test" else
          "Held out: 20 % of every class (stratified, seed 0), never used for training")
c4.metric("Skipped files", len(skipped))
left, right = st.columns([1, 1])
with left:
    show_figure(class_counts_figure(counts), key="counts",
                rows=[{"class": c, "split": s, "images": n} for s, per in counts.items() for c, n in per.items()])
with right:
    st.caption("A few images of every class (as found, before resizing):")

    for cls, row in thumbnails(spec, report):
        st.image(row, caption=[cls] + [""] * (len(row) - 1), width=72)
    if len(report.classes) > 12:
        st.caption(f"... and {len(report.classes) - 12} more classes.")
if skipped:
    with st.expander(f"Skipped files ({len(skipped)}) and why"):
        st.dataframe([{"file": s.name, "reason": s.reason} for s in skipped[:500]], hide_index=True, width="stretch")

# ----------------------------------------------------------------------------- 2. training

st.subheader("2. Train a ResNet and its plain twin")
SCRATCH, TRANSFER = "from scratch (CIFAR-style twins, 32x32)", "transfer learning (ImageNet ResNet)"
approach = st.radio("Approach", [SCRATCH, TRANSFER], key="yd_approach", horizontal=True, bind="query-params")
t1, t2, t3, t4 = st.columns(4)
from resnet_viz.env import resolve_device  # noqa: E402 - only now: torch is needed from here on

gpu = resolve_device("auto").type == "cuda"
if approach == SCRATCH:
    depth = t1.selectbox("Depth", [20, 32, 44, 56], key="yd_depth_s", bind="query-params",
                         help="He et al.'s CIFAR nets: 6n+2 layers, 16-32-64 channels")
    plan_kw = dict(approach="scratch", depth=depth, size=32)
else:
    depth = t1.selectbox("Depth", [18, 34, 50], key="yd_depth_t", bind="query-params")
    method = t2.radio("Train", ["fine-tune all layers", "linear probe (frozen)"], key="yd_method",
                      help="Fine-tune: every layer starts from the ImageNet weights and keeps learning. Linear probe: "
                           "the ImageNet layers stay frozen and only a new last layer learns.")
    size = t3.selectbox("Image size", [64, 112, 160, 224], index=3 if gpu else 1, key="yd_size",
                        help="ImageNet models were trained at 224 px; smaller is much faster on a CPU.")
    plan_kw = dict(approach="transfer", depth=depth, method="finetune" if method.startswith("fine") else "probe",
                   size=size)
epochs = int(t4.number_input("Epochs", min_value=1, max_value=100, value=20, key="yd_epochs"))
plan = Plan(**plan_kw, epochs=epochs, batch_size=max(8, min(32, n_train // 16)))  # >= ~15 steps per epoch
st.caption(f"Plan: {plan.describe()}. Both nets see the same images in the same order, with the same schedule.")

weights_missing = None
if plan.approach == "transfer":
    from resnet_viz.models.registry import get_info
    from resnet_viz.models.weights import available_weights, torchvision_cached_path, torchvision_weights

    if "DEFAULT" not in available_weights(f"resnet{depth}"):
        w = torchvision_weights(get_info(f"resnet{depth}"))
        weights_missing = (f"The ImageNet weights of ResNet-{depth} are not in the torch hub cache, and this server "
                           f"cannot download them. Download {w.url} and put it at `{torchvision_cached_path(w)}`, "
                           "or train from scratch (first option above), which needs no download.")
        st.warning(weights_missing, icon=":material/cloud_off:")

tag = plan.tag(data_key(spec))
b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Train", key="yd_train", type="primary", disabled=weights_missing is not None):
    with friendly_errors("Starting the training job"):
        started = start_set(tag, plan.models, data=spec, preset="fast", epochs=plan.epochs,
                            extra_args=plan.extra_args, root=scr.runs, env=scr.job_env)
        if started:
            st.toast("Training started in the background. You can look at other pages meanwhile.")
        elif all(r.status.get("state") == "finished" for r in set_runs(tag, plan.models, scr.runs)):
            st.info("These two nets have already been trained on this data with these settings: see below.")
        else:
            st.info("This training job is already queued or running: it was not started twice.")
if b2.button("Stop", key="yd_stop", disabled=not set_active(tag, scr.runs)):
    stop_set(tag, plan.models, scr.runs)
    st.warning("Asked both runs to stop; each keeps its last finished epoch.")


@st.fragment(run_every=2.0 if set_active(tag, scr.runs) else None)
def live() -> None:
    runs = set_runs(tag, plan.models, scr.runs)
    if not any((r.path / "status.json").is_file() for r in runs):
        return
    active = set_active(tag, scr.runs)
    for r in runs:
        stt = r.status
        state = stt.get("state", "waiting")
        frac = 1.0 if state == "finished" else float(stt.get("progress") or 0.0)
        eta = f", about {stt['eta_s'] / 60:.1f} min left" if state == "running" and stt.get("eta_s") else ""
        st.progress(min(frac, 1.0), text=f"{run_label(r)}: {stt.get('message') or state}{eta}")
    curves = {r.config.get("model", r.name.split("-")[0]): r.metrics("epoch") for r in runs}
    if any(curves.values()):
        show_figure(training_curves(curves, (plan.depth,)), key="yd-curves",
                    rows=[{"model": m, **rec} for m, recs in curves.items() for rec in recs])
    if not active and st.session_state.get("yd_was_active"):
        st.session_state["yd_was_active"] = False
        st.rerun(scope="app")  # the job has ended: show the results below
    st.session_state["yd_was_active"] = active


live()
if set_pid(tag, scr.runs):
    st.caption("One training job runs per server at a time; other users' jobs wait in a queue.")

# ----------------------------------------------------------------------------- 3. results

st.subheader("3. Where each net goes wrong")
pairs = twin_runs(scr.runs)
if not pairs:
    st.info("No trained pair in your session yet: train above, or upload a pair you downloaded before (below).",
            icon=":material/info:")
else:
    by_tag = {t: (res, plain) for t, res, plain in pairs}
    tags = list(by_tag)
    chosen = st.selectbox("Results of", tags, index=tags.index(tag) if tag in tags else 0, key="yd_result",
                          format_func=lambda t: f"{t}: {run_label(by_tag[t][0])} vs {run_label(by_tag[t][1])}")
    res, plain = by_tag[chosen]
    evs = {r.config.get("model", r.name.split("-")[0]): evaluation(r) for r in (res, plain)}
    if any(ev is None for ev in evs.values()):
        st.info("These runs have no held-out evaluation yet (it is written after every epoch).")
    else:
        takeaway(describe_evaluation(evs))
        show_figure(confusion_figure(evs), key="yd-confusion",
                    rows=[{"model": m, "true": ev["classes"][y], "predicted": ev["classes"][p], "confidence": c}
                          for m, ev in evs.items() for y, p, c in zip(ev["labels"], ev["preds"], ev["confidences"])])
        show_figure(class_accuracy_figure(evs), key="yd-classes")

        st.markdown("**The most confidently wrong held-out images**, with the Grad-CAM of the class the net said "
                    "(its last residual block): what it looked at when it went wrong.")
        which = st.radio("Network", list(evs), format_func=display_name, key="yd_wrong_net", horizontal=True)
        run = res if which == list(evs)[0] else plain
        wrong = evs[which]["wrong"][:8]
        if not wrong:
            st.success(f"{display_name(which)} classifies every held-out image correctly.")
        else:
            from PIL import Image

            from resnet_viz.probes.attribution import explain, overlay_image

            lm = get_model(which, str(run.checkpoint))

            @st.cache_data(max_entries=256, show_spinner="Grad-CAM...")
            def gradcam(path: str, mtime: float, target: int, _lm) -> np.ndarray:
                img = Image.open(path).convert("RGB")
                att = explain(_lm, _lm.transforms()(img).unsqueeze(0), "gradcam", target=target)
                big = np.asarray(img.resize((112, 112), Image.BILINEAR))
                return overlay_image(big, att.map, 0.45)

            cols = st.columns(4)
            classes = evs[which]["classes"]
            for i, w in enumerate(wrong):
                p = run.path / w["file"]
                with cols[i % 4]:
                    st.image(gradcam(str(p), p.stat().st_mtime, w["pred"], lm), width=140,
                             caption=f"true: {classes[w['label']]} · said: {classes[w['pred']]} "
                                     f"({100 * w['confidence']:.0f} %)")
        ev_w = evs[which]
        n_wrong = sum(int(y != p) for y, p in zip(ev_w["labels"], ev_w["preds"]))
        st.caption(f"{display_name(which)} got {n_wrong} of {len(ev_w['labels'])} held-out images wrong"
                   + (f"; the {len(wrong)} it was most sure of are shown." if wrong else "."))

    from resnet_viz.ui.widgets import user_pairs

    label = next((k for k in user_pairs() if k.startswith(f"Your data {chosen}:")), None)
    if label:
        l1, l2 = st.columns(2)
        l1.page_link("pages/classify_explain.py", label="Classify your own photo with these two nets",
                     icon=":material/center_focus_strong:", query_params={"ce_pair": label})
        l2.page_link("pages/feature_maps.py", label="Their feature maps", icon=":material/grid_view:",
                     query_params={"fm_pair": label})
    d1, d2 = st.columns(2)
    d1.download_button("Download this pair (.zip: weights + metadata + metrics)", data=lambda: pack_runs([res, plain]),
                       file_name=f"resnet-viz-{chosen}.zip", mime="application/zip", key="yd_download",
                       on_click="ignore")
    with d2.popover("Save to the shared run store", icon=":material/save:"):
        st.caption("Every user of this server will see the pair on the image pages. Your images are not copied.")
        name = st.text_input("Name", value=chosen, key="yd_save_name")
        if st.button("Save", key="yd_save"):
            try:
                for r in (res, plain):
                    save_to_store(r, f"{r.name.split('-')[0]}-{name}")
                st.success(f"Saved as {name}.")
            except (ValueError, OSError, RuntimeError) as e:
                st.error(str(e), icon=":material/error:")

with st.expander("Upload a pair you downloaded before"):
    up = st.file_uploader("Pair (.zip from the download button above)", type=["zip"], key="yd_run_zip")
    if up is not None:
        sha = hashlib.sha256(up.getvalue()).hexdigest()[:16]
        if st.session_state.get("yd_uploaded") != sha:
            path = scr.uploads / f"runs-{sha}.zip"
            path.write_bytes(up.getvalue())
            try:
                with st.spinner("Checking the weights..."):
                    got = unpack_runs(path, scr.runs)
                st.session_state["yd_uploaded"] = sha
                st.success(f"Loaded {', '.join(run_label(r) for r in got)} into your session.")
                st.rerun()
            except RunUploadError as e:
                st.error(f"{up.name}: {e}", icon=":material/error:")
            finally:
                path.unlink(missing_ok=True)

with st.expander("How to read these figures"):
    st.markdown(
        "The **confusion matrix** has one row per true class and one column per predicted class: the diagonal is "
        "what each net got right, a bright cell off the diagonal is a pair of classes it mixes up (numbers are "
        "images, colours the share of the row). **Per-class accuracy** shows the same diagonal as bars. The "
        "**most confidently wrong** images are the held-out images each net misclassified with the highest "
        "probability; the Grad-CAM overlay shows which part of the image drove the wrong answer. All of it is "
        "measured on images neither net trained on.")
with st.expander("Go deeper"):
    st.markdown(
        "- From scratch, the twins differ only by the skip connections (He et al. 2015): on a small data set both "
        "can be far from their CIFAR-10 numbers, and the deeper the pair, the more the plain net struggles.\n"
        "- Transfer learning (Yosinski et al. 2014, *How transferable are features in deep neural networks?*; "
        "Kornblith et al. 2019, *Do Better ImageNet Models Transfer Better?*): a ResNet pretrained on ImageNet "
        "usually beats any net trained from scratch on a few hundred images; there is no pretrained plain twin, so "
        "the plain net here is the from-scratch contrast.\n"
        "- The same training from the command line: `python -m resnet_viz train --model "
        f"{plan.models[0].split(':')[0]} "
        + ("--pretrained --mode " + plan.method + " " if plan.approach == "transfer" else "")
        + f"--data zip:YOUR.zip --size {plan.size} --epochs {plan.epochs} --out my-run`.")
