"""The ``models`` and ``info`` commands: the registered models, and the size and cost of one of them."""

from __future__ import annotations

import argparse
import json

from resnet_viz.cli.common import print_table


def cmd_models(args: argparse.Namespace) -> int:
    from resnet_viz.models.registry import count_params, list_models

    rows = [{"name": m.name, "family": m.family, "depth": m.depth, "skip": m.skip,
             "params": count_params(m.name), "input_size": m.input_size, "twin": m.twin,
             "description": m.description}
            for m in list_models(args.family)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table([{**r, "params": f"{r['params']:,}"} for r in rows],
                     ["name", "family", "depth", "skip", "params", "description"])
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from resnet_viz.models.registry import count_flops, count_params, get_info, meta_model, weight_layers

    info = get_info(args.model)
    size = args.size or info.input_size
    flops = count_flops(info.name, size)
    layers = weight_layers(meta_model(info.name))
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
