"""``python -m resnet_viz``: the command-line interface.

Every command that prints data takes ``--json``. Errors print one line to stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_ERROR = 2


class CliError(Exception):
    """An expected failure: printed as one line, exit code 2."""


def _print_table(rows: list[dict[str, Any]], cols: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


def _fmt_flops(flops: int) -> str:
    return f"{flops / 1e9:.3f}"


# ----------------------------------------------------------------------------- commands

def cmd_models(args: argparse.Namespace) -> int:
    from resnet_viz.models.registry import count_params, list_models

    rows = [{"name": m.name, "family": m.family, "depth": m.depth, "skip": m.skip,
             "params": count_params(m.name), "input_size": m.input_size, "twin": m.twin,
             "description": m.description}
            for m in list_models(args.family)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table([{**r, "params": f"{r['params']:,}"} for r in rows],
                     ["name", "family", "depth", "skip", "params", "description"])
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from resnet_viz.models.registry import _meta_model, count_flops, count_params, get_info, weight_layers

    info = get_info(args.model)
    size = args.size or info.input_size
    flops = count_flops(info.name, size)
    layers = weight_layers(_meta_model(info.name))
    row = {
        "name": info.name, "family": info.family, "depth": info.depth, "skip": info.skip,
        "params": count_params(info.name), "input_size": size, "flops": flops,
        "gflops": round(flops / 1e9, 4), "gmacs": round(flops / 2e9, 4),
        "weight_layers": len(layers),
        "conv_layers": sum(1 for _, m in layers if m.__class__.__name__ == "Conv2d"),
        "linear_layers": sum(1 for _, m in layers if m.__class__.__name__ != "Conv2d"),
        "twin": info.twin, "description": info.description,
    }
    if args.json:
        print(json.dumps(row, indent=2))
        return 0
    print(f"{info.name}: {info.description}")
    print(f"  family        {info.family}   depth {info.depth}   skip connections: {'yes' if info.skip else 'no'}")
    print(f"  parameters    {row['params']:,}")
    print(f"  FLOPs         {row['gflops']:.3f} GFLOP per {size}x{size} image "
          f"({row['gmacs']:.3f} GMAC; torch.utils.flop_counter counts 2 FLOPs per multiply-add)")
    print(f"  weight layers {row['weight_layers']} ({row['conv_layers']} conv, {row['linear_layers']} linear)")
    if info.twin:
        print(f"  twin          {info.twin}")
    return 0


def _load(args: argparse.Namespace):
    from resnet_viz.env import resolve_device
    from resnet_viz.models.weights import load_model

    device = resolve_device(args.device)
    return load_model(args.model, args.weights, device=device)


def command_line(argv: list[str]) -> str:
    """The command that reproduces a result: the arguments without where it was written
    (``--out``, ``--progress-file``) or how it was shown (``--quiet``, ``--json``)."""
    import shlex

    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--out", "--progress-file"):
            skip = True
            continue
        if a.startswith(("--out=", "--progress-file=")) or a in ("--quiet", "--json"):
            continue
        out.append(a)
    return "python -m resnet_viz " + shlex.join(out)


class _Progress:
    """A tqdm bar on stderr (unless quiet) and, with ``--progress-file``, a JSON status file the app reads."""

    def __init__(self, args: argparse.Namespace, desc: str, unit: str) -> None:
        from tqdm import tqdm

        self.file = Path(args.progress_file) if getattr(args, "progress_file", None) else None
        self.bar = tqdm(total=1, desc=desc, unit=unit, file=sys.stderr, disable=args.quiet)
        self.last = 0.0
        self.write("running", 0, 1, "loading the data")

    def write(self, state: str, done: int, total: int, message: str) -> None:
        if self.file:
            import time

            from resnet_viz.runs.store import write_json

            write_json(self.file, {"state": state, "done": done, "total": total, "pid": os.getpid(),
                                   "message": message, "updated": time.time()})

    def __call__(self, done: int, total: int) -> None:
        import time

        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()
        if self.file and (time.time() - self.last > 1 or done == total):
            self.last = time.time()
            self.write("running", done, total, f"{100 * done / max(1, total):.0f} %")

    def close(self, message: str) -> None:
        self.bar.close()
        self.write("finished", 1, 1, message)


def _check_classes(ds, lm, model: str) -> list[str]:
    """The data set's class names, after checking they are the model's (one-line error otherwise)."""
    classes = list(getattr(ds, "classes", []) or [])
    if classes and lm.meta.categories and len(classes) != lm.meta.num_classes:
        raise CliError(f"the data set has {len(classes)} classes but {model} predicts {lm.meta.num_classes}")
    if classes and lm.meta.categories and classes != list(lm.meta.categories):
        raise CliError(f"the data set's classes {classes[:3]}... are not the model's {lm.meta.categories[:3]}...")
    return classes


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.probes.inference import evaluate

    lm = _load(args)
    ds = get_dataset(args.data, args.split, transform=lm.transforms())
    classes = _check_classes(ds, lm, args.model)
    if args.limit:
        import torch

        g = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(ds), generator=g)[: args.limit].tolist()
        ds = torch.utils.data.Subset(ds, idx)
        ds.classes = classes  # type: ignore[attr-defined]
    res = evaluate(lm, ds, batch_size=args.batch_size, num_workers=args.workers,
                   progress=lambda it: tqdm(it, desc=f"evaluate {args.model}", unit="batch", file=sys.stderr,
                                            disable=args.quiet))
    res.update(model=args.model, weights=lm.meta.source, data=args.data, split=args.split)
    if args.json:
        res.pop("confusion")
        print(json.dumps(res, indent=2))
        return 0
    print(f"{args.model} ({lm.meta.source}) on {args.data} [{args.split}]: "
          f"top-1 accuracy {100 * res['accuracy']:.2f} % ({res['correct']}/{res['n']})")
    for name, acc in res["per_class"].items():
        print(f"  {name:<12} {100 * acc:6.2f} %")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from resnet_viz.data.datasets import load_image
    from resnet_viz.probes.inference import classify

    image = load_image(args.image)
    lm = _load(args)
    top = classify(lm, image, top=args.top)
    if args.json:
        print(json.dumps([{"label": t["label"], "prob": t["prob"]} for t in top], indent=2))
        return 0
    print(f"{args.model} ({lm.meta.source}):")
    for t in top:
        print(f"  {t['prob']:7.2%}  {t['label']}")
    return 0


def _gradflow_sweep(args: argparse.Namespace) -> int:
    """``gradflow --sweep 20,32,...``: the first/last ratio of CIFAR twins against depth (the page's sweep)."""
    import datetime

    import torch

    from resnet_viz.probes.gradients import depth_sweep, sweep_table

    try:
        depths = tuple(int(d) for d in args.sweep.split(","))
    except ValueError:
        raise CliError(f"--sweep takes CIFAR depths separated by commas, e.g. 20,56,110 (got {args.sweep!r})") from None
    key = {"depths": list(depths), "seeds": args.seeds, "batch": args.batch, "source": args.data, "norm": args.norm,
           "init": args.init}
    rows = depth_sweep(list(depths), seeds=args.seeds, batch=args.batch, source=args.data, norm=args.norm,
                       init=args.init)
    out = {"key": key, "rows": rows, "provenance": {"command": args.command_line, "torch": torch.__version__,
                                                     "date": datetime.date.today().isoformat()}}
    if args.out:
        from resnet_viz.runs.store import write_json

        write_json(Path(args.out), out)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        table = sweep_table(rows)
        _print_table([{k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()} for r in table],
                     list(table[0]))
    return 0


def cmd_gradflow(args: argparse.Namespace) -> int:
    from resnet_viz.models.registry import get_info
    from resnet_viz.probes.gradients import twin_gradient_flow

    if args.sweep:
        return _gradflow_sweep(args)

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if not names:
        raise CliError("--models needs at least one model name, e.g. plain56,resnet56")
    infos = [get_info(n) for n in names]
    if len({(i.input_size, i.num_classes) for i in infos}) > 1:
        raise CliError("--models must share input size and classes (compare CIFAR with CIFAR, ImageNet with ImageNet)")
    options = {"norm": args.norm, "init": args.init}
    if infos[0].family != "cifar":
        if args.norm != "bn" or args.init not in ("kaiming", "zero-residual"):
            raise CliError("--norm none and --init xavier exist only for the CIFAR family")
        options = {"zero_init_residual": True} if args.init == "zero-residual" else {}
    from resnet_viz.env import resolve_device

    flows = twin_gradient_flow(names, source=args.data, batch=args.batch, seed=args.seed,
                               device=resolve_device(args.device), **options)
    if args.json:
        print(json.dumps({n: gf.to_json() for n, gf in flows.items()}, indent=2))
        return 0
    for n, gf in flows.items():
        print(f"{n}: loss {gf.loss:.4g}, first/last conv gradient ratio {gf.first_last_ratio:.4g}"
              + ("" if gf.finite else "  (non-finite values!)"))
        _print_table([{"index": r.index, "layer": r.name, "kind": r.kind, "grad_norm": f"{r.grad_norm:.4g}",
                       "ratio_to_last": f"{r.ratio_to_last:.4g}", "act_rms": f"{r.act_rms:.4g}"} for r in gf.layers],
                     ["index", "layer", "kind", "grad_norm", "ratio_to_last", "act_rms"])
        print()
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from resnet_viz.data.datasets import load_image
    from resnet_viz.probes.attribution import METHOD_NAMES, explain, overlay_image
    from resnet_viz.probes.inference import label_of

    image = load_image(args.image)
    lm = _load(args)
    x = lm.transforms()(image).unsqueeze(0)  # (1, 3, S, S)
    att = explain(lm, x, args.method, target=args.target, layer=args.layer)
    # the overlay is drawn on the image as the model saw it (resized and centre-cropped)
    mean, std = np.array(lm.meta.mean)[:, None, None], np.array(lm.meta.std)[:, None, None]
    seen = ((x[0].numpy() * std + mean).clip(0, 1).transpose(1, 2, 0) * 255).astype(np.uint8)
    big = max(1, 224 // seen.shape[0])  # small CIFAR inputs are enlarged so the overlay is visible
    seen = np.asarray(Image.fromarray(seen).resize((seen.shape[1] * big, seen.shape[0] * big), Image.NEAREST))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(overlay_image(seen, att.map, args.opacity)).save(args.out)
    if args.npy:
        np.save(args.npy, att.map.astype(np.float32))
    label = label_of(lm, att.target)
    print(f"{METHOD_NAMES[att.method]} of {args.model} for class {label!r} (index {att.target})"
          + (f" at {att.layer}" if att.layer else "") + f": overlay {args.out}" + (f", map {args.npy}" if args.npy
                                                                                     else ""))
    return 0


def cmd_blocks(args: argparse.Namespace) -> int:
    from resnet_viz.data.datasets import load_image
    from resnet_viz.probes.activations import block_anatomy

    image = load_image(args.image)
    lm = _load(args)
    x = lm.transforms()(image).unsqueeze(0).to(lm.device)  # (1, 3, S, S)
    recs, _ = block_anatomy(lm.model, x)
    if not recs:
        raise CliError(f"{args.model} has no residual blocks")
    if args.json:
        print(json.dumps([r.to_json() for r in recs], indent=2))
        return 0
    kind = "||F(x)|| / ||shortcut(x)||" if lm.info.skip else "||F(x)|| / ||x|| (no shortcut)"
    print(f"{args.model} ({lm.meta.source}) on {args.image}: {kind} and cosine(shortcut(x), H(x)) per block")
    _print_table([{"block": r.name, "downsampling": "yes" if r.downsampling else "",
                   "residual_ratio": f"{r.residual_ratio:.3f}",
                   "cosine": "-" if r.cosine is None else f"{r.cosine:.3f}"} for r in recs],
                 ["block", "downsampling", "residual_ratio", "cosine"])
    return 0


def cmd_train(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    from resnet_viz.runs.store import run_dir_for
    from resnet_viz.training.engine import Diverged, TrainConfig, train

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
        from resnet_viz.runs.store import export_run, get_run

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
    _print_table([{"name": r["name"], "model": r["model"], "data": r["data"], "epochs": r["epochs"],
                   "state": r["state"], "train err %": pct(r["final"]["train_error"]),
                   "test err %": pct(r["final"]["test_error"]), "shipped": "yes" if r["shipped"] else ""}
                  for r in rows], ["name", "model", "data", "epochs", "state", "train err %", "test err %", "shipped"])
    return 0


def cmd_lesion(args: argparse.Namespace) -> int:
    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.probes.lesion import balanced_subset, describe_lesions, lesion_study, load_tensors

    lm = _load(args)
    ds = get_dataset(args.data, args.split, transform=lm.transforms())
    _check_classes(ds, lm, args.model)
    targets = getattr(ds, "targets", None) or [ds[i][1] for i in range(len(ds))]
    idx = balanced_subset(targets, args.limit, seed=args.seed) if args.limit else None
    try:
        swaps = [int(v) for v in args.swaps.split(",")] if args.swaps else []
    except ValueError:
        raise CliError(f"--swaps takes whole numbers separated by commas, e.g. 1,2,4 (got {args.swaps!r})") from None
    for flag, v, low in (("--limit", args.limit, 0), ("--random-draws", args.random_draws, 0),
                         ("--batch-size", args.batch_size, 1)):
        if v < low:
            raise CliError(f"{flag} must be at least {low} (got {v})")
    progress = _Progress(args, f"lesion {args.model}", "pass")
    x, y = load_tensors(ds, idx)
    res = lesion_study(lm.model, x, y, name=args.model, random_draws=args.random_draws, swaps=swaps,
                       seed=args.seed, batch_size=args.batch_size, progress=progress)
    res.extra = {"weights": lm.meta.source, "data": args.data, "split": args.split, "limit": args.limit,
                 "seed": args.seed, "command": args.command_line}
    out = res.to_json()
    out["blocks"] = [{k: b[k] for k in ("name", "downsampling", "error", "index", "stage")} for b in out["blocks"]]
    if args.out:
        from resnet_viz.runs.store import write_json

        write_json(Path(args.out), out)
    progress.close(f"finished in {res.seconds:.0f} s")
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    pct = lambda v: "cannot remove" if v is None else f"{100 * v:.1f}"
    print(f"{args.model} ({lm.meta.source}) on {res.n_images} images of {args.data} [{args.split}]: "
          f"intact error {100 * res.intact_error:.1f} % ({res.seconds:.0f} s)")
    _print_table([{"block": b.name, "downsampling": "yes" if b.downsampling else "", "error %": pct(b.error)}
                  for b in res.blocks], ["block", "downsampling", "error %"])
    for r in res.random:
        print(f"  {r['k']:>2} random blocks removed: mean error {100 * r['mean']:.1f} %")
    for r in res.reorder:
        print(f"  {r['swaps']:>2} pairs swapped: mean error {100 * r['mean']:.1f} %")
    text = describe_lesions(None if lm.info.skip else res, res if lm.info.skip else None,
                            n_classes=lm.meta.num_classes)
    if text:
        print(text)
    return 0


def cmd_shattered(args: argparse.Namespace) -> int:
    import datetime

    from resnet_viz.data.samples import PHOTOS
    from resnet_viz.probes.shattered import depth_study, describe_shattering, fmt_length, rows_to_json, trained_study

    ends = tuple(args.photos.split(","))
    if len(ends) != 2 or not all(e in PHOTOS for e in ends):
        raise CliError(f"--photos needs two of {', '.join(PHOTOS)} separated by a comma, got {args.photos!r}")
    if args.n < 4 or args.seeds < 1:
        raise CliError("--n must be at least 4 and --seeds at least 1")
    if args.models:
        models = args.models.split(",")
        weights = (args.weights or "shipped").split(",")
        if len(weights) not in (1, len(models)) or (len(weights) == 1 and len(models) > 1
                                                    and weights[0] not in ("shipped", "reference", "random")):
            raise CliError("give one --weights per model (comma-separated, same order as --models), or one of "
                           "shipped, reference, random for all")
        from resnet_viz.models.weights import load_model

        loaded = {m: load_model(m, w) for m, w in zip(models, weights * len(models) if len(weights) == 1 else weights)}
        rows = trained_study(models, n=args.n, photos=ends, models=loaded)
    else:
        depths = [int(d) for d in args.depths.split(",")]
        rows = depth_study(depths, seeds=list(range(args.seeds)), n=args.n, line=args.line, photos=ends,
                           norm=args.norm)
    prov = {"command": args.command_line,
            "date": datetime.date.today().isoformat()}
    out = {"rows": rows_to_json(rows), "provenance": prov, "text": describe_shattering(rows)}
    if args.out:
        from resnet_viz.runs.store import write_json

        write_json(Path(args.out), out)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    _print_table([{"model": r["model"], "weights": r.get("weights", "init"), "lag-1 corr": f"{r['lag1']:.3f}",
                   "corr. length": fmt_length(r)} for r in rows], ["model", "weights", "lag-1 corr", "corr. length"])
    print(out["text"])
    return 0


def cmd_landscape(args: argparse.Namespace) -> int:
    import datetime

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.probes.landscape import landscape_batch, landscape_stats, loss_landscape

    for flag, v, low in (("--images", args.images, 1), ("--steps", args.steps, 2),
                         ("--batch-size", args.batch_size, 1)):
        if v < low:
            raise CliError(f"{flag} must be at least {low} (got {v})")
    if not args.span > 0:
        raise CliError(f"--span must be positive (got {args.span})")
    lm = _load(args)
    progress = _Progress(args, f"landscape {args.model}", "point")
    _check_classes(get_dataset(args.data, args.split), lm, args.model)
    x, y = landscape_batch(args.data, args.images, lm.meta, seed=args.seed, split=args.split)
    res = loss_landscape(lm.model, x, y, dims=args.dims, steps=args.steps, span=args.span, seed=args.seed,
                         batch_size=args.batch_size, progress=progress, name=args.model)
    res.settings.update(weights=lm.meta.source, data=args.data, split=args.split,
                        command=args.command_line,
                        date=datetime.date.today().isoformat())
    out = res.to_json()
    if args.out:
        res.save(args.out)
    progress.close(f"finished in {res.seconds:.0f} s")
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    s = landscape_stats(res)
    print(f"{args.model} ({lm.meta.source}): {args.dims}-D slice, {args.steps} points per axis in "
          f"[-{args.span:g}, {args.span:g}], {res.n_images} images of {args.data} [{args.split}], "
          f"{res.seconds:.0f} s ({res.points_per_second:.2f} points/s)")
    print(f"  centre loss {s['centre_loss']:.4f}, rim loss {s['rim_loss']:.4f} ({s['rim_ratio']:.2f}x), "
          f"local minima {s['local_minima']}, basin {s['basin_fraction']:.0%}, "
          f"non-convex points {s['nonconvex_fraction']:.0%}")
    return 0


# ----------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m resnet_viz",
                                description="Residual networks vs their plain twins: models, weights, data.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str, fn) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(fn=fn)
        return sp

    sp = add("models", "list every registered model with family, depth, skip and parameters", cmd_models)
    sp.add_argument("--family", choices=["cifar", "imagenet", "zoo"], help="only this family")
    sp.add_argument("--json", action="store_true", help="machine-readable output")

    sp = add("info", "parameters, FLOPs and layer count of one model", cmd_info)
    sp.add_argument("model")
    sp.add_argument("--size", type=int, help="input side in pixels (default: the model's own)")
    sp.add_argument("--json", action="store_true")

    def model_args(sp: argparse.ArgumentParser, required: bool = True) -> None:
        sp.add_argument("--model", required=required, help="registered model name, e.g. resnet20")
        sp.add_argument("--weights", default=None,
                        help="random | reference | shipped | imagenet | DEFAULT | IMAGENET1K_V1 | a file "
                             "(.safetensors, .pt, .pth, .th); default: the best available")
        sp.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu) | cpu | cuda | mps")

    sp = add("evaluate", "top-1 accuracy (overall and per class) on a data set", cmd_evaluate)
    model_args(sp)
    sp.add_argument("--data", required=True, help="cifar10 | imagefolder:PATH | shapes")
    sp.add_argument("--split", default="test", choices=["train", "test"])
    sp.add_argument("--limit", type=int, default=0, help="evaluate a random subset of N images (seed 0)")
    sp.add_argument("--batch-size", type=int, default=256)
    sp.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true")

    sp = add("classify", "top-k classes of one image", cmd_classify)
    sp.add_argument("image", help="image file (png, jpeg, webp, gif, bmp, tiff)")
    model_args(sp)
    sp.add_argument("--top", type=int, default=5)
    sp.add_argument("--json", action="store_true")
    sp = add("gradflow", "per-layer gradient norms of freshly initialised models on one batch", cmd_gradflow)
    sp.add_argument("--models", default="plain56,resnet56", help="comma-separated model names (same family)")
    sp.add_argument("--norm", default="bn", choices=["bn", "none"], help="normalisation (CIFAR family)")
    sp.add_argument("--init", default="kaiming", choices=["kaiming", "xavier", "zero-residual"])
    sp.add_argument("--batch", type=int, default=64)
    sp.add_argument("--seed", type=int, default=0, help="seeds the initialisation and the batch")
    sp.add_argument("--data", default="noise", help="noise | shapes | cifar10 | imagefolder:PATH")
    sp.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu) | cpu | cuda | mps")
    sp.add_argument("--sweep", metavar="DEPTHS", help="instead: the first/last ratio of CIFAR twins at these depths "
                    "(e.g. 20,32,44,56,110), geometric mean over --seeds initialisations")
    sp.add_argument("--seeds", type=int, default=3, help="with --sweep: initialisations per depth")
    sp.add_argument("--out", help="with --sweep: also write the JSON result to this file")
    sp.add_argument("--json", action="store_true")

    sp = add("explain", "attribution map (Grad-CAM, ...) of one image, saved as an overlay PNG", cmd_explain)
    sp.add_argument("image")
    model_args(sp)
    sp.add_argument("--method", default="gradcam", choices=["gradcam", "guided-gradcam", "ig", "saliency",
                                                            "occlusion"])
    sp.add_argument("--out", required=True, help="overlay PNG to write")
    sp.add_argument("--npy", help="also save the raw map (input resolution, float32, before colour mapping)")
    sp.add_argument("--target", help="class name or index (default: the predicted class)")
    sp.add_argument("--layer", help="module name for Grad-CAM, e.g. layer3.2 (default: the last block)")
    sp.add_argument("--opacity", type=float, default=0.5)

    sp = add("blocks", "per residual block: ||F(x)|| / ||shortcut(x)|| and cosine(x, H(x)) for one image", cmd_blocks)
    sp.add_argument("image")
    model_args(sp)
    sp.add_argument("--json", action="store_true")

    sp = add("train", "train a ResNet or its plain twin into a run folder: from scratch, or fine-tuned / "
                      "linear-probed from ImageNet weights (data-parallel under torchrun)", cmd_train)
    sp.add_argument("--model", required=True, help="e.g. resnet20, plain56 (CIFAR family, 32 px) or resnet18, "
                                                   "plain18, resnet50 (torchvision family, 224 px)")
    sp.add_argument("--data", default="shapes", help="cifar10 | imagefolder:PATH | zip:FILE | shapes[:N]")
    sp.add_argument("--pretrained", action="store_true",
                    help="start from torchvision's ImageNet weights (ResNet-18/34/50/...; implies --mode finetune)")
    sp.add_argument("--mode", choices=["finetune", "probe", "scratch"], default=None,
                    help="finetune: train all layers from ImageNet weights; probe: train only a new final layer "
                         "on the frozen ImageNet backbone; scratch: random initial weights (default without "
                         "--pretrained)")
    sp.add_argument("--size", type=int, default=0,
                    help="side of the square training images in pixels (default: the model's own, 32 or 224)")
    sp.add_argument("--preset", default="fast", choices=["paper", "fast"],
                    help="paper: He et al. 2015 recipe; fast: one-cycle for short CPU demos")
    sp.add_argument("--epochs", type=int, default=None, help="default: 164 (paper) or 12 (fast)")
    sp.add_argument("--out", required=True, help="run folder (runs/NAME) or a NAME inside the run store")
    sp.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")
    sp.add_argument("--batch-size", type=int, default=128)
    sp.add_argument("--lr", type=float, default=None)
    sp.add_argument("--weight-decay", type=float, default=None)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--norm", default="bn", choices=["bn", "none"])
    sp.add_argument("--init", default="kaiming", choices=["kaiming", "xavier", "zero-residual"])
    sp.add_argument("--shortcut", default="A", choices=["A", "B", "C"])
    sp.add_argument("--no-augment", action="store_true", help="no random crop / flip")
    sp.add_argument("--limit-train", type=int, default=0, help="first N training images (class-balanced)")
    sp.add_argument("--limit-test", type=int, default=0)
    sp.add_argument("--device", default="auto")
    sp.add_argument("--quiet", action="store_true")

    sp = add("runs", "list training runs (local and shipped)", cmd_runs)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--local", action="store_true", help="only runs in the local run store")
    sp.add_argument("--delete", metavar="NAME", help="delete a local run")
    sp.add_argument("--export", metavar="RUN", help="copy a run for shipping (fp16 weights, no resume state)")
    sp.add_argument("--to", default="assets/runs", help="where --export writes (default assets/runs)")
    sp.add_argument("--fp32", action="store_true", help="--export full-precision weights")
    sp.add_argument("--note", help="--export: a provenance note (e.g. which data copy was used)")
    sp.add_argument("--data-label", help="--export: how the app names the run's data, e.g. 'CIFAR-10 (JPEG copy)'")
    sp.add_argument("--responses-data", metavar="DATA", help="--export: also store the layer responses "
                    "(paper Figure 7) on the test split of DATA")
    sp.add_argument("--responses-images", type=int, default=1000)

    sp = add("lesion", "delete each residual block in turn (Veit et al. 2016) and measure the test error",
             cmd_lesion)
    model_args(sp)
    sp.add_argument("--data", default="cifar10", help="cifar10 | imagefolder:PATH | shapes")
    sp.add_argument("--split", default="test", choices=["train", "test"])
    sp.add_argument("--limit", type=int, default=1000,
                    help="a class-balanced subset of N images (seeded; 0 = the whole split); default 1000")
    sp.add_argument("--random-draws", type=int, default=0,
                    help="also delete k = 1..n random blocks at once, this many random sets per k")
    sp.add_argument("--swaps", default="", help="also reorder blocks: comma-separated numbers of swapped pairs")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--batch-size", type=int, default=250)
    sp.add_argument("--out", help="also write the JSON result to this file")
    sp.add_argument("--progress-file", help="write progress as JSON here (used by the app's background jobs)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true")

    sp = add("shattered", "input-gradient correlation along a line of inputs (Balduzzi et al. 2017)", cmd_shattered)
    sp.add_argument("--depths", default="20,56,110", help="CIFAR depths of the plain/ResNet twins at initialisation")
    sp.add_argument("--seeds", type=int, default=3, help="initialisations averaged per net")
    sp.add_argument("--n", type=int, default=256, help="points on the line")
    sp.add_argument("--line", default="photos", choices=["photos", "noise"])
    sp.add_argument("--photos", default="cat (chelsea),coffee cup", help="the line's two sample photos")
    sp.add_argument("--norm", default="bn", choices=["bn", "none"])
    sp.add_argument("--models", help="trained models instead, e.g. plain20,resnet20 (with --weights)")
    sp.add_argument("--weights", help="with --models: shipped (default), reference, or a file")
    sp.add_argument("--out", help="also write the JSON result to this file")
    sp.add_argument("--json", action="store_true")

    sp = add("landscape", "1-D or 2-D slice of the training loss around the weights (Li et al. 2018)",
             cmd_landscape)
    model_args(sp)
    sp.add_argument("--data", default="cifar10", help="cifar10 | imagefolder:PATH | shapes")
    sp.add_argument("--split", default="train", choices=["train", "test"])
    sp.add_argument("--images", type=int, default=128, help="fixed random subset of N images (seeded)")
    sp.add_argument("--dims", type=int, default=2, choices=[1, 2])
    sp.add_argument("--steps", type=int, default=21, help="grid points per axis")
    sp.add_argument("--span", type=float, default=1.0, help="the grid covers [-span, span] on each axis")
    sp.add_argument("--seed", type=int, default=0, help="seeds the directions and the image subset")
    sp.add_argument("--batch-size", type=int, default=256)
    sp.add_argument("--out", help="also write the JSON result to this file")
    sp.add_argument("--progress-file", help="write progress as JSON here (used by the app's background jobs)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    from resnet_viz.data.datasets import DataUnavailable, ImageError
    from resnet_viz.env import configure_threads
    from resnet_viz.models.registry import UnknownModel
    from resnet_viz.models.weights import WeightsError, WeightsUnavailable

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command_line = command_line(argv)
    configure_threads()
    try:
        return args.fn(args, argv) if args.fn is cmd_train else args.fn(args)
    except (CliError, UnknownModel, WeightsError, WeightsUnavailable, DataUnavailable, ImageError,
            ValueError, RuntimeError, OSError, PermissionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (RESNET_VIZ_DEBUG=1 shows it)
        if os.environ.get("RESNET_VIZ_DEBUG"):
            raise
        print(f"error: unexpected {type(e).__name__}: {e} (set RESNET_VIZ_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR
