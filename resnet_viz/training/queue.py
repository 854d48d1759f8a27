"""The machine's job queue: a few slots for heavy background jobs (training sets, lesion and landscape
computations), handed out first come, first served, with one training job per student session at a time.

Every job, from the click that asks for it until it ends, has a *ticket*: a JSON file in ``<runs>/.queue/``
(its owner, what it is, its worker's pid, when it was queued and started, an estimate of its length). A
worker waits in ``slot()`` until it is among the first waiting tickets and a slot is free; a slot is an
exclusive ``flock`` on ``<runs>/.queue/slot-<k>.lock``, so a killed worker frees its slot at once and its
ticket is dropped as soon as anyone reads the queue. ``RESNET_VIZ_JOB_SLOTS`` sets the number of slots
(default: 1 on a CPU machine, one per GPU with CUDA; the job in slot ``k`` then uses GPU ``k``).

Estimated waits come from the jobs themselves: a running job's remaining time from its progress, a waiting
job's length from the seconds per image-epoch that finished jobs on this machine took (``history.jsonl``).

The texts of job files (a ticket's label, a run's status message) are written by one process and shown by the
pages of every session, each in its own language: a file keeps the English text and, for a ``Msg``, its template
and parameters (``msg_fields``); ``job_msg`` gives it back as a ``Msg`` that is translated where it is drawn.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import json
import logging
import os
import secrets
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from resnet_viz.i18n import N_, Msg, _, from_data, to_data
from resnet_viz.runs.store import Run, pid_alive, read_json, read_jsonl, runs_root, write_json

log = logging.getLogger(__name__)

SLOTS_ENV = "RESNET_VIZ_JOB_SLOTS"
START_GRACE_S = 60.0  # a ticket whose worker has not started yet (no pid) is kept this long
HISTORY_KEEP = 50


class JobRefused(Exception):
    """A job that may not be queued (the message is written for the user)."""


def queue_dir() -> Path:
    return runs_root() / ".queue"


def job_slots() -> int:
    """How many heavy jobs run at once: ``RESNET_VIZ_JOB_SLOTS``, else one per CUDA GPU, else 1."""
    raw = os.environ.get(SLOTS_ENV, "").strip()
    if raw:
        try:
            if int(raw) >= 1:
                return int(raw)
        except ValueError:
            pass
        # a typo in the server's environment must not break every queue panel and worker: say so, use the default
        log.warning("%s=%r is not a whole number of job slots >= 1: using the default", SLOTS_ENV, raw)
    try:
        import torch

        return max(1, torch.cuda.device_count()) if torch.cuda.is_available() else 1
    except ImportError:
        return 1


@dataclass
class Ticket:
    """One queued or running job. ``owner`` is a session id (or ``teacher`` / ``cli``); ``kind`` is ``train``
    or ``probe``; ``runs`` (training: the run folders) or ``progress`` (probe: its progress file) say how far
    it is; ``work`` is its size in image-epochs when known."""

    owner: str
    kind: str
    label: str
    id: str = field(default_factory=lambda: f"{time.time():.6f}-{secrets.token_hex(4)}")
    enqueued: float = field(default_factory=time.time)
    pid: int | None = None
    started: float | None = None
    slot: int | None = None
    work: float | None = None
    runs: list[str] = field(default_factory=list)
    progress: str | None = None
    label_msg: dict | None = None  # the template of a ``Msg`` label (``to_data``), for other languages

    @property
    def path(self) -> Path:
        return queue_dir() / f"{self.id}.json"

    @property
    def running(self) -> bool:
        return self.started is not None

    def label_text(self) -> str:
        """``label`` in the current language (what the queue panel shows)."""
        return str(from_data(self.label_msg)) if self.label_msg else self.label

    def save(self) -> None:
        write_json(self.path, asdict(self))

    def done_fraction(self) -> float:
        """How far the job is (0 to 1), from its runs' status files or its progress file."""
        if self.progress:
            st = read_json(Path(self.progress), {}) or {}
            return min(1.0, st.get("done", 0) / max(1, st.get("total", 1)))
        if not self.runs:
            return 0.0
        fracs = []
        for r in self.runs:
            st = read_json(Path(r) / "status.json", {}) or {}
            fracs.append(1.0 if st.get("state") == "finished" else float(st.get("progress") or 0.0))
        return sum(fracs) / len(fracs)


def _alive(t: Ticket, now: float) -> bool:
    return pid_alive(t.pid) if t.pid else now - t.enqueued < START_GRACE_S


