"""The machine's job queue as a live table (``training.queue``): every queued and running job, whose it is,
its place and estimated wait; a student can stop only their own job, the teacher any."""

from __future__ import annotations

import time

import streamlit as st

from resnet_viz.training import queue
from resnet_viz.ui.access import is_teacher, owner


def wait_text(seconds: float | None) -> str:
    """``about 4 min`` / ``under a minute`` / ``not known yet``."""
    if seconds is None:
        return "not known yet (no job has finished on this machine to measure its speed)"
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def whose(t: queue.Ticket, me: str) -> str:
    if t.owner == me:
        return "you"
    return {"teacher": "the teacher", "cli": "command line"}.get(t.owner, "another student")


def rows(live: list[queue.Ticket], me: str, slots: int) -> list[dict]:
    waits = queue.schedule(live, slots)
    out = []
    for t in live:
        pos = queue.position(t.id, live)
        frac = t.done_fraction()
        left = queue.remaining(t, time.time(), queue.seconds_per_work(t.kind)) if t.running else None
        out.append({"place": "running" if pos == 0 else f"{pos}.", "job": t.label, "whose": whose(t, me),
                    "progress": frac if t.running else 0.0,
                    "wait": (f"{wait_text(left)} left" if left is not None else "running") if t.running
                    else f"starts in {wait_text(waits.get(t.id))}"})
    return out


def my_line(live: list[queue.Ticket], me: str, slots: int) -> str | None:
    """One sentence about this session's own job, if it has one waiting."""
    waits = queue.schedule(live, slots)
    for t in queue.mine(me, live):
        pos = queue.position(t.id, live)
        if pos:
            ahead = pos - 1
            return (f"Your job is number {pos} in the queue ({ahead} waiting ahead of it, {slots} job slot"
                    f"{'s' if slots > 1 else ''} on this machine): it starts in {wait_text(waits.get(t.id))}.")
    return None


def stop_control(live: list[queue.Ticket], me: str, teacher: bool, key: str) -> None:
    stoppable = live if teacher else queue.mine(me, live)
    if not stoppable:
        return
    c1, c2 = st.columns([3, 1])
    labels = {t.id: f"{t.label} ({whose(t, me)})" for t in stoppable}
    pick = c1.selectbox("Job", list(labels), format_func=labels.get, key=f"{key}_q_pick",
                        label_visibility="collapsed")
    if c2.button("Stop this job", key=f"{key}_q_stop"):
        try:
            queue.cancel(pick, me, teacher=teacher)
            st.toast("Asked the job to stop: a running run stops at its next step and keeps its last epoch.")
        except (PermissionError, LookupError) as e:
            st.warning(str(e), icon=":material/block:")


def queue_panel(key: str) -> None:
    """The queue, redrawn every 3 s while it has jobs."""
    busy = bool(queue.tickets())

    @st.fragment(run_every=3.0 if busy else None)
    def panel() -> None:
        live = queue.tickets()
        slots = queue.job_slots()
        if not live:
            st.caption(f"Job queue: empty ({slots} job slot{'s' if slots > 1 else ''} on this machine).")
            return
        me, teacher = owner(), is_teacher()
        running = sum(t.running for t in live)
        st.markdown(f"**Job queue**: {running} running, {len(live) - running} waiting, {slots} job "
                    f"slot{'s' if slots > 1 else ''} on this machine, first come first served.")
        if line := my_line(live, me, slots):
            st.info(line, icon=":material/hourglass_top:")
        st.dataframe(rows(live, me, slots), hide_index=True, width="stretch", key=f"{key}_queue",
                     column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0,
                                                                                max_value=1)})
        stop_control(live, me, teacher, key)

    panel()
