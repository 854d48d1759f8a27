"""The sections of the Degradation page: the live training-curves panel with its status table, the layer
responses of the trained nets (paper Figure 7), and the start/stop buttons and status line of a "Train now"
set. The sentences come from ``resnet_viz.lessons.degradation``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from resnet_viz.figures.training import responses_figure, training_curves
from resnet_viz.i18n import N_, _
from resnet_viz.lessons.degradation import describe_degradation, describe_one_depth, describe_responses
from resnet_viz.models.names import display_name, split_run_name
from resnet_viz.runs.twins import common_epoch_errors
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.jobs import set_active, set_runs, start_set, stop_set
from resnet_viz.training.queue import job_msg
from resnet_viz.ui.access import teacher_only
from resnet_viz.ui.common import compute_slot, friendly_errors, takeaway
from resnet_viz.ui.figures import show_figure
from resnet_viz.ui.jobs import queue_panel

URL = dict(bind="query-params")  # the settings are in the page's URL: a link reproduces the figure

# TRANSLATORS: the state of a training run (a table cell, "Job status: ResNet-20: running")
STATES = {"running": N_("running"), "queued": N_("queued"), "finished": N_("finished"), "stopped": N_("stopped"),
          "diverged": N_("diverged"), "failed": N_("failed")}

# The status table's and the curves CSV's column headers, drawn in the session's language (the rows keep the
# English keys). TRANSLATORS: column headers of a table of training runs (and of a CSV of their epoch metrics;
# the ones with underscores are metric names: train_error = training error, a fraction)
HEADERS = {"model": N_("model"), "state": N_("state"), "epochs": N_("epochs"),
           "final train error %": N_("final train error %"), "final test error %": N_("final test error %"),
           "progress": N_("progress"), "note": N_("note"), "epoch": N_("epoch"), "step": N_("step"),
           "train_loss": N_("train_loss"), "train_error": N_("train_error"), "test_loss": N_("test_loss"),
           "test_error": N_("test_error"), "lr": N_("lr"), "images_per_s": N_("images_per_s"),
           "epoch_s": N_("epoch_s")}


def state_label(state) -> str:
    """A run's state in the session's language (an unknown one as it is)."""
    return _(STATES[state]) if state in STATES else state


def translated_rows(rows: list[dict]) -> list[dict]:
    """``rows`` with their known column headers in the session's language."""
    return [{(_(HEADERS[k]) if k in HEADERS else k): v for k, v in r.items()} for r in rows]


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
                     "note": str(job_msg(st_) or "")})
    return rows


def show_set(rs, shallow: int, deep: int) -> None:
    """The training curves of the four twins, the takeaway and the status table."""
    depths = tuple(sorted({shallow, deep}))
    names = [f"{k}{d}" for k in ("plain", "resnet") for d in depths]
    curves = {n: rs.runs[n].metrics("epoch") for n in names if n in rs.runs}
    metrics = [{"model": n, **{k: v for k, v in r.items() if k != "kind"}} for n, rows in curves.items() for r in rows]
    show_figure(training_curves(curves, depths), width="stretch", key=f"curves-{rs.tag}",
                rows=translated_rows(metrics))
    epoch, at_epoch = common_epoch_errors({n: rs.runs[n] for n in names if n in rs.runs})
    takeaway(str(describe_degradation(at_epoch, shallow, deep, epoch) if shallow != deep
                 else describe_one_depth(at_epoch, shallow, epoch)))
    rows = [{**r, "state": state_label(r["state"])} for r in status_rows(rs, names)]
    progress = _(HEADERS["progress"])
    st.dataframe(translated_rows(rows), hide_index=True, width="stretch",
                 column_config={progress: st.column_config.ProgressColumn(progress, min_value=0, max_value=1)})


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
            with friendly_errors(_("Layer responses of {model}", model=display_name(n))):
                responses[n] = responses_for(str(run.path), run.config["data"],
                                             run.checkpoint.stat().st_mtime)["layers"]
        else:
            missing.append(display_name(n))
    if responses:
        show_figure(responses_figure(responses), width="stretch", key="responses")
        takeaway(str(describe_responses(responses)))
    if missing:
        st.caption(_("Not yet for {models}: still training or no checkpoint.", models=", ".join(missing)))


def live_tag(data: str | None, preset: str, epochs: int) -> str:
    """The tag of a "Train now" set: one set per data, preset and length (a folder is named by its hash)."""
    short = (data.replace(":", "") if data and not data.startswith("imagefolder:") else
             "folder" + hashlib.sha1((data or "").encode()).hexdigest()[:8])  # one set per folder
    return f"live-{short}-{preset}-{epochs}ep"


def train_buttons(tag: str, data: str | None, preset: str, epochs: int, models: list[str]) -> None:
    """Start (once) or stop the set ``tag`` in the background, and show its job status while it is active.
    The runs go to the shared run store: a teacher action."""
    if not teacher_only(_("Training into the shared run store")):
        st.caption(_("Students: train your own ResNet and plain twin on the Your data page (in your session)."))
        queue_panel("deg")
        return
    b1, b2, _unused = st.columns([1, 1, 3])
    if b1.button(_("Train now"), key="train_now", type="primary", disabled=data is None):
        with friendly_errors(_("Starting the training job")):
            if data.startswith("imagefolder:") or data == "cifar10":
                from resnet_viz.data.datasets import get_dataset

                get_dataset(data, "train")  # fail here, with the message, rather than in the background
            started = start_set(tag, [TrainConfig(model=m, data=data, preset=preset, epochs=epochs) for m in models],
                                owner="teacher", label=f"{', '.join(display_name(m) for m in models)} ({tag})")
            if started:
                st.success(_("Started: {models} ({tag}). They appear above as they train.",
                             models=", ".join(display_name(m) for m in models), tag=tag))
            else:
                st.info(_("{tag} is already queued or running: it was not started twice.", tag=tag))
    if b2.button(_("Stop"), key="train_stop"):
        stop_set(tag, models)
        st.warning(_("Asked the runs of {tag} to stop; each keeps its last finished epoch.", tag=tag))
    if set_active(tag):
        # a run's status message is written by the training process (its template, drawn here in the session's
        # language); a status without one shows its bare state
        states = {display_name(split_run_name(r.name)[0]): str(job_msg(r.status) or state_label(r.status.get("state")))
                  for r in set_runs(tag, models)}
        st.caption(_("Job status: {states}", states="; ".join(f"{k}: {v}" for k, v in states.items())))
    queue_panel("deg")
