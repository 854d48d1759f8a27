"""Background jobs: a set of runs trained one after another, and probe jobs (loss landscapes), outside
any page.

A page (or a teacher's shell) starts a job with ``start_set`` and the ``TrainConfig`` of each run; it writes
them as JSON to the set's marker file ``.set-<tag>.json`` and spawns a detached process
(``python -m resnet_viz.training.jobs set <marker>``) that reads them back and trains the runs of the set one
by one through the same engine as the CLI, writing progress to the run store. So a page reload, a second
viewer or a server restart loses nothing, and one session's training never blocks another session's pages.

Every job waits for a slot of the machine's queue (``training.queue``: ``RESNET_VIZ_JOB_SLOTS`` at once, first
come first served, one training job per student session), its runs marked "queued" meanwhile. Starting a
set that is already queued or running does nothing (a second click does not start a duplicate).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from resnet_viz.env import repo_root
from resnet_viz.i18n import N_, current_language
from resnet_viz.models.names import run_name
from resnet_viz.runs.store import Run, pid_alive, read_json, runs_root, validate_name, write_json
from resnet_viz.training import queue
from resnet_viz.training.config import TrainConfig

_children: list[subprocess.Popen] = []  # workers this process started; polled so they never linger as zombies


def _reap() -> None:
    for p in list(_children):
        if p.poll() is not None:
            _children.remove(p)


@contextlib.contextmanager
def _claim(path: Path):
    """Yield True for exactly one of several simultaneous starters (a non-blocking ``flock`` on ``path``),
    False for the others; the lock goes when the ``with`` ends (or the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def _launch(argv: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python ARGV`` detached from the page that asked (own session, output to ``log_path``)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, *argv], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=repo_root(),
                                env={**os.environ, **(env or {}), "RESNET_VIZ_RUNS": str(runs_root())})
    _children.append(proc)
    return proc


def set_runs(tag: str, models: Sequence[str], root: Path | None = None) -> list[Run]:
    """The runs ``<model>-<tag>`` of a set, in the order of ``models`` (model names)."""
    return [Run((root or runs_root()) / run_name(m, tag)) for m in models]


def _marker(tag: str, root: Path | None) -> Path:
    """``.set-<tag>.json``: the set's settings (``tag``, ``configs``) and its worker's ``pid``."""
    return (root or runs_root()) / f".set-{tag}.json"


def set_active(tag: str, root: Path | None = None) -> bool:
    """Whether a job for this set is queued or running (its worker process is alive)."""
    _reap()
    return set_pid(tag, root) is not None


def set_pid(tag: str, root: Path | None = None) -> int | None:
    """The worker process of the set, while it is alive."""
    marker = read_json(_marker(tag, root), {}) or {}
    return marker.get("pid") if pid_alive(marker.get("pid")) else None


def start_set(tag: str, configs: Sequence[TrainConfig], *, root: Path | None = None,
              env: dict[str, str] | None = None, owner: str = "teacher", one_per_owner: bool = False,
              label: str | None = None, work: float | None = None) -> bool:
    """Train ``configs`` one after another as runs ``<model>-<tag>`` in the background. False if already active.

    The configs travel to the worker as JSON in the set's marker file ``<root>/.set-<tag>.json``. ``root`` is
    the run store of the set (default: the shared one; the "Your data" page uses a session's own folder); the
    machine's queue is the shared store's whatever the root. ``env`` is added to the worker's environment.
    The job is queued for ``owner`` (``queue.JobRefused`` if ``one_per_owner`` and the owner has a training job
    already); ``label`` is what the queue shows of it, ``work`` its size in image-epochs (for estimated waits).
    """
    validate_name(tag)
    if not configs:
        raise ValueError("a training set needs at least one run")
    for cfg in configs:
        validate_name(run_name(cfg.model, tag))
    root = Path(root) if root is not None else runs_root()
    root.mkdir(parents=True, exist_ok=True)
    runs_root().mkdir(parents=True, exist_ok=True)
    with _claim(root / f".set-{tag}.claim") as mine:
        if not mine or set_active(tag, root):  # a simultaneous click, or already queued/running
            return False
        for run in set_runs(tag, [c.model for c in configs], root):
            if not (run.status.get("state") == "finished"):
                (run.path / "STOP").unlink(missing_ok=True)
        runs = set_runs(tag, [c.model for c in configs], root)
        ticket = queue.enqueue(owner, "train", label or f"{', '.join(r.name for r in runs)}",
                               one_per_owner=one_per_owner, work=work, runs=[str(r.path) for r in runs])
        marker = {"tag": tag, "configs": [c.to_dict() for c in configs], "pid": None, "started": time.time(),
                  "ticket": ticket.id, "owner": owner}
        write_json(_marker(tag, root), marker)  # the worker reads its configs from here
        try:
            proc = _launch(["-m", "resnet_viz.training.jobs", "set", str(_marker(tag, root))],
                           root / f".set-{tag}.log", env)
        except OSError:
            queue.drop(ticket.id)
            raise
        queue.attach(ticket.id, proc.pid)
        write_json(_marker(tag, root), {**marker, "pid": proc.pid})
        return True


