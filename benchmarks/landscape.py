"""Loss landscape: grid points per second, against a bare forward pass over the same images.

    python benchmarks/landscape.py [--models resnet20,resnet56] [--images 128] [--steps 5] [--repeats 3]

For each model (shipped weights when there are some, else random: the speed does not depend on
the weights) and a fixed set of ``--images`` training images, prints the median over ``--repeats``
of (a) a bare forward pass of the model as loaded (eval, default memory format) over the images, as
grid points per second if a point cost only that; (b) ``loss_landscape`` as the app runs it
(BatchNorm folded into the convs, channels_last); (c) ``loss_landscape`` without those two
(``fold_bn=False, channels_last=False``). ``loss_landscape``'s time includes its set-up (private
copy, directions, folding), over a ``--steps`` x ``--steps`` grid. Points per second are given
per wall second and per CPU second of this process (the second is steadier when other jobs share
the cores); the variants are interleaved so a change in background load hits them alike.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial
from pathlib import Path

import torch
from _timing import median_time  # noqa: F401,E402 - also puts the project on sys.path

CIFAR_JPG = Path("/tmp/cifar/cifar10-jpg")


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _bare(model: torch.nn.Module, x: torch.Tensor) -> None:
    with torch.inference_mode():
        model(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="resnet20,resnet56")
    ap.add_argument("--images", type=int, default=128)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", default=f"imagefolder:{CIFAR_JPG}" if CIFAR_JPG.is_dir() else "shapes")
    args = ap.parse_args()

    from resnet_viz.env import configure_threads, device_summary
    from resnet_viz.models.weights import available_weights, load_model
    from resnet_viz.probes.landscape import landscape_batch, loss_landscape

    configure_threads()
    print(f"machine: {device_summary()}, torch {torch.__version__}")
    print(f"data: {args.data}, {args.images} training images; grid {args.steps} x {args.steps} = "
          f"{args.steps ** 2} points; median of {args.repeats}")
    print(f"{'model':10} {'weights':8} {'variant':34} {'pts/s wall':>10} {'pts/s CPU':>10} {'21x21 grid':>11}")
    for name in args.models.split(","):
        weights = "shipped" if "shipped" in available_weights(name) else "random"
        lm = load_model(name, weights)
        x, y = landscape_batch(args.data, args.images, lm.meta, seed=0)
        points = args.steps ** 2

        variants = {
            "bare forward (1 pass = 1 point)": (partial(_bare, lm.model, x), 1),
            "loss_landscape (fold BN, ch-last)": (partial(loss_landscape, lm.model, x, y, steps=args.steps), points),
            "loss_landscape (plain eval)": (partial(loss_landscape, lm.model, x, y, steps=args.steps, fold_bn=False,
                                                    channels_last=False), points),
        }
        for fn, _ in variants.values():  # warm-up
            fn()
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
        for _ in range(args.repeats):
            for k, (fn, _) in variants.items():
                times[k].append(_timed(fn))
        for k, (_, n) in variants.items():
            wall = statistics.median(t[0] for t in times[k])
            cpu = statistics.median(t[1] for t in times[k])
            print(f"{name:10} {weights:8} {k:34} {n / wall:10.2f} {n / cpu:10.2f} "
                  f"{441 * wall / n:10.0f}s")


if __name__ == "__main__":
    main()
