"""Gradient-flow page: time of its computation vs a bare forward+backward of the same models.

    python benchmarks/gradient_flow.py [--batch 64] [--repeats 5]

Prints the median wall time of (a) the page's computation (``twin_gradient_flow`` for plain-56 and
ResNet-56 on one noise batch: building both nets, hooks, gradients of every layer and block output)
and (b) a bare forward + ``loss.backward()`` of the same two already-built models on the same batch,
their ratio (target <= 1.2), and (c) a repeated request through ``st.cache_data`` (target: instant).
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from _timing import median_time  # noqa: E402 - also puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--depth", type=int, default=56)
    args = ap.parse_args()

    from resnet_viz.env import configure_threads, device_summary
    from resnet_viz.probes.gradients import build_at_init, noise_batch, twin_gradient_flow

    configure_threads()
    names = [f"plain{args.depth}", f"resnet{args.depth}"]
    x, y = noise_batch(args.batch, 32, 10, 0)
    models = [build_at_init(n, seed=0).train() for n in names]

    def bare():
        for m in models:
            m.zero_grad(set_to_none=True)
            F.cross_entropy(m(x), y).backward()

    def page():
        twin_gradient_flow(names, batch=args.batch, seed=0)

    t_bare = median_time(bare, args.repeats)
    t_page = median_time(page, args.repeats)

    import streamlit as st

    cached = st.cache_data(show_spinner=False)(lambda n, b: twin_gradient_flow(list(n), batch=b, seed=0))
    cached(tuple(names), args.batch)
    t = time.perf_counter()
    cached(tuple(names), args.batch)
    t_cache = time.perf_counter() - t

    print(f"machine: {device_summary()}, torch {torch.__version__}")
    print(f"models: {' + '.join(names)}, batch {args.batch} noise images, median of {args.repeats}")
    print(f"bare forward+backward : {t_bare:8.3f} s")
    print(f"page computation      : {t_page:8.3f} s")
    print(f"ratio page / bare     : {t_page / t_bare:8.3f}   (target <= 1.2)")
    print(f"repeat from cache     : {t_cache * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
