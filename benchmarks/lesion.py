"""Lesion study: the single-block sweep with shared prefixes vs one full forward pass per removal.

    python benchmarks/lesion.py [--model resnet56] [--images 500] [--repeats 1]

The naive sweep (what a first implementation does, and what the issue's 77 s for 25 removals on
1,000 images measured) runs the whole network once per removed block under ``inference_mode``.
The library's sweep runs the stem and intact blocks once per chunk and starts each lesioned pass
from the intact activation at the removed block's input. Same model, same images, same chunk size;
the printed errors must agree. Weights do not change the cost: random weights with BatchNorm
statistics from one batch.
"""

from __future__ import annotations

import argparse

import torch
from _timing import median_time  # noqa: E402 - also puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet56")
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()

    from resnet_viz.env import configure_threads, device_summary
    from resnet_viz.models.registry import build_model
    from resnet_viz.probes.lesion import block_table, error_of, single_block_lesions

    configure_threads()
    torch.manual_seed(0)
    m = build_model(args.model)
    with torch.no_grad():
        m.train()(torch.randn(128, 3, 32, 32))
    m.eval()
    x = torch.randn(args.images, 3, 32, 32)
    y = torch.randint(0, 10, (args.images,))
    idx = [r["index"] for r in block_table(m) if r["removable"]]
    naive_out, fast_out = [], []

    def naive():
        naive_out[:] = [error_of(m, x, y)] + [error_of(m, x, y, removed=[i]) for i in idx]

    def fast():
        intact, rows = single_block_lesions(m, x, y)
        fast_out[:] = [intact] + [r.error for r in rows if r.error is not None]

    t_naive = median_time(naive, args.repeats)
    t_fast = median_time(fast, args.repeats)
    assert naive_out == fast_out, "the two sweeps disagree"
    print(f"device: {device_summary()}")
    print(f"{args.model}, {args.images} images, {len(idx)} removable blocks + the intact net")
    print(f"one forward pass per removal: {t_naive:.2f} s")
    print(f"shared prefixes (library)   : {t_fast:.2f} s")
    print(f"speed-up: {t_naive / t_fast:.2f}x")


if __name__ == "__main__":
    main()
