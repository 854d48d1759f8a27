"""Degradation: a deeper plain net trains worse, a deeper ResNet trains better (paper Figures 1, 6, 7)."""

import hashlib
from pathlib import Path

import streamlit as st

from resnet_viz.figures.plots import responses_figure, training_curves
from resnet_viz.models.names import display_name
from resnet_viz.runs.twins import (
    common_epoch_errors,
    describe_degradation,
    describe_one_depth,
    describe_responses,
    run_sets,
)
from resnet_viz.training.jobs import set_active, set_runs, start_set, stop_set
from resnet_viz.ui.common import compute_slot, friendly_errors, header, takeaway
from resnet_viz.ui.figures import show_figure

header("Degradation", "Does a deeper network train better? A plain net and a ResNet at two depths (paper Figure 6).")

sets = run_sets()
by_id = {("shipped:" if s.shipped else "local:") + s.tag: s for s in sets if s.depths}  # one depth still shows twins
labels = {s.label(): s for s in by_id.values()}
URL = dict(bind="query-params")  # the settings are in the page's URL: a link reproduces the figure


def show_set(rs, shallow: int, deep: int) -> None:
    depths = tuple(sorted({shallow, deep}))
    names = [f"{k}{d}" for k in ("plain", "resnet") for d in depths]
    curves = {n: rs.runs[n].metrics("epoch") for n in names if n in rs.runs}
    metrics = [{"model": n, **{k: v for k, v in r.items() if k != "kind"}} for n, rows in curves.items() for r in rows]
    show_figure(training_curves(curves, depths), width="stretch", key=f"curves-{rs.tag}", rows=metrics)
    epoch, at_epoch = common_epoch_errors({n: rs.runs[n] for n in names if n in rs.runs})
    takeaway(describe_degradation(at_epoch, shallow, deep, epoch) if shallow != deep
             else describe_one_depth(at_epoch, shallow, epoch))
    rows = []
    for n in names:
        run = rs.runs.get(n)
        if run is None:
            continue
        f, st_ = run.final(), run.status
        rows.append({"model": display_name(n), "state": "running" if run.running else st_.get("state", "?"),
                     "epochs": len(run.metrics("epoch")),
                     "final train error %": None if f["train_error"] is None else round(100 * f["train_error"], 2),
                     "final test error %": None if f["test_error"] is None else round(100 * f["test_error"], 2),
                     "progress": st_.get("progress", 1.0 if st_.get("state") == "finished" else 0.0),
                     "note": st_.get("message", "")})
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0, max_value=1)})


if labels:
    c1, c2, c3 = st.columns([3, 1, 1])
    chosen = c1.selectbox("Runs", list(by_id), format_func=lambda i: by_id[i].label(), key="runset", **URL)
    rs = by_id[chosen]
    depths = rs.depths
    if len(depths) > 1:
        if st.session_state.get("shallow") not in depths[:-1]:
            st.session_state.pop("shallow", None)
        shallow = c2.selectbox("Shallow", depths[:-1], index=0, key="shallow", **URL)
        deeper = [d for d in depths if d > shallow]
        if st.session_state.get("deep") not in deeper:
            st.session_state.pop("deep", None)
        deep = c3.selectbox("Deep", deeper, index=len(deeper) - 1, key="deep", **URL)
    else:
        shallow = deep = depths[0]
        c2.caption(f"Only {depths[0]}-layer twins in this set: the degradation problem needs a second, deeper "
                   "pair. Train one below, or ship all four with scripts/train_shipped_runs.sh.")
    live = any(r.active for r in rs.runs.values())

    @st.fragment(run_every=2.0 if live else None)
    def live_panel():
        show_set(rs, shallow, deep)
        if live and not any(r.active for r in rs.runs.values()):
            st.rerun()  # the last run just finished: redraw the whole page once

    live_panel()
    with st.expander("How to read this figure"):
        batch = next(iter(rs.runs.values())).config.get("batch_size", 128)
        st.markdown(
            "Each curve is the classification error (% of images wrong) during training, against the number of "
            f"training iterations (one iteration = one batch of {batch} images). **Solid**: training error, measured "
            "on the training images as they are seen (with augmentation). **Dashed**: test error on the held-out test "
            "images after each epoch. Thick, dark lines are the deeper net. The paper's point is about the *solid* "
            "lines: if the deep plain net's training error is higher than the shallow one's, the extra layers make "
            "the network harder to *optimise*; it is not overfitting (that would show as low training error and "
            "high test error).")

    st.subheader("Layer responses (paper Figure 7)")
    st.caption("Standard deviation of every 3x3 layer's output, after BatchNorm and before the addition or ReLU, "
               "on test images, for the trained nets.")

    @st.cache_data(max_entries=32, show_spinner=False)
    def responses_for(path: str, data: str, mtime: float):
        from resnet_viz.runs.store import Run
        from resnet_viz.runs.twins import run_responses

        with compute_slot():
            return run_responses(Run(Path(path)), data, 500)

    responses, missing = {}, []
    for n in [f"{k}{d}" for d in sorted({shallow, deep}) for k in ("plain", "resnet")]:
        run = rs.runs[n]
        if run.active:
            missing.append(display_name(n))
            continue
        shipped = (run.path / "responses.json").is_file()
        if shipped:
            from resnet_viz.runs.store import read_json

            responses[n] = read_json(run.path / "responses.json")["layers"]
        elif run.checkpoint is not None:
            with friendly_errors(f"Layer responses of {display_name(n)}"):
                responses[n] = responses_for(str(run.path), run.config["data"],
                                             run.checkpoint.stat().st_mtime)["layers"]
        else:
            missing.append(display_name(n))
    if responses:
        show_figure(responses_figure(responses), width="stretch", key="responses")
        takeaway(describe_responses(responses))
    if missing:
        st.caption(f"Not yet for {', '.join(missing)}: still training or no checkpoint.")
