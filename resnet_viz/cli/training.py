"""The ``train``, ``runs`` and ``jobs`` commands: training a model into a run folder; listing, deleting and
exporting runs; the machine's job queue."""

from __future__ import annotations

import argparse
import json
import os
import sys

from resnet_viz.cli.common import EXIT_ERROR, CliError, print_table


def cmd_train(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    from resnet_viz.runs.store import run_dir_for
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.engine import Diverged, train

    mode = args.mode or ("finetune" if args.pretrained else "scratch")
    if args.pretrained and mode == "scratch":
        raise CliError("--pretrained starts from ImageNet weights, --mode scratch from random ones: use --mode "
                       "finetune or --mode probe with --pretrained, or drop --pretrained")
    cfg = TrainConfig(model=args.model, data=args.data, preset=args.preset, epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay, seed=args.seed,
                      norm=args.norm, init=args.init, shortcut=args.shortcut, augment=not args.no_augment,
                      limit_train=args.limit_train, limit_test=args.limit_test, device=args.device, mode=mode,
                      image_size=args.size)
    out = run_dir_for(args.out)
    bar = None
    rank = int(os.environ.get("RANK", "0"))

    def progress(p: dict) -> None:
        nonlocal bar
        if args.quiet or rank != 0:
            return
        if bar is None or bar.desc != f"epoch {p['epoch'] + 1}":
            if bar is not None:
                bar.close()
            bar = tqdm(total=p["batches"], desc=f"epoch {p['epoch'] + 1}", unit="batch", file=sys.stderr)
        bar.n = p["batch"]
        bar.set_postfix(loss=f"{p['loss']:.3f}", eta=f"{p['eta_s'] / 60:.1f} min")
        bar.refresh()

    try:
        run = train(cfg, out, resume=args.resume, argv=argv, progress=progress)
    except Diverged as e:
        raise CliError(str(e)) from None
    finally:
        if bar is not None:
            bar.close()
    if rank == 0:
        st = run.status
        fin = run.final()
        print(f"{run.name}: {st.get('state')} - {st.get('message')}")
        if fin["train_error"] is not None:
            print(f"  final train error {100 * fin['train_error']:.2f} %, test error {100 * fin['test_error']:.2f} %")
        print(f"  run folder {run.path}")
    return 0 if run.status.get("state") in ("finished", "stopped") else EXIT_ERROR


def cmd_runs(args: argparse.Namespace) -> int:
    from resnet_viz.runs.store import delete_run, list_runs

    if args.delete:
        delete_run(args.delete)
        print(f"deleted {args.delete}")
        return 0
    if args.export:
        from resnet_viz.runs.store import get_run
        from resnet_viz.runs.transfer import export_run

        run = get_run(args.export)
        responses = None
        if args.responses_data:
            from resnet_viz.runs.twins import run_responses

            responses = run_responses(run, args.responses_data, args.responses_images)
        out = export_run(run, args.to, half=not args.fp32, note=args.note, data_label=args.data_label,
                         responses=responses)
        print(f"exported {run.name} to {out.path}")
        return 0
    rows = [r.summary() for r in list_runs(include_shipped=not args.local)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no runs yet: python -m resnet_viz train --model resnet20 --data shapes --epochs 2 --out demo")
        return 0
    pct = lambda v: "-" if v is None else f"{100 * v:.2f}"
    print_table([{"name": r["name"], "model": r["model"], "data": r["data"], "epochs": r["epochs"],
                   "state": r["state"], "train err %": pct(r["final"]["train_error"]),
                   "test err %": pct(r["final"]["test_error"]), "shipped": "yes" if r["shipped"] else ""}
                  for r in rows], ["name", "model", "data", "epochs", "state", "train err %", "test err %", "shipped"])
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    """The machine's job queue (the one the app's pages show), or stop one job (the shell user is the teacher)."""
    import time

    from resnet_viz.training import queue

    if args.cancel:
        try:
            t = queue.cancel(args.cancel, "cli", teacher=True)
        except LookupError as e:
            raise CliError(f"{args.cancel}: {e}") from None
        print(f"asked {t.label} ({t.id}) to stop")
        return 0
    try:
        slots = queue.job_slots()
    except ValueError as e:
        raise CliError(str(e)) from None
    live, now = queue.tickets(), time.time()
    waits = queue.schedule(live, slots, now)
    rows = [{"id": t.id, "place": queue.position(t.id, live), "owner": t.owner, "kind": t.kind, "label": t.label,
             "progress": round(t.done_fraction(), 3),
             "wait_s": None if t.running else (None if waits.get(t.id) is None else round(waits[t.id], 1))}
            for t in live]
    if args.json:
        print(json.dumps({"slots": slots, "jobs": rows}, indent=2))
        return 0
    print(f"{slots} job slot(s); {sum(t.running for t in live)} running, {sum(not t.running for t in live)} waiting")
    if rows:
        print_table([{**r, "place": "running" if r["place"] == 0 else r["place"],
                      "wait_s": "" if r["wait_s"] is None else r["wait_s"]} for r in rows],
                    ["place", "kind", "owner", "label", "progress", "wait_s", "id"])
    return 0
