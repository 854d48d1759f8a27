"""The commands behind the paper experiments: ``gradflow`` (gradient norms per layer, and their sweep over depth),
``lesion`` (deleting blocks, Veit et al. 2016), ``shattered`` (shattered gradients, Balduzzi et al. 2017) and
``landscape`` (loss-surface slices, Li et al. 2018)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from resnet_viz.cli.common import CliError, Progress, check_classes, load_model_from_args, print_table
from resnet_viz.i18n import Msg


def _gradflow_sweep(args: argparse.Namespace) -> int:
    """``gradflow --sweep 20,32,...``: the first/last ratio of CIFAR twins against depth (the page's sweep)."""
    import datetime

    import torch

    from resnet_viz.lessons.gradients import sweep_table
    from resnet_viz.probes.gradients import depth_sweep

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
        print_table([{k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()} for r in table],
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
        print_table([{"index": r.index, "layer": r.name, "kind": r.kind, "grad_norm": f"{r.grad_norm:.4g}",
                       "ratio_to_last": f"{r.ratio_to_last:.4g}", "act_rms": f"{r.act_rms:.4g}"} for r in gf.layers],
                     ["index", "layer", "kind", "grad_norm", "ratio_to_last", "act_rms"])
        print()
    return 0


def cmd_lesion(args: argparse.Namespace) -> int:
    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.lessons.lesion import describe_lesions
    from resnet_viz.probes.lesion import balanced_subset, lesion_study, load_tensors

    lm = load_model_from_args(args)
    ds = get_dataset(args.data, args.split, transform=lm.transforms())
    check_classes(ds, lm, args.model)
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
    progress = Progress(args, f"lesion {args.model}", "pass")
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
    progress.close(Msg("finished in {seconds:.0f} s", seconds=res.seconds))
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    pct = lambda v: "cannot remove" if v is None else f"{100 * v:.1f}"
    print(f"{args.model} ({lm.meta.source}) on {res.n_images} images of {args.data} [{args.split}]: "
          f"intact error {100 * res.intact_error:.1f} % ({res.seconds:.0f} s)")
    print_table([{"block": b.name, "downsampling": "yes" if b.downsampling else "", "error %": pct(b.error)}
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
    from resnet_viz.lessons.shattered import describe_shattering, fmt_length
    from resnet_viz.probes.shattered import depth_study, rows_to_json, trained_study

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
    print_table([{"model": r["model"], "weights": r.get("weights", "init"), "lag-1 corr": f"{r['lag1']:.3f}",
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
    lm = load_model_from_args(args)
    progress = Progress(args, f"landscape {args.model}", "point")
    check_classes(get_dataset(args.data, args.split), lm, args.model)
    x, y = landscape_batch(args.data, args.images, lm.meta, seed=args.seed, split=args.split)
    res = loss_landscape(lm.model, x, y, dims=args.dims, steps=args.steps, span=args.span, seed=args.seed,
                         batch_size=args.batch_size, progress=progress, name=args.model)
    res.settings.update(weights=lm.meta.source, data=args.data, split=args.split,
                        command=args.command_line,
                        date=datetime.date.today().isoformat())
    out = res.to_json()
    if args.out:
        res.save(args.out)
    progress.close(Msg("finished in {seconds:.0f} s", seconds=res.seconds))
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
