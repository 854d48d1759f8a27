"""The training engine: CIFAR-family twins and torchvision ImageNet ResNets (from scratch, fine-tuned or
linear-probed from ImageNet weights) on cifar10, imagefolder:PATH, zip:FILE or shapes.

Design:
* The whole data set is decoded once into a uint8 tensor (N, 3, 32, 32) and kept on the training
  device (a few hundred MB at most); augmentation (pad-4 random crop + horizontal flip, per
  image) runs on that device as tensor ops, so no JPEG is decoded twice and no worker processes
  are needed. Decoded arrays are cached on disk next to the data.
* channels_last everywhere (faster on CPUs and GPUs); bf16 autocast on CUDA; fp32 on the CPU,
  deterministic for a seed there.
* Every epoch: a test-set evaluation, an atomic checkpoint (``resume.pt`` with optimiser,
  scheduler and RNG state, plus ``model.safetensors`` for the app) and a status update.
  A non-finite loss stops the run ("diverged") and keeps the last good checkpoint.
* Under ``torchrun`` the same command trains data-parallel (DistributedDataParallel, nccl on
  GPUs, gloo on CPUs); the global batch stays ``batch_size``; only rank 0 writes the run store.

Modes (``--mode``):
  scratch   random initial weights (every model; the only mode for plain twins and CIFAR nets).
  finetune  start from torchvision's ImageNet weights (ResNet-18/34/50/...), replace the final layer by
            one for the user's classes and train everything (lr default 0.01).
  probe     a linear probe: ImageNet weights frozen (BatchNorm statistics included: the backbone runs
            in eval mode), only the new final layer trains (lr default 0.01: ImageNet ResNet features are
            non-negative with norms of about 30, and SGD with momentum 0.9 is unstable on them from
            about lr 0.02).
The weights come from the torch hub cache that torchvision uses (downloaded there when online);
offline without them the run stops with ``WeightsUnavailable`` saying which file to put where.

Every epoch also writes ``evaluation.json`` (per test image: label, prediction, confidence) and the
most confidently wrong test images as PNGs in ``wrong/``, for the confusion matrix and Grad-CAM.

Presets (``--preset``):
  paper  He et al. 2015: SGD momentum 0.9, weight decay 1e-4, batch 128, lr 0.1 divided by 10 at
         50 % and 75 % of training (32k and 48k of 64k iterations), 164 epochs by default;
         110+ layers warm up at lr 0.01 until training error < 80 %.
  fast   for short demos on a CPU: one-cycle to lr 0.2, SGD nesterov, weight decay 5e-4,
         batch 128, 12 epochs by default.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz import __version__
from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD, get_info
from resnet_viz.models.weights import ModelMeta, save_checkpoint
from resnet_viz.runs.store import Run, append_jsonl, read_json, write_json


@dataclass
class TrainConfig:
    model: str = "resnet20"
    data: str = "shapes"
    preset: str = "fast"  # "paper" or "fast"
    epochs: int | None = None  # default: 164 (paper = 64k iterations at batch 128) or 12 (fast)
    batch_size: int = 128  # global batch, split across ranks under torchrun
    lr: float | None = None  # peak / initial lr; default 0.1 (paper) or 0.2 (fast) x batch_size / 128
    weight_decay: float | None = None  # preset default 1e-4 (paper) or 5e-4 (fast)
    momentum: float = 0.9
    seed: int = 0
    norm: str = "bn"
    init: str = "kaiming"
    shortcut: str = "A"
    augment: bool = True  # random crop after padding by 1/8 of the side (4 px at 32) + horizontal flip
    mode: str = "scratch"  # "scratch", "finetune" or "probe" (see module docstring)
    image_size: int = 0  # side of the square training images; 0 = the model's own (32 CIFAR, 224 ImageNet)
    limit_train: int = 0  # use only the first N training images (class-balanced order), 0 = all
    limit_test: int = 0
    grad_every: int = 20  # record per-layer gradient norms every N steps (0 = never)
    device: str = "auto"
    extra: dict = field(default_factory=dict)  # e.g. {"inject_nan_at_step": N}: fault injection for tests

    def resolved(self) -> TrainConfig:
        """Fill preset defaults."""
        c = TrainConfig(**asdict(self))
        if c.preset not in ("paper", "fast"):
            raise ValueError(f"unknown preset {c.preset!r}: use 'paper' or 'fast'")
        if c.mode not in MODES:
            raise ValueError(f"unknown mode {c.mode!r}: use one of {', '.join(MODES)}")
        paper = c.preset == "paper"
        c.epochs = c.epochs or (164 if paper else 12)
        # the presets' rates are for batch 128; other batches scale them linearly (Goyal et al. 2017), so a
        # small data set trained at batch 32 does not take four times too large steps
        scale = c.batch_size / 128
        base = {"scratch": 0.1 if paper else 0.2, "finetune": 0.01, "probe": 0.01}[c.mode]
        c.lr = c.lr if c.lr is not None else base * scale
        scratch_wd = 1e-4 if paper else 5e-4
        c.weight_decay = c.weight_decay if c.weight_decay is not None else (scratch_wd if c.mode == "scratch"
                                                                            else 1e-4)
        if c.epochs < 1 or c.batch_size < 1:
            raise ValueError("epochs and batch size must be positive")
        if c.image_size and not 16 <= c.image_size <= 512:
            raise ValueError(f"image size must be between 16 and 512 pixels, not {c.image_size}")
        return c


MODES = ("scratch", "finetune", "probe")
WRONG_KEPT = 12  # most confidently wrong test images saved with every evaluation


class Diverged(RuntimeError):
    pass


# ----------------------------------------------------------------------------- data in memory

def _dataset_arrays(spec: str, split: str, size: int, limit: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Decode a data set once into (N, 3, size, size) uint8 + (N,) int64 labels (cached on disk)."""
    from resnet_viz.data.datasets import ShapesDataset, get_dataset, parse_data_spec, shapes_arrays

    kind, arg = parse_data_spec(spec)
    if kind == "shapes":
        n = int(arg) if arg else (5000 if split == "train" else 1000)
        n = min(n, limit) if limit else n
        imgs, labels = shapes_arrays(n, size=size, seed=0, split=split)
        classes = ShapesDataset(1).classes
        return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels), classes
    ds = get_dataset(spec, split)
    classes = list(ds.classes)
    cache = _array_cache_path(spec, split, size, ds)
    if cache is not None and cache.is_file():
        with np.load(cache) as z:
            imgs, labels = z["images"], z["labels"]
    else:
        imgs = np.empty((len(ds), size, size, 3), np.uint8)
        labels = np.empty(len(ds), np.int64)
        for i in range(len(ds)):
            im, lab = ds[i]
            if im.size != (size, size):
                from PIL import ImageOps

                im = ImageOps.fit(im, (size, size))
            imgs[i], labels[i] = np.asarray(im.convert("RGB")), lab
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp.npz")
                np.savez(tmp, images=imgs, labels=labels)
                os.replace(tmp, cache)
            except OSError:
                pass
    if limit and limit < len(labels):
        # a class-balanced subset: take images round-robin over classes, in file order
        per_class = [np.flatnonzero(labels == c) for c in range(len(classes))]
        order = [i for group in zip(*per_class) for i in group][:limit]
        imgs, labels = imgs[order], labels[order]
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels), classes


