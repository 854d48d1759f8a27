"""Training throughput of the engine vs a plain reference loop, in one run on this machine.

    python benchmarks/train_throughput.py --data imagefolder:PATH/cifar10-jpg [--model resnet20] [--steps 40]

Reference loop: torchvision ``ImageFolder`` + ``DataLoader`` decoding the JPEGs every epoch (with
RandomCrop(32, padding=4) + RandomHorizontalFlip transforms, 2 workers), NCHW fp32, same model,
same batch, same optimiser. Engine: ``resnet_viz.training.engine`` (images decoded once and kept as a
uint8 tensor, augmentation as tensor ops, channels_last; bf16 autocast on CUDA).
Both are timed over the same number of steps after a warm-up; prints images/s and the ratio
(target >= 1.3x on a CPU).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing


def reference(model_name: str, data: str, steps: int, batch: int, workers: int, device: torch.device) -> float:
    from torchvision import transforms as T

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD, build_model

    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    ds = get_dataset(data, "train", transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                                         persistent_workers=workers > 0)
    model = build_model(model_name).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    it = iter(loader)

    def step():
        nonlocal it
        try:
            x, y = next(it)
        except StopIteration:
            it = iter(loader)
            x, y = next(it)
        x, y = x.to(device), y.to(device)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t)


def engine(model_name: str, data: str, steps: int, batch: int, device: torch.device) -> float:
    """Images/s of the engine's training loop, from the throughput it logs (warm-up epoch excluded)."""
    import tempfile

    from resnet_viz.runs.store import Run
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.engine import train

    n = steps * batch
    with tempfile.TemporaryDirectory() as tmp:
        train(TrainConfig(model=model_name, data=data, epochs=2, batch_size=batch, limit_train=n, limit_test=batch,
                          grad_every=0, device=str(device)), Path(tmp) / "bench")
        epochs = Run(Path(tmp) / "bench").metrics("epoch")
    return epochs[-1]["images_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="cifar10 or imagefolder:PATH (JPEG CIFAR-10)")
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    from resnet_viz.env import configure_threads, device_summary, resolve_device

    configure_threads()
    device = resolve_device(args.device)
    eng = engine(args.model, args.data, args.steps, args.batch, device)
    ref = reference(args.model, args.data, args.steps, args.batch, args.workers, device)
    print(f"machine: {device_summary()}, torch {torch.__version__}")
    print(f"model {args.model}, batch {args.batch}, {args.steps} steps timed")
    print(f"reference loop (ImageFolder + DataLoader, NCHW fp32): {ref:8.1f} images/s")
    print(f"resnet_viz engine                                   : {eng:8.1f} images/s")
    print(f"ratio engine / reference: {eng / ref:.2f}x   (target >= 1.3x on a CPU)")


if __name__ == "__main__":
    main()