def tickets() -> list[Ticket]:
    """The live tickets, running ones first (by start), then waiting ones in queue order; the tickets of
    workers that died are deleted."""
    now, out = time.time(), []
    for p in sorted(queue_dir().glob("*.json")) if queue_dir().is_dir() else []:
        d = read_json(p)
        if not isinstance(d, dict):
            continue
        try:
            t = Ticket(**d)
        except TypeError:
            p.unlink(missing_ok=True)
            continue
        if _alive(t, now):
            out.append(t)
        else:
            p.unlink(missing_ok=True)
    return sorted(out, key=lambda t: (not t.running, t.started or 0.0, t.enqueued, t.id))


def get(ticket_id: str) -> Ticket | None:
    return next((t for t in tickets() if t.id == ticket_id), None)


@contextlib.contextmanager
def _queue_lock() -> Iterator[None]:
    queue_dir().mkdir(parents=True, exist_ok=True)
    with open(queue_dir() / "queue.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def enqueue(owner: str, kind: str, label: str, *, one_per_owner: bool = False, work: float | None = None,
            runs: list[str] | None = None, progress: str | None = None) -> Ticket:
    """Queue a job (its worker attaches with ``attach``). ``one_per_owner``: refuse it (``JobRefused``) while
    the owner has another training job queued or running (students: one at a time)."""
    with _queue_lock():
        if one_per_owner and kind == "train":
            mine = [t for t in tickets() if t.owner == owner and t.kind == "train"]
            if mine:
                raise JobRefused(_("You already have a training job in the queue ({label}): one job per student at "
                                   "a time. Wait for it to finish, or stop it, then start this one.",
                                   label=mine[0].label_text()))
        t = Ticket(owner=owner, kind=kind, label=str.__str__(label), work=work, runs=list(runs or []),
                   progress=progress, label_msg=to_data(label) if isinstance(label, Msg) else None)
        t.save()
        return t


def attach(ticket_id: str, pid: int) -> None:
    """Record the worker process of a ticket (a ticket whose worker dies is dropped). Under the queue lock: the
    worker may be taking its slot (and saving ``started``/``slot``) at this very moment."""
    with _queue_lock():
        d = read_json(queue_dir() / f"{ticket_id}.json")
        if isinstance(d, dict):
            write_json(queue_dir() / f"{ticket_id}.json", {**d, "pid": pid})


def drop(ticket_id: str) -> None:
    (queue_dir() / f"{ticket_id}.json").unlink(missing_ok=True)


def _try_slot(k: int):
    f = open(queue_dir() / f"slot-{k}.lock", "w")  # noqa: SIM115 - held for the whole job
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return f
    except BlockingIOError:
        f.close()
        return None


@contextlib.contextmanager
def slot(ticket_id: str, *, cancelled: Callable[[], bool] = lambda: False, poll: float = 1.0,
         slots: int | None = None) -> Iterator[int | None]:
    """Wait for the ticket's turn and a free slot; yields the slot number (``None`` when ``cancelled()`` said
    so while waiting: the job should end). The ticket is deleted when the ``with`` ends."""
    n = slots or job_slots()
    handle = None
    try:
        while handle is None:
            if cancelled():
                yield None
                return
            with _queue_lock():
                live = tickets()
                me = next((t for t in live if t.id == ticket_id), None)
                if me is None:  # a queued ticket always exists; recreate one that was swept by mistake
                    raise JobRefused("this job's queue ticket is gone")
                waiting = [t.id for t in live if not t.running]
                free = n - sum(t.running for t in live)
                if waiting.index(ticket_id) < free:
                    for k in range(n):
                        if (handle := _try_slot(k)) is not None:
                            me.started, me.slot, me.pid = time.time(), k, me.pid or os.getpid()
                            me.save()
                            break
            if handle is None:
                time.sleep(poll)
        yield me.slot
    finally:
        try:
            if handle is not None:
                try:
                    record(me)  # the estimates' history: a full disk must not keep the slot or the ticket
                except OSError:
                    log.exception("could not record the finished job %s in the queue history", ticket_id)
        finally:
            if handle is not None:
                handle.close()
            drop(ticket_id)


# ----------------------------------------------------------------------------- estimates


def record(t: Ticket) -> None:
    """Add a finished job's seconds per image-epoch to the machine's history (the basis of estimated waits)."""
    if t.started is None or not t.work or t.done_fraction() < 0.999:
        return
    path = queue_dir() / "history.jsonl"
    rows = read_jsonl(path)[-(HISTORY_KEEP - 1):] + [{"kind": t.kind, "work": t.work,
                                                     "seconds": time.time() - t.started}]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, path)


