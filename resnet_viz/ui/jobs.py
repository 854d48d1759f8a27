"""The machine's job queue as a live table (``training.queue``): every queued and running job, whose it is,
its place and estimated wait; a student can stop only their own job, the teacher any."""

from __future__ import annotations

import time

import streamlit as st

from resnet_viz.i18n import N_, _, ngettext
from resnet_viz.training import queue
from resnet_viz.ui.access import is_teacher, owner

# the table's column headers as shown (``rows`` keeps the English keys; the progress column is configured by its key)
COLUMNS = {"place": N_("place"), "job": N_("job"), "whose": N_("whose"), "progress": N_("progress"),
           "wait": N_("wait")}


def wait_text(seconds: float | None) -> str:
    """``about 4 min`` / ``under a minute`` / ``not known yet``."""
    if seconds is None:
        # TRANSLATORS: an estimated wait, shown in "starts in {wait}" and "{wait} left"
        return _("not known yet (no job has finished on this machine to measure its speed)")
    if seconds < 60:
        # TRANSLATORS: an estimated wait, shown in "starts in {wait}" and "{wait} left"
        return _("under a minute")
    if seconds < 3600:
        return _("about {minutes} min", minutes=round(seconds / 60))
    return _("about {hours:.1f} h", hours=seconds / 3600)


def whose(t: queue.Ticket, me: str) -> str:
    if t.owner == me:
        # TRANSLATORS: whose job it is (a column of the job queue): this student's own
        return _("you")
    return {"teacher": _("the teacher"), "cli": _("command line")}.get(t.owner) or _("another student")


def rows(live: list[queue.Ticket], me: str, slots: int) -> list[dict]:
    """The table's rows: English keys (``COLUMNS``), texts in the session's language."""
    waits = queue.schedule(live, slots)
    out = []
    for t in live:
        pos = queue.position(t.id, live)
        frac = t.done_fraction()
        left = queue.remaining(t, time.time(), queue.seconds_per_work(t.kind)) if t.running else None
        if t.running:
            # TRANSLATORS: {wait} is an estimated time such as "about 4 min"
            wait = _("{wait} left", wait=wait_text(left)) if left is not None else _("running")
        else:
            # TRANSLATORS: {wait} is an estimated time such as "about 4 min" or "under a minute"
            wait = _("starts in {wait}", wait=wait_text(waits.get(t.id)))
        if pos == 0:
            place = _("running")
        else:
            # TRANSLATORS: a place in the job queue: "1." is the first waiting job
            place = _("{place}.", place=pos)
        out.append({"place": place, "job": t.label_text(), "whose": whose(t, me),
                    "progress": frac if t.running else 0.0, "wait": wait})
    return out


def my_line(live: list[queue.Ticket], me: str, slots: int) -> str | None:
    """One sentence about this session's own job, if it has one waiting."""
    waits = queue.schedule(live, slots)
    for t in queue.mine(me, live):
        pos = queue.position(t.id, live)
        if pos:
            return ngettext("Your job is number {pos} in the queue ({ahead} waiting ahead of it, {n} job slot on this "
                            "machine): it starts in {wait}.",
                            "Your job is number {pos} in the queue ({ahead} waiting ahead of it, {n} job slots on "
                            "this machine): it starts in {wait}.",
                            slots, pos=pos, ahead=pos - 1, wait=wait_text(waits.get(t.id)))
    return None


def stop_control(live: list[queue.Ticket], me: str, teacher: bool, key: str) -> None:
    stoppable = live if teacher else queue.mine(me, live)
    if not stoppable:
        return
    c1, c2 = st.columns([3, 1])
    # TRANSLATORS: a job in the queue and whose it is, e.g. "ResNet-20 and Plain-20 on own images (you)"
    labels = {t.id: _("{job} ({whose})", job=t.label_text(), whose=whose(t, me)) for t in stoppable}
    pick = c1.selectbox(_("Job"), list(labels), format_func=labels.get, key=f"{key}_q_pick",
                        label_visibility="collapsed")
    if c2.button(_("Stop this job"), key=f"{key}_q_stop"):
        try:
            queue.cancel(pick, me, teacher=teacher)
            st.toast(_("Asked the job to stop: a running run stops at its next step and keeps its last epoch."))
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
            st.caption(ngettext("Job queue: empty ({n} job slot on this machine).",
                                "Job queue: empty ({n} job slots on this machine).", slots))
            return
        me, teacher = owner(), is_teacher()
        running = sum(t.running for t in live)
        st.markdown(ngettext("**Job queue**: {running} running, {waiting} waiting, {n} job slot on this machine, "
                             "first come first served.",
                             "**Job queue**: {running} running, {waiting} waiting, {n} job slots on this machine, "
                             "first come first served.", slots, running=running, waiting=len(live) - running))
        if line := my_line(live, me, slots):
            st.info(line, icon=":material/hourglass_top:")
        headers = {k: _(v) for k, v in COLUMNS.items()}
        table = [{headers[k]: v for k, v in r.items()} for r in rows(live, me, slots)]
        st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_queue",
                     column_config={headers["progress"]: st.column_config.ProgressColumn(headers["progress"],
                                                                                         min_value=0, max_value=1)})
        stop_control(live, me, teacher, key)

    panel()