def stop_set(tag: str, models: Sequence[str], root: Path | None = None) -> None:
    """Ask every run of the set to stop (the running one stops at its next step, queued ones never start)."""
    for run in set_runs(tag, models, root):
        run.path.mkdir(parents=True, exist_ok=True)
        run.request_stop()


def _worker(marker: Path) -> int:
    """Train the configs of the set ``marker`` describes, one after another, once the queue gives it a slot."""
    from resnet_viz.env import configure_threads

    spec = read_json(marker)
    configs = [TrainConfig.from_dict(c) for c in spec["configs"]]
    runs = set_runs(spec["tag"], [c.model for c in configs], marker.parent)
    ticket = spec.get("ticket")
    if ticket is None or queue.get(ticket) is None:  # started by hand (or its ticket was lost): queue it now
        ticket = queue.enqueue(spec.get("owner", "cli"), "train", ", ".join(r.name for r in runs),
                               runs=[str(r.path) for r in runs]).id
    queue.attach(ticket, os.getpid())
    for run in runs:  # show the whole set as queued straight away
        if run.status.get("state") != "finished":
            run.path.mkdir(parents=True, exist_ok=True)
            write_json(run.path / "status.json", {"state": "queued", "message": N_("waiting for a free training slot"),
                                                  "pid": os.getpid(), "updated": time.time()})
    with queue.slot(ticket, cancelled=lambda: all(r.stop_requested() for r in runs)) as slot:
        configure_threads()
        for cfg, run in zip(configs, runs):
            if run.status.get("state") == "finished":
                continue
            if slot is None or run.stop_requested():
                write_json(run.path / "status.json", {"state": "stopped", "message": N_("stopped before it started"),
                                                      "updated": time.time()})
                continue
            _train_one(_on_slot_gpu(cfg, slot), run)
    return 0


def _on_slot_gpu(cfg: TrainConfig, slot: int) -> TrainConfig:
    """With several CUDA GPUs and one slot per GPU, the job in slot ``k`` trains on GPU ``k``."""
    if cfg.device not in ("auto", "cuda"):
        return cfg
    import torch

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return dataclasses.replace(cfg, device=f"cuda:{slot % n}") if n > 1 else cfg


def _train_one(cfg: TrainConfig, run: Run) -> None:
    from resnet_viz.training.engine import Diverged, train

    try:  # the run's provenance records cli_command(cfg), the same training from the command line
        train(cfg, run.path, resume=(run.path / "resume.pt").is_file())
    except Diverged:
        pass
    except Exception as e:  # noqa: BLE001 - recorded in the run's status; go on with the next run
        print(f"{run.name}: {type(e).__name__}: {e}", file=sys.stderr)


# ----------------------------------------------------------------------------- probe jobs

def probe_root() -> Path:
    """Where background probe results live (loss landscapes of any run, shipped ones included)."""
    return runs_root() / "probes"