def _array_cache_path(spec: str, split: str, size: int, ds) -> Path | None:
    from resnet_viz.data.datasets import parse_data_spec
    from resnet_viz.env import cache_dir

    root = getattr(ds, "root", None)
    if root is None:
        return None
    key = hashlib.sha1(f"{spec}|{os.path.abspath(str(root))}|{split}|{size}|{len(ds)}".encode()).hexdigest()[:16]
    report = getattr(ds, "report", None)
    if parse_data_spec(spec)[0] == "zip" and report is not None:
        # beside the unpacked zip (a session's own folder in the app): deleted with it, never shared
        return Path(report.root).parent / "arrays" / f"{split}-{key}.npz"
    return cache_dir() / "arrays" / f"{split}-{key}.npz"


def augment(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Per-image pad-``pad`` random crop and horizontal flip of a uint8 batch (B, 3, H, W) (He et al.
    pad 4 pixels at 32x32; larger images are padded by the same 1/8 of their side)."""
    b, _, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))  # (B, 3, H+2p, W+2p), zero padding as in the paper
    dy = torch.randint(0, 2 * pad + 1, (b, 1), generator=gen, device=gen.device)
    dx = torch.randint(0, 2 * pad + 1, (b, 1), generator=gen, device=gen.device)
    rows = dy + torch.arange(h, device=x.device)  # (B, H)
    cols = dx + torch.arange(w, device=x.device)  # (B, W)
    flip = torch.rand(b, generator=gen, device=gen.device) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    bi = torch.arange(b, device=x.device)[:, None, None]
    out = xp[bi, :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, 3)
    return out.permute(0, 3, 1, 2)


# ----------------------------------------------------------------------------- schedule

def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int):
    total = cfg.epochs * steps_per_epoch
    if cfg.preset == "fast" and total < 12:  # too few steps for a one-cycle shape: constant lr
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    if cfg.preset == "fast":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total, pct_start=0.25,
                                                   div_factor=10.0, final_div_factor=100.0)
    milestones = [int(total * 0.5), int(total * 0.75)]  # 32k and 48k of 64k iterations
    return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.1)


def scheduled_lr(cfg: TrainConfig, sched, step: int) -> float:
    """The paper schedule's lr at ``step`` (0.1, divided by 10 at each milestone passed): where the
    warm-up of 110+ layer nets hands over. (MultiStepLR scales the *current* lr, which the warm-up
    has lowered, so its own value cannot be used.)"""
    passed = sum(step >= m for m in getattr(sched, "milestones", {}))
    return cfg.lr * 0.1 ** passed


# ----------------------------------------------------------------------------- distributed

def _dist_info() -> tuple[int, int]:
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def _init_distributed(device: torch.device) -> None:
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


# ----------------------------------------------------------------------------- training

def _provenance(cfg: TrainConfig, argv: list[str] | None) -> dict[str, Any]:
    return {
        "command": "python -m resnet_viz " + " ".join(argv) if argv else None,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs",
        "device": None, "python": sys.version.split()[0], "torch": torch.__version__,
        "resnet_viz": __version__, "config": asdict(cfg),
    }


def _rng_state(gen: torch.Generator) -> dict:
    return {"gen": gen.get_state(), "torch": torch.get_rng_state()}


def train(
    cfg: TrainConfig,
    run_dir: str | os.PathLike,
    *,
    resume: bool = False,
    argv: list[str] | None = None,
    progress: Callable[[dict], None] | None = None,
) -> Run:
    """Train ``cfg.model`` into ``run_dir`` (see module docstring). Returns the run.

    Raises ``Diverged`` when the loss becomes non-finite (the run's status says so too).
    """
    from resnet_viz.env import resolve_device

    cfg = cfg.resolved()
    info = get_info(cfg.model)
    check_trainable(info, cfg)
    rank, world = _dist_info()
    device = resolve_device(cfg.device)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if world > 1:
        _init_distributed(device)
    if cfg.batch_size % world:
        raise ValueError(f"batch size {cfg.batch_size} does not split evenly over {world} processes")
    main = rank == 0
    run = Run(Path(run_dir))
    if main:
        run.path.mkdir(parents=True, exist_ok=True)
        if resume:
            saved = read_json(run.path / "config.json")
            if saved is None or not (run.path / "resume.pt").is_file():
                raise FileNotFoundError(f"nothing to resume in {run.path} (no config.json/resume.pt)")
        elif (run.path / "config.json").is_file() and run.metrics("epoch"):
            raise FileExistsError(f"{run.path} already holds a run: pass --resume to continue it or choose "
                                  "another --out")
        (run.path / "STOP").unlink(missing_ok=True)
    if resume:  # the same run continues: its saved settings win (only the device may change)
        saved_cfg = read_json(run.path / "config.json")
        cfg = TrainConfig(**{**saved_cfg, "device": cfg.device}).resolved()

    torch.manual_seed(cfg.seed)
    size = cfg.image_size or info.input_size
    x_train, y_train, classes = _dataset_arrays(cfg.data, "train", size, cfg.limit_train)
    x_test, y_test, _ = _dataset_arrays(cfg.data, "test", size, cfg.limit_test)
    num_classes = len(classes)
    x_train, y_train = x_train.to(device), y_train.to(device)
    x_test, y_test = x_test.to(device), y_test.to(device)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1) * 255
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1) * 255

    def prep(x: torch.Tensor) -> torch.Tensor:
        x = (x.float() - mean) / std
        return x.contiguous(memory_format=torch.channels_last)

    options = {"norm": cfg.norm, "init": cfg.init, "shortcut": cfg.shortcut} if info.family == "cifar" else {}
    pretrained = None
    if cfg.mode == "scratch":
        model = info.build(**options, **({"num_classes": num_classes} if num_classes != info.num_classes else {}))
    else:
        model, pretrained = pretrained_model(info, num_classes, probe=cfg.mode == "probe")
    model = model.to(device, memory_format=torch.channels_last)
    decay, no_decay = [], []
    for _n, p in model.named_parameters():
        if p.requires_grad:  # a linear probe trains the new final layer only
            (no_decay if p.ndim <= 1 else decay).append(p)  # no weight decay on BN and biases
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    opt = torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.preset == "fast")
    local_batch = cfg.batch_size // world
    steps_per_epoch = len(y_train) // cfg.batch_size or 1
    sched = make_scheduler(opt, cfg, steps_per_epoch)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    warmup = cfg.preset == "paper" and info.depth >= 110  # lr 0.01 until training error < 80 %
    start_epoch, step = 0, 0
    if resume:
        # RNG states are CPU byte tensors whatever the device: load on the CPU, then place the rest
        state = torch.load(run.path / "resume.pt", map_location="cpu", weights_only=True)
        saved_type = state.get("device_type", "cpu")
        if saved_type != device.type:
            raise ValueError(f"{run.path.name} was trained on {saved_type}: resume it with --device {saved_type} "
                             "(its random-number state belongs to that device), or start a new run")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])  # moves the momentum buffers to the parameters' device
        sched.load_state_dict(state["scheduler"])
        gen.set_state(state["rng"]["gen"])
        torch.set_rng_state(state["rng"]["torch"])
        start_epoch, step, warmup = state["epoch"], state["step"], state.get("warmup", warmup)
    ddp_model: nn.Module = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        ddp_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    how = {"scratch": "", "finetune": f", fine-tuned from {pretrained}", "probe": f", linear probe on {pretrained}"}
    meta = ModelMeta(arch=cfg.model, num_classes=num_classes, categories=classes, input_size=size, resize_size=size,
                     source=f"run {run.name}{how[cfg.mode]}", options=options)
    layers = [(n, m) for n, m in model.named_modules()
              if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.requires_grad]
    if main:
        write_json(run.path / "config.json", asdict(cfg))
        prov = read_json(run.path / "provenance.json") if resume else None
        prov = prov or _provenance(cfg, argv)
        prov["device"] = str(device) + (f" x{world}" if world > 1 else "")
        if pretrained:
            prov["pretrained"] = pretrained
        if resume:
            prov.setdefault("resumed", []).append(_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        write_json(run.path / "provenance.json", prov)
        if not resume:
            (run.path / "metrics.jsonl").unlink(missing_ok=True)
            append_jsonl(run.path / "metrics.jsonl", {"kind": "layers", "names": [n for n, _ in layers]})
        else:  # drop what was logged after the checkpoint we resume from: it is about to be redone
            kept = [r for r in run.metrics() if r.get("step", 0) <= step and
                    (r.get("kind") != "epoch" or r.get("epoch", 0) <= start_epoch)]
            tmp = run.path / "metrics.jsonl.tmp"
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
            os.replace(tmp, run.path / "metrics.jsonl")

    def status(state: str, message: str = "", **kw: Any) -> None:
        if main:
            write_json(run.path / "status.json", {"state": state, "message": message, "pid": os.getpid(),
                                                  "epochs": cfg.epochs, "updated": time.time(), **kw})

    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                else torch.autocast("cpu", enabled=False))
    status("running", "starting", epoch=start_epoch, step=step)
    t_run = time.time()
    try:
        for epoch in range(start_epoch, cfg.epochs):
            model.train(cfg.mode != "probe")  # a probe's frozen backbone keeps its ImageNet BatchNorm statistics
            t0 = time.time()
            perm = torch.randperm(len(y_train), generator=gen, device=device)
            n_seen, loss_sum, wrong = 0, 0.0, 0
            for b in range(steps_per_epoch):
                idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size][rank * local_batch:(rank + 1) * local_batch]
                xb = x_train[idx]
                if cfg.augment:
                    xb = augment(xb, gen, pad=max(1, size // 8))
                xb, yb = prep(xb), y_train[idx]
                if warmup:
                    for g in opt.param_groups:
                        g["lr"] = cfg.lr * 0.1
                with autocast:
                    logits = ddp_model(xb)
                    loss = F.cross_entropy(logits.float(), yb)
                if step == cfg.extra.get("inject_nan_at_step"):  # fault injection for tests
                    loss = loss * float("nan")
                bad, stop = not bool(torch.isfinite(loss)), run.stop_requested()
                if world > 1:  # every rank leaves the loop at the same step, or none does
                    import torch.distributed as dist

                    flags = torch.tensor([float(bad), float(stop)], device=device)
                    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
                    bad, stop = bool(flags[0]), bool(flags[1])
                if stop:
                    raise KeyboardInterrupt("stop requested")
                if bad:
                    raise Diverged(f"the loss became {loss.item()} at step {step} (epoch {epoch + 1}): training "
                                   "diverged; lower the learning rate. The last good checkpoint is kept.")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if main and cfg.grad_every and step % cfg.grad_every == 0:
                    norms = torch.stack([m.weight.grad.detach().float().norm() for _, m in layers]).tolist()
                    append_jsonl(run.path / "metrics.jsonl", {"kind": "grads", "step": step, "epoch": epoch,
                                                              "norms": norms})
                opt.step()
                sched.step()
                step += 1
                n_seen += len(yb)
                loss_sum += loss.item() * len(yb)
                wrong += int((logits.argmax(1) != yb).sum())
                if warmup and n_seen >= 10 * local_batch:
                    err = torch.tensor([wrong, n_seen], dtype=torch.float64, device=device)
                    if world > 1:  # decide on the error of the whole batch, the same on every rank
                        import torch.distributed as dist

                        dist.all_reduce(err)
                    if err[0] / err[1] < 0.8:
                        warmup = False  # He et al.: 0.01 until training error < 80 %, then the schedule's lr
                        for g in opt.param_groups:
                            g["lr"] = scheduled_lr(cfg, sched, step)
                if main and (b % 10 == 0 or b == steps_per_epoch - 1):
                    append_jsonl(run.path / "metrics.jsonl", {"kind": "step", "step": step, "epoch": epoch,
                                                              "loss": loss.item(), "lr": opt.param_groups[0]["lr"]})
                    done = (epoch - start_epoch) * steps_per_epoch + b + 1
                    left = (cfg.epochs - start_epoch) * steps_per_epoch - done
                    eta = (time.time() - t_run) / done * left
                    status("running", f"epoch {epoch + 1}/{cfg.epochs}", epoch=epoch, step=step, eta_s=eta,
                           progress=(epoch * steps_per_epoch + b + 1) / (cfg.epochs * steps_per_epoch))
                    if progress:
                        progress({"epoch": epoch, "batch": b + 1, "batches": steps_per_epoch, "loss": loss.item(),
                                  "eta_s": eta})
            train_time = time.time() - t0
            tr = torch.tensor([loss_sum, wrong, n_seen], dtype=torch.float64, device=device)
            if world > 1:
                import torch.distributed as dist

                dist.all_reduce(tr)
                # BatchNorm statistics come from each rank's share of the batch (as in the paper's
                # multi-GPU training); DDP syncs them from rank 0 before every forward pass, and so
                # do we after the last one, so every rank evaluates and ends with the same model.
                for buf in model.buffers():
                    dist.broadcast(buf, 0)
            test_loss, test_err, outputs = evaluate_arrays(model, x_test, y_test, prep, autocast, outputs=True)
            rec = {"kind": "epoch", "epoch": epoch + 1, "step": step, "train_loss": tr[0].item() / tr[2].item(),
                   "train_error": tr[1].item() / tr[2].item(), "test_loss": test_loss, "test_error": test_err,
                   "lr": opt.param_groups[0]["lr"], "images_per_s": tr[2].item() / train_time,
                   "epoch_s": time.time() - t0}
            if main:
                append_jsonl(run.path / "metrics.jsonl", rec)
                meta.metrics = {"epoch": epoch + 1, "train_error": rec["train_error"], "test_error": test_err}
                save_checkpoint(model, meta, run.path / "model.safetensors")
                save_evaluation(run.path, epoch + 1, classes, y_test, outputs, x_test)
                _save_resume(run.path / "resume.pt", model, opt, sched, gen, epoch + 1, step, warmup)
        checksum = _param_checksum(model)
        if world > 1:
            import torch.distributed as dist

            sums = [None] * world
            dist.all_gather_object(sums, checksum)
        else:
            sums = [checksum]
        status("finished", f"finished {cfg.epochs} epochs in {time.time() - t_run:.0f} s", epoch=cfg.epochs,
               step=step, progress=1.0, rank_checksums=sums)
    except Diverged as e:
        status("diverged", str(e), step=step)
        raise
    except KeyboardInterrupt:
        status("stopped", f"stopped at step {step}; the last finished epoch is saved", step=step)
    except BaseException as e:
        status("failed", f"{type(e).__name__}: {e}", step=step)
        raise
    finally:
        if world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
    return run


def _save_resume(path: Path, model, opt, sched, gen, epoch: int, step: int, warmup: bool) -> None:
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
             "rng": _rng_state(gen), "epoch": epoch, "step": step, "warmup": warmup,
             "device_type": next(model.parameters()).device.type}
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _param_checksum(model: nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


@torch.no_grad()
def evaluate_arrays(model: nn.Module, x: torch.Tensor, y: torch.Tensor, prep, autocast, batch: int = 500,
                    outputs: bool = False):
    """(mean loss, error fraction) of ``model`` in eval mode on in-memory uint8 images; with ``outputs``
    also ``(predictions, confidences)``: per image the arg-max class and its softmax probability."""
    was = model.training
    model.eval()
    loss_sum, wrong = 0.0, 0
    preds, confs = [], []
    for i in range(0, len(y), batch):
        with autocast:
            logits = model(prep(x[i:i + batch])).float()
        loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        conf, pred = logits.softmax(1).max(1)
        wrong += int((pred != y[i:i + batch]).sum())
        preds.append(pred.cpu())
        confs.append(conf.cpu())
    model.train(was)
    if outputs:
        return loss_sum / len(y), wrong / len(y), (torch.cat(preds), torch.cat(confs))
    return loss_sum / len(y), wrong / len(y)


def check_trainable(info, cfg: TrainConfig) -> None:
    """Refuse combinations the engine cannot train, with a sentence that says what to do instead."""
    if info.family == "zoo":
        raise ValueError(f"the training engine trains ResNets and their plain twins (resnet20, plain56, resnet18, "
                         f"plain18, ...), not {info.name}")
    if cfg.mode != "scratch" and not info.tv_name:
        raise ValueError(f"{info.name} has no ImageNet weights to start from"
                         + (" (a plain twin is only ever trained from scratch: use --mode scratch)" if not info.skip
                            else " (CIFAR-family nets train from scratch: use --mode scratch)"))
    if info.family != "cifar" and (cfg.norm, cfg.init, cfg.shortcut) != ("bn", "kaiming", "A"):
        raise ValueError("--norm, --init and --shortcut apply to the CIFAR-family nets only; torchvision ResNets "
                         "use BatchNorm, Kaiming initialisation and projection shortcuts")


def pretrained_model(info, num_classes: int, *, probe: bool) -> tuple[nn.Module, str]:
    """torchvision's ImageNet weights for ``info`` with a new final layer for ``num_classes`` classes
    (seeded by the caller's ``torch.manual_seed``); frozen except that layer when ``probe``.
    Returns the model and a description of the weights."""
    from resnet_viz.models.weights import load_torchvision_state

    sd, w = load_torchvision_state(info)
    model = info.build()
    model.load_state_dict(sd)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    if probe:
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("fc."))
    return model, f"torchvision {type(w).__name__}.{w.name}"


def save_evaluation(run_dir: Path, epoch: int, classes: list[str], y: torch.Tensor, outputs, x: torch.Tensor) -> None:
    """``evaluation.json`` (per held-out image: label, prediction, confidence) and the ``WRONG_KEPT`` most
    confidently wrong images as PNGs in ``wrong/`` (what the model saw, at its input size)."""
    from PIL import Image

    preds, confs = outputs
    labels = y.cpu()
    wrong = torch.nonzero(preds != labels).flatten()
    worst = wrong[torch.argsort(confs[wrong], descending=True)][:WRONG_KEPT].tolist()
    folder = run_dir / "wrong"
    tmp = run_dir / "wrong.tmp"
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir()
    kept = []
    for rank, i in enumerate(worst):
        name = f"{rank:02d}-test{i}.png"
        Image.fromarray(x[i].permute(1, 2, 0).cpu().numpy()).save(tmp / name)
        kept.append({"file": f"wrong/{name}", "index": i, "label": int(labels[i]), "pred": int(preds[i]),
                     "confidence": float(confs[i])})
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    os.replace(tmp, folder)
    write_json(run_dir / "evaluation.json", {
        "epoch": epoch, "classes": classes, "labels": labels.tolist(), "preds": preds.tolist(),
        "confidences": [round(float(c), 5) for c in confs], "wrong": kept})

