"""The sections of the Degradation page: the live training-curves panel with its status table, the layer
responses of the trained nets (paper Figure 7), and the start/stop buttons and status line of a "Train now"
set. The sentences come from ``resnet_viz.lessons.degradation``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from resnet_viz.figures.training import responses_figure, training_curves
from resnet_viz.lessons.degradation import describe_degradation, describe_one_depth, describe_responses
from resnet_viz.models.names import display_name, split_run_name
from resnet_viz.runs.twins import common_epoch_errors
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.jobs import set_active, set_runs, start_set, stop_set
from resnet_viz.ui.access import teacher_only
from resnet_viz.ui.common import compute_slot, friendly_errors, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.jobs import queue_panel

URL = dict(bind="query-params")  # the settings are in the page's URL: a link reproduces the figure


def status_rows(rs, names: list[str]) -> list[dict]:
    """One row per run of the set: its state, epochs, final errors (%) and progress."""
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
    return rows


def show_set(rs, shallow: int, deep: int) -> None:
    """The training curves of the four twins, the takeaway and the status table."""
    depths = tuple(sorted({shallow, deep}))
    names = [f"{k}{d}" for k in ("plain", "resnet") for d in depths]
    curves = {n: rs.runs[n].metrics("epoch") for n in names if n in rs.runs}
    metrics = [{"model": n, **{k: v for k, v in r.items() if k != "kind"}} for n, rows in curves.items() for r in rows]
    show_figure(training_curves(curves, depths), width="stretch", key=f"curves-{rs.tag}", rows=metrics)
    epoch, at_epoch = common_epoch_errors({n: rs.runs[n] for n in names if n in rs.runs})
    takeaway(describe_degradation(at_epoch, shallow, deep, epoch) if shallow != deep
             else describe_one_depth(at_epoch, shallow, epoch))
    st.dataframe(status_rows(rs, names), hide_index=True, width="stretch",
                 column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0, max_value=1)})


def live_panel(rs, shallow: int, deep: int) -> None:
    """``show_set``, redrawn every 2 s while a run of the set is training."""
    live = any(r.active for r in rs.runs.values())

    @st.fragment(run_every=2.0 if live else None)
    def panel():
        show_set(rs, shallow, deep)
        if live and not any(r.active for r in rs.runs.values()):
            st.rerun()  # the last run just finished: redraw the whole page once

    panel()


@st.cache_data(max_entries=32, show_spinner=False)
def responses_for(path: str, data: str, mtime: float):
    from resnet_viz.runs.store import Run
    from resnet_viz.runs.twins import run_responses

    with compute_slot():
        return run_responses(Run(Path(path)), data, 500)


def responses_section(rs, shallow: int, deep: int) -> None:
    """Figure 7: the layer responses of the finished nets (shipped, or measured now from the checkpoint)."""
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


def live_tag(data: str | None, preset: str, epochs: int) -> str:
    """The tag of a "Train now" set: one set per data, preset and length (a folder is named by its hash)."""
    short = (data.replace(":", "") if data and not data.startswith("imagefolder:") else
             "folder" + hashlib.sha1((data or "").encode()).hexdigest()[:8])  # one set per folder
    return f"live-{short}-{preset}-{epochs}ep"


def train_buttons(tag: str, data: str | None, preset: str, epochs: int, models: list[str]) -> None:
    """Start (once) or stop the set ``tag`` in the background, and show its job status while it is active.
    The runs go to the shared run store: a teacher action."""
    if not teacher_only("Training into the shared run store"):
        st.caption("Students: train your own ResNet and plain twin on the Your data page (in your session).")
        queue_panel("deg")
        return
    b1, b2, _ = st.columns([1, 1, 3])
    if b1.button("Train now", key="train_now", type="primary", disabled=data is None):
        with friendly_errors("Starting the training job"):
            if data.startswith("imagefolder:") or data == "cifar10":
                from resnet_viz.data.datasets import get_dataset

                get_dataset(data, "train")  # fail here, with the message, rather than in the background
            started = start_set(tag, [TrainConfig(model=m, data=data, preset=preset, epochs=epochs) for m in models],
                                owner="teacher", label=f"{', '.join(display_name(m) for m in models)} ({tag})")
            if started:
                st.success(f"Started: {', '.join(display_name(m) for m in models)} ({tag}). They appear above as "
                           f"they train.")
            else:
                st.info(f"{tag} is already queued or running: it was not started twice.")
    if b2.button("Stop", key="train_stop"):
        stop_set(tag, models)
        st.warning(f"Asked the runs of {tag} to stop; each keeps its last finished epoch.")
    if set_active(tag):
        states = {display_name(split_run_name(r.name)[0]): r.status.get("message") or r.status.get("state")
                  for r in set_runs(tag, models)}
        st.caption("Job status: " + "; ".join(f"{k}: {v}" for k, v in states.items()))
    queue_panel("deg")