def probe_paths(key: str) -> tuple[Path, Path]:
    """``(result, progress)`` files of the probe job ``key``."""
    validate_name(key)
    return probe_root() / f"{key}.json", probe_root() / f"{key}.progress.json"


def probe_state(key: str) -> dict:
    """``{"state": "finished" | "running" | "queued" | "failed" | "none", "done", "total", "message"}``."""
    _reap()
    result, progress = probe_paths(key)
    if result.is_file():
        return {"state": "finished", "message": N_("finished")}
    st = read_json(progress, {}) or {}
    if not st or st.get("state") == "finished":  # nothing yet, or a result that has since been deleted
        return {"state": "none"}
    if st.get("state") in ("running", "queued"):
        fresh = not st.get("pid") and time.time() - st.get("updated", 0) < 30  # being started right now
        if not fresh and not pid_alive(st.get("pid")):
            st.pop("message_msg", None)  # the message of its last progress, not of its end
            return {**st, "state": "failed", "message": st.get("error") or N_("the job stopped before it finished")}
    return st


def start_probe(key: str, argv: list[str], owner: str = "teacher", label: str | None = None) -> bool:
    """Run ``python -m resnet_viz ARGV --out <result> --progress-file <progress>`` in the background.

    Probe jobs share the machine's queue with training (``training.queue``): they wait for a slot as
    "queued". A key that is finished, queued or running is not started again
    (an exclusive ``flock`` on the key's claim file makes simultaneous clicks start it once).
    Returns whether a job was started.
    """
    result, progress = probe_paths(key)
    result.parent.mkdir(parents=True, exist_ok=True)
    with _claim(progress.with_suffix(".claim")) as mine:
        if not mine or probe_state(key)["state"] in ("finished", "running", "queued"):
            return False
        write_json(progress, {"state": "queued", "pid": None, "done": 0, "total": 1,
                              "message": N_("waiting for a free slot"), "updated": time.time()})
        ticket = queue.enqueue(owner, "probe", label or key, progress=str(progress))
        try:
            # the CLI's error line (the reason a failed job shows) in the language of the session that started it
            proc = _launch(["-m", "resnet_viz.training.jobs", "probe", str(result), str(progress), ticket.id,
                            *argv, "--lang", current_language()], progress.with_suffix(".log"))
        except OSError:
            queue.drop(ticket.id)  # no worker: the ticket would hold a place in the queue for nothing
            progress.unlink(missing_ok=True)
            raise
        queue.attach(ticket.id, proc.pid)
        return True


def _probe_worker(result: str, progress: str, ticket: str, argv: list[str]) -> int:
    """Wait for a slot of the machine's queue, then run the CLI command ``argv`` (the same one a teacher would
    type) in a child process; a failure leaves its one-line reason in the progress file."""

    def failed(msg: str) -> None:
        write_json(Path(progress), {"state": "failed", "message": msg, "error": msg, "pid": os.getpid(),
                                    "updated": time.time()})

    write_json(Path(progress), {"state": "queued", "pid": os.getpid(), "done": 0, "total": 1,
                                "message": N_("waiting for a free slot"), "updated": time.time()})
    if queue.get(ticket) is None:
        ticket = queue.enqueue("cli", "probe", Path(result).stem, progress=progress).id
    queue.attach(ticket, os.getpid())
    with queue.slot(ticket):
        proc = subprocess.run([sys.executable, "-m", "resnet_viz", *argv, "--out", result, "--progress-file",
                               progress, "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL, cwd=repo_root())
        if proc.returncode != 0:
            failed((proc.stderr.strip().splitlines() or ["failed"])[-1].removeprefix("error: "))
        return proc.returncode


def main(argv: list[str] | None = None) -> int:
    """``set MARKER``: train a set (``start_set``); ``probe RESULT PROGRESS TICKET ARGV...``: a probe job."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["probe"] and len(argv) >= 4:
        return _probe_worker(argv[1], argv[2], argv[3], argv[4:])
    if argv[:1] == ["set"] and len(argv) == 2:
        return _worker(Path(argv[1]))
    print("usage: python -m resnet_viz.training.jobs set MARKER | probe RESULT PROGRESS TICKET ARGV...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
