"""The commands that run a model on images: ``evaluate`` (accuracy on a data set), ``classify`` (top-k classes of
one image), ``explain`` (an attribution overlay) and ``blocks`` (what each residual block adds)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from resnet_viz.cli.common import CliError, check_classes, load_model_from_args, print_table


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.probes.inference import evaluate

    lm = load_model_from_args(args)
    ds = get_dataset(args.data, args.split, transform=lm.transforms())
    classes = check_classes(ds, lm, args.model)
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
    from resnet_viz.data.images import load_image
    from resnet_viz.probes.inference import classify

    image = load_image(args.image)
    lm = load_model_from_args(args)
    top = classify(lm, image, top=args.top)
    if args.json:
        print(json.dumps([{"label": t["label"], "prob": t["prob"]} for t in top], indent=2))
        return 0
    print(f"{args.model} ({lm.meta.source}):")
    for t in top:
        print(f"  {t['prob']:7.2%}  {t['label']}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from resnet_viz.data.images import load_image
    from resnet_viz.probes.attribution import METHOD_NAMES, explain, overlay_image
    from resnet_viz.probes.inference import label_of

    image = load_image(args.image)
    lm = load_model_from_args(args)
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
    from resnet_viz.data.images import load_image
    from resnet_viz.probes.activations import block_anatomy

    image = load_image(args.image)
    lm = load_model_from_args(args)
    x = lm.transforms()(image).unsqueeze(0).to(lm.device)  # (1, 3, S, S)
    recs, _ = block_anatomy(lm.model, x)
    if not recs:
        raise CliError(f"{args.model} has no residual blocks")
    if args.json:
        print(json.dumps([r.to_json() for r in recs], indent=2))
        return 0
    kind = "||F(x)|| / ||shortcut(x)||" if lm.info.skip else "||F(x)|| / ||x|| (no shortcut)"
    print(f"{args.model} ({lm.meta.source}) on {args.image}: {kind} and cosine(shortcut(x), H(x)) per block")
    print_table([{"block": r.name, "downsampling": "yes" if r.downsampling else "",
                   "residual_ratio": f"{r.residual_ratio:.3f}",
                   "cosine": "-" if r.cosine is None else f"{r.cosine:.3f}"} for r in recs],
                 ["block", "downsampling", "residual_ratio", "cosine"])
    return 0