else:
    st.info("No finished runs with plain and ResNet twins yet. Train a set below: the default, "
            "3 epochs on 2,000 built-in shapes images, takes a few minutes on a laptop CPU.", icon=":material/info:")

st.subheader("Train now")
st.caption("Trains plain and ResNet at both depths one after another in the background (one training job per "
           "machine; others queue). You can leave the page: the runs keep going and appear above.")
t1, t2, t3, t4 = st.columns([1.4, 1, 1, 1])
data_choice = t1.selectbox("Data", ["shapes, 2,000 images (quick demo)", "shapes, 10,000 images", "CIFAR-10",
                                    "image folder on the server"], key="train_data")
preset = t2.selectbox("Preset", ["fast", "paper"], key="train_preset",
                      help="fast: one-cycle schedule for short runs; paper: He et al.'s step schedule")
epochs = int(t3.number_input("Epochs", min_value=1, max_value=200, value=3, key="train_epochs"))
depth_pair = t4.selectbox("Depths", ["20 vs 56", "20 vs 32", "32 vs 44", "20 vs 110"], key="train_depths")
data = {"shapes, 2,000 images (quick demo)": "shapes:2000", "shapes, 10,000 images": "shapes:10000",
        "CIFAR-10": "cifar10"}.get(data_choice)
if data is None:
    folder = st.text_input("Folder on the server (class sub-folders, optional train/ and test/)", key="train_folder")
    data = f"imagefolder:{folder}" if folder else None
    if folder and not (Path(folder) / "test").is_dir() and not (Path(folder) / "val").is_dir():
        st.caption("No test/ sub-folder: 20 % of every class is held out as test images (stratified, seed 0), "
                   "as on the Your data page.")
d1, d2 = (int(v) for v in depth_pair.split(" vs "))
models = [f"{k}{d}" for d in (d1, d2) for k in ("plain", "resnet")]
short = (data.replace(":", "") if data and not data.startswith("imagefolder:") else
         "folder" + hashlib.sha1((data or "").encode()).hexdigest()[:8])  # one set per folder
tag = f"live-{short}-{preset}-{epochs}ep"
b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Train now", key="train_now", type="primary", disabled=data is None):
    with friendly_errors("Starting the training job"):
        if data.startswith("imagefolder:") or data == "cifar10":
            from resnet_viz.data.datasets import get_dataset

            get_dataset(data, "train")  # fail here, with the message, rather than in the background
        started = start_set(tag, models, data=data, preset=preset, epochs=epochs)
        if started:
            st.success(f"Started: {', '.join(display_name(m) for m in models)} ({tag}). They appear above as "
                       f"they train.")
        else:
            st.info(f"{tag} is already queued or running: it was not started twice.")
if b2.button("Stop", key="train_stop"):
    stop_set(tag, models)
    st.warning(f"Asked the runs of {tag} to stop; each keeps its last finished epoch.")
if set_active(tag):
    states = {display_name(r.name.split('-')[0]): r.status.get("message") or r.status.get("state")
              for r in set_runs(tag, models)}
    st.caption("Job status: " + "; ".join(f"{k}: {v}" for k, v in states.items()))

with st.expander("Go deeper"):
    st.markdown(
        "- He, Zhang, Ren, Sun (2015), *Deep Residual Learning for Image Recognition*: Figure 1 and Figure 6 (left: "
        "plain-20/32/44/56, right: ResNet-20 ... 110 on CIFAR-10), Table 6 (test error: ResNet-20 8.75 %, 32 7.51 %, "
        "44 7.17 %, 56 6.97 %, 110 6.43 %, 1202 7.93 %), Figure 7 (layer responses).\n"
        "- The paper trains for 64k iterations (164 epochs) with lr 0.1 divided by 10 at 32k and 48k, SGD momentum "
        "0.9, weight decay 1e-4, batch 128, 4-pixel padding + random crop + flip. The runs shipped here use a short "
        "one-cycle schedule (the same for all four nets) that fits a 2-core CPU; the takeaway above says what they "
        "show.\n"
        "- Reproduce a run: `python -m resnet_viz train --model plain56 --data cifar10 --preset fast --epochs 12 "
        "--out runs/plain56-fast12`; all shipped runs: `bash scripts/train_shipped_runs.sh cifar10`.")
