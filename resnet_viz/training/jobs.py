"""Background jobs: a set of runs trained one after another, and probe jobs (loss landscapes), outside
any page.

A page (or a teacher's shell) starts a job with ``start_set``; it spawns a detached process
(``python -m resnet_viz.training.jobs ...``) that trains the runs of the set one by one through the same
engine as the CLI, writing progress to the run store. So a page reload, a second viewer or a
server restart loses nothing, and one session's training never blocks another session's pages.

One training job runs per machine at a time (an exclusive ``flock`` on ``<runs>/.train.lock``);
later jobs wait for it with their runs marked "queued". Starting a set that is already queued or
running does nothing (a second click does not start a duplicate).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from resnet_viz.env import repo_root
from resnet_viz.runs.store import Run, pid_alive, read_json, runs_root, validate_name, write_json

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


@contextlib.contextmanager
def _machine_job_lock():
    """One heavy job (training or probe) per machine: the others wait here, shown as "queued"."""
    with open(runs_root() / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _launch(argv: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python ARGV`` detached from the page that asked (own session, output to ``log_path``)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, *argv], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=repo_root(),
                                env={**os.environ, **(env or {}), "RESNET_VIZ_RUNS": str(runs_root())})
    _children.append(proc)
    return proc


def _split_model(spec: str) -> tuple[str, str]:
    """``"resnet18:finetune"`` -> ``("resnet18", "finetune")``; a bare name trains from scratch."""
    name, _, mode = spec.partition(":")
    return name, mode or "scratch"


def set_runs(tag: str, models: list[str], root: Path | None = None) -> list[Run]:
    """The runs ``<model>-<tag>`` of a set (``models`` may carry a mode: ``resnet18:finetune``)."""
    return [Run((root or runs_root()) / f"{_split_model(m)[0]}-{tag}") for m in models]


def set_active(tag: str, root: Path | None = None) -> bool:
    """Whether a job for this set is queued or running (its worker process is alive)."""
    _reap()
    marker = read_json((root or runs_root()) / f".set-{tag}.json", {}) or {}
    return pid_alive(marker.get("pid"))


def set_pid(tag: str, root: Path | None = None) -> int | None:
    """The worker process of the set, while it is alive."""
    marker = read_json((root or runs_root()) / f".set-{tag}.json", {}) or {}
    return marker.get("pid") if pid_alive(marker.get("pid")) else None


def start_set(tag: str, models: list[str], *, data: str, preset: str, epochs: int, extra_args: list[str] = (),
              root: Path | None = None, env: dict[str, str] | None = None) -> bool:
    """Start training ``models`` as runs ``<model>-<tag>`` in the background. False if already active.

    ``models`` entries may name a mode (``resnet18:finetune``, ``plain18:scratch``). ``root`` is the run
    store of the set (default: the shared one; the "Your data" page uses a session's own folder); the
    machine's job lock is the shared store's whatever the root. ``env`` is added to the worker's environment.
    """
    validate_name(tag)
    root = Path(root) if root is not None else runs_root()
    root.mkdir(parents=True, exist_ok=True)
    runs_root().mkdir(parents=True, exist_ok=True)
    with _claim(root / f".set-{tag}.claim") as mine:
        if not mine or set_active(tag, root):  # a simultaneous click, or already queued/running
            return False
        for run in set_runs(tag, models, root):
            if not (run.status.get("state") == "finished"):
                (run.path / "STOP").unlink(missing_ok=True)
        proc = _launch(["-m", "resnet_viz.training.jobs", "--tag", tag, "--models", ",".join(models), "--data", data,
                        "--preset", preset, "--epochs", str(epochs), "--root", str(root), *extra_args],
                       root / f".set-{tag}.log", env)
        write_json(root / f".set-{tag}.json", {"pid": proc.pid, "models": models, "data": data, "preset": preset,
                                               "epochs": epochs, "started": time.time()})
        return True


def stop_set(tag: str, models: list[str], root: Path | None = None) -> None:
    """Ask every run of the set to stop (the running one stops at its next step, queued ones never start)."""
    for run in set_runs(tag, models, root):
        run.path.mkdir(parents=True, exist_ok=True)
        run.request_stop()


def _worker(args: argparse.Namespace) -> int:
    from resnet_viz.env import configure_threads
    from resnet_viz.training.engine import Diverged, TrainConfig, train

    configure_threads()
    models = args.models.split(",")
    runs = set_runs(args.tag, models, Path(args.root) if args.root else None)
    for run in runs:  # show the whole set as queued straight away
        if run.status.get("state") != "finished":
            run.path.mkdir(parents=True, exist_ok=True)
            write_json(run.path / "status.json", {"state": "queued", "message": "waiting for a free training slot",
                                                  "pid": os.getpid(), "updated": time.time()})
    with _machine_job_lock():
        for spec, run in zip(models, runs):
            model, mode = _split_model(spec)
            if run.status.get("state") == "finished":
                continue
            if run.stop_requested():
                write_json(run.path / "status.json", {"state": "stopped", "message": "stopped before it started",
                                                      "updated": time.time()})
                continue
            cfg = TrainConfig(model=model, data=args.data, preset=args.preset, epochs=args.epochs,
                              limit_train=args.limit_train, limit_test=args.limit_test, mode=mode,
                              image_size=args.size, batch_size=args.batch_size)
            resume = (run.path / "resume.pt").is_file()
            argv = ["train", "--model", model, "--data", args.data, "--preset", args.preset, "--epochs",
                    str(args.epochs), "--out", run.name]
            argv += (["--pretrained", "--mode", mode] if mode != "scratch" else [])
            argv += (["--size", str(args.size)] if args.size else []) + ["--batch-size", str(args.batch_size)]
            try:
                train(cfg, run.path, resume=resume, argv=argv)
            except Diverged:
                continue
            except Exception as e:  # noqa: BLE001 - recorded in the run's status; go on with the next run
                print(f"{run.name}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
    return 0


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
        return {"state": "finished", "message": "finished"}
    st = read_json(progress, {}) or {}
    if not st or st.get("state") == "finished":  # nothing yet, or a result that has since been deleted
        return {"state": "none"}
    if st.get("state") in ("running", "queued"):
        fresh = not st.get("pid") and time.time() - st.get("updated", 0) < 30  # being started right now
        if not fresh and not pid_alive(st.get("pid")):
            return {**st, "state": "failed", "message": st.get("error") or "the job stopped before it finished"}
    return st


def start_probe(key: str, argv: list[str]) -> bool:
    """Run ``python -m resnet_viz ARGV --out <result> --progress-file <progress>`` in the background.

    Probe jobs share the machine's job lock with training (``<runs>/.train.lock``): one heavy job at a
    time, the others wait as "queued". A key that is finished, queued or running is not started again
    (an exclusive ``flock`` on the key's claim file makes simultaneous clicks start it once).
    Returns whether a job was started.
    """
    result, progress = probe_paths(key)
    result.parent.mkdir(parents=True, exist_ok=True)
    with _claim(progress.with_suffix(".claim")) as mine:
        if not mine or probe_state(key)["state"] in ("finished", "running", "queued"):
            return False
        write_json(progress, {"state": "queued", "pid": None, "done": 0, "total": 1,
                              "message": "waiting for a free slot", "updated": time.time()})
        _launch(["-m", "resnet_viz.training.jobs", "probe", str(result), str(progress), *argv],
                progress.with_suffix(".log"))
        return True


def _probe_worker(result: str, progress: str, argv: list[str]) -> int:
    import io
    from contextlib import redirect_stderr

    from resnet_viz.cli.main import main as cli_main

    def failed(msg: str) -> None:
        write_json(Path(progress), {"state": "failed", "message": msg, "error": msg, "pid": os.getpid(),
                                    "updated": time.time()})

    write_json(Path(progress), {"state": "queued", "pid": os.getpid(), "done": 0, "total": 1,
                                "message": "waiting for a free slot (one heavy job at a time)",
                                "updated": time.time()})
    with _machine_job_lock():  # training included: the others wait here
        err = io.StringIO()
        try:
            with redirect_stderr(err):
                rc = cli_main([*argv, "--out", result, "--progress-file", progress, "--quiet"])
        except SystemExit as e:  # argparse rejected the arguments
            rc = e.code if isinstance(e.code, int) else 2
        if rc != 0:
            failed((err.getvalue().strip().splitlines() or ["failed"])[-1].removeprefix("error: "))
        return rc


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "probe":
        return _probe_worker(argv[1], argv[2], argv[3:])
    ap = argparse.ArgumentParser(prog="python -m resnet_viz.training.jobs",
                                 description="train a set of runs in sequence")
    ap.add_argument("--tag", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--limit-test", type=int, default=0)
    ap.add_argument("--root", default=None, help="run store of the set (default: the shared one)")
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=128)
    return _worker(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
