"""Feature-map page: time of its computation vs a bare forward pass, ResNet-50 + plain-50 at 224 px.

    python benchmarks/feature_maps.py [--repeats 5] [--model resnet50]

The page's work after the image is decoded and cached: preprocessing, a forward pass of each twin
capturing the chosen block, every stage output and the stem (thread-filtered hooks, removed
afterwards), and the numpy conversion of the maps it plots. Compared with a bare forward pass of
the same two models on the same tensor under ``inference_mode``; target ratio <= 1.5 and under
about 1 s in total. Weights do not change the cost: random weights are used when the torchvision
ones are not cached.
"""

from __future__ import annotations

import argparse

import torch
from _timing import median_time  # noqa: E402 - also puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--model", default="resnet50")
    args = ap.parse_args()

    from resnet_viz.data.samples import photo
    from resnet_viz.env import configure_threads, device_summary
    from resnet_viz.models.weights import load_model
    from resnet_viz.probes.activations import capture, residual_blocks

    configure_threads()
    twin = "plain" + args.model.removeprefix("resnet")
    models = [load_model(args.model, "random"), load_model(twin, "random")]
    image = photo("cat (chelsea)")
    blocks = [n for n, _ in residual_blocks(models[0].model)]
    layer = blocks[len(blocks) // 3]
    stages = sorted({n.split(".")[0] for n in blocks})

    def page():
        x = models[0].transforms()(image).unsqueeze(0)
        for lm in models:
            acts, _ = capture(lm.model, x, [layer, *stages, "relu"])
            _ = {n: a[0].float().numpy() for n, a in acts.items()}

    x0 = models[0].transforms()(image).unsqueeze(0)

    @torch.inference_mode()
    def bare():
        for lm in models:
            lm.model(x0)

    t_bare, t_page = median_time(bare, args.repeats), median_time(page, args.repeats)
    print(f"machine: {device_summary()}, torch {torch.__version__}")
    print(f"models: {args.model} + {twin} at 224 px, layer {layer} + {len(stages)} stages + stem, median of "
          f"{args.repeats}")
    print(f"bare forward passes : {t_bare:7.3f} s")
    print(f"page computation    : {t_page:7.3f} s")
    print(f"ratio page / bare   : {t_page / t_bare:7.3f}   (target <= 1.5, total under ~1 s)")


if __name__ == "__main__":
    main()