def seconds_per_work(kind: str = "train") -> float | None:
    rows = [r for r in read_jsonl(queue_dir() / "history.jsonl") if r.get("kind") == kind and r.get("work")]
    return statistics.median(r["seconds"] / r["work"] for r in rows) if rows else None


def _length(t: Ticket, rate: float | None) -> float | None:
    return t.work * rate if t.work and rate else None


def remaining(t: Ticket, now: float, rate: float | None) -> float | None:
    """Seconds a running job still needs: from its progress once it is 3 % in, else from its estimate."""
    elapsed, frac = now - (t.started or now), t.done_fraction()
    if frac >= 0.03:
        return elapsed * (1 - frac) / frac
    length = _length(t, rate)
    return max(0.0, length - elapsed) if length is not None else None


def schedule(live: list[Ticket], slots: int, now: float | None = None) -> dict[str, float | None]:
    """Estimated seconds until each waiting ticket starts (None: not known yet), by running the queue
    forward: each waiting job takes the slot that frees first. A job of unknown length holds its slot for
    an unknown time (``inf``), so only the jobs behind it on that slot are unknown."""
    now = time.time() if now is None else now
    rates = {k: seconds_per_work(k) for k in {t.kind for t in live}}
    unknown = float("inf")
    free = [r if (r := remaining(t, now, rates[t.kind])) is not None else unknown for t in live if t.running]
    free += [0.0] * max(0, slots - len(free))
    heapq.heapify(free)
    out: dict[str, float | None] = {}
    for t in (t for t in live if not t.running):
        start = heapq.heappop(free)
        out[t.id] = None if start == unknown else start
        length = _length(t, rates[t.kind])
        heapq.heappush(free, start + length if length is not None else unknown)
    return out


def position(ticket_id: str, live: list[Ticket] | None = None) -> int | None:
    """1 for the next job to start, 2 after it, ...; 0 while running; None if not queued."""
    live = tickets() if live is None else live
    waiting = [t.id for t in live if not t.running]
    if ticket_id in waiting:
        return waiting.index(ticket_id) + 1
    return 0 if any(t.id == ticket_id for t in live) else None


def mine(owner: str, live: list[Ticket] | None = None) -> list[Ticket]:
    return [t for t in (tickets() if live is None else live) if t.owner == owner]


def cancel(ticket_id: str, requester: str, *, teacher: bool = False) -> Ticket:
    """Stop a queued or running job: only its owner or the teacher may (``PermissionError`` otherwise).

    A training job is asked to stop (its running run at its next step, its queued runs never start); a probe
    job's worker and its child are terminated."""
    t = get(ticket_id)
    if t is None:
        raise LookupError(_("no such job in the queue (it may have ended already)"))
    if not teacher and t.owner != requester:
        raise PermissionError(_("You can stop only your own job; the teacher can stop any."))
    for r in t.runs:
        Path(r).mkdir(parents=True, exist_ok=True)
        Run(Path(r)).request_stop()
    if t.kind == "probe" and t.pid:
        with contextlib.suppress(OSError):
            os.killpg(int(t.pid), signal.SIGTERM)  # the worker leads its own process group (jobs._launch)
        if t.progress:
            stopped = N_("stopped by the teacher")  # translated where it is shown (job_msg)
            write_json(Path(t.progress), {"state": "failed", "message": stopped, "error": stopped,
                                          "updated": time.time()})
        drop(t.id)
    return t


# ----------------------------------------------------------------------------- texts in job files


def msg_fields(key: str, text) -> dict:
    """``{key: the English text}`` for a job file, and ``{key}_msg`` (``to_data``) when ``text`` is a ``Msg``."""
    if isinstance(text, Msg):
        return {key: str.__str__(text), f"{key}_msg": to_data(text)}
    return {key: text}


def job_msg(d: dict, key: str = "message") -> Msg | None:
    """The text ``d[key]`` of a job file (a run's ``status.json``, a probe's progress file) as a ``Msg``, translated
    where it is drawn: from its template when the file has one (``msg_fields``), else the English text itself
    (fixed texts such as "waiting for a free training slot" are in the catalogs); None when there is none."""
    data = d.get(f"{key}_msg")
    if isinstance(data, dict):
        return from_data(data)
    text = d.get(key)
    return Msg(str(text)) if text else None
