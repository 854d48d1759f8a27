"""The training engine: CIFAR-family twins and torchvision ImageNet ResNets (from scratch, fine-tuned or
linear-probed from ImageNet weights) on cifar10, imagefolder:PATH, zip:FILE or shapes.

Design:
* The whole data set is decoded once and kept on the training device; augmentation runs there as tensor ops
  (``training.data``).
* channels_last everywhere (faster on CPUs and GPUs); bf16 autocast on CUDA; fp32 on the CPU,
  deterministic for a seed there.
* Every epoch: a test-set evaluation, an atomic checkpoint (``resume.pt`` with optimiser,
  scheduler and RNG state, plus ``model.safetensors`` for the app) and a status update
  (``training.records``). A non-finite loss stops the run ("diverged") and keeps the last good checkpoint.
* Under ``torchrun`` the same command trains data-parallel (``training.distributed``).

The settings of a run, its presets and modes are a ``TrainConfig`` (``training.config``). Every epoch also
writes ``evaluation.json`` (per test image: label, prediction, confidence) and the most confidently wrong
test images as PNGs in ``wrong/``, for the confusion matrix and Grad-CAM (``training.evaluation``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from resnet_viz.i18n import N_, Msg, PluralMsg
from resnet_viz.models.registry import get_info
from resnet_viz.models.weights import ModelMeta
from resnet_viz.runs.store import Run
from resnet_viz.training import distributed
from resnet_viz.training.config import TrainConfig, cli_command
from resnet_viz.training.data import Normalise, augment, load_arrays
from resnet_viz.training.evaluation import evaluate_arrays
from resnet_viz.training.network import build_network, check_trainable, trained_layers
from resnet_viz.training.records import RunFiles, load_resume, param_checksum, resume_state
from resnet_viz.training.schedule import make_optimizer, make_scheduler, scheduled_lr, set_lr


class Diverged(RuntimeError):
    pass


_ERROR_FORM = "{kind}: {error}"  # a failed run's message: the exception's class and its text (no words of its own)


def _error_msg(e: BaseException) -> Msg:
    """A failed run's status message; an exception raised with a ``Msg`` keeps it (translated where it is shown)."""
    text = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], Msg) else str(e)
    return Msg(_ERROR_FORM, kind=type(e).__name__, error=text)


def train(
    cfg: TrainConfig,
    run_dir: str | os.PathLike,
    *,
    resume: bool = False,
    argv: list[str] | None = None,
    progress: Callable[[dict], None] | None = None,
) -> Run:
    """Train ``cfg.model`` into ``run_dir`` (see module docstring). Returns the run.

    ``argv``: the CLI's own arguments, recorded as the run's command; without them the command is
    ``cli_command(cfg)``. ``progress`` is called on rank 0 every few steps.
    Raises ``Diverged`` when the loss becomes non-finite (the run's status says so too).
    """
    from resnet_viz.env import resolve_device

    resolved = cfg.resolved()
    check_trainable(get_info(resolved.model), resolved)
    ranks = distributed.setup(resolve_device(resolved.device), resolved.batch_size)
    try:
        files = RunFiles(Run(Path(run_dir)), ranks.main)
        files.prepare(resume)
        if resume:  # the same run continues: its saved settings win (only the device may change)
            cfg = TrainConfig.from_dict({**files.saved_config().to_dict(), "device": cfg.device})
        command = "python -m resnet_viz " + " ".join(argv) if argv else cli_command(cfg, files.run.name)
        _Trainer(cfg.resolved(), ranks, files, resume=resume, command=command, progress=progress).fit()
    finally:
        ranks.close()
    return files.run


class _Trainer:
    """One run's training state, from the first step (or the checkpoint resumed from) to the last epoch."""

    def __init__(self, cfg: TrainConfig, ranks: distributed.Ranks, files: RunFiles, *, resume: bool, command: str,
                 progress: Callable[[dict], None] | None) -> None:
        info = get_info(cfg.model)
        check_trainable(info, cfg)
        self.cfg, self.ranks, self.files, self.progress = cfg, ranks, files, progress
        device = self.device = ranks.device
        self.size = cfg.image_size or info.input_size
        self.data = load_arrays(cfg.data, self.size, cfg.limit_train, cfg.limit_test, device)
        self.prep = Normalise(device)
        # The initialisation comes from cfg.seed alone; the caller's global generator is left as it was.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(cfg.seed)
            model, pretrained, options = build_network(info, cfg, len(self.data.classes))
        self.model = model.to(device, memory_format=torch.channels_last)
        self.opt = make_optimizer(self.model, cfg)
        self.steps_per_epoch = len(self.data.y_train) // cfg.batch_size or 1
        self.sched = make_scheduler(self.opt, cfg, self.steps_per_epoch)
        self.gen = torch.Generator(device=device).manual_seed(cfg.seed)
        self.warmup = cfg.preset == "paper" and info.depth >= 110  # lr 0.01 until training error < 80 %
        self.start_epoch, self.step = 0, 0
        if resume:
            saved = load_resume(files.run.path / "resume.pt", device, self.model, self.opt, self.sched, self.gen)
            self.start_epoch, self.step = saved["epoch"], saved["step"]
            self.warmup = self.warmup if saved["warmup"] is None else saved["warmup"]
        self.net = ranks.wrap(self.model)
        how = {"scratch": "", "finetune": f", fine-tuned from {pretrained}",
               "probe": f", linear probe on {pretrained}"}[cfg.mode]
        self.meta = ModelMeta(arch=cfg.model, num_classes=len(self.data.classes), categories=self.data.classes,
                              input_size=self.size, resize_size=self.size, source=f"run {files.run.name}{how}",
                              options=options)
        self.layers = trained_layers(self.model)
        files.begin(cfg, command=command, device=ranks.label(), pretrained=pretrained, resume=resume,
                    layers=[n for n, _ in self.layers], step=self.step, start_epoch=self.start_epoch)
        self.autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                         else torch.autocast("cpu", enabled=False))

    def fit(self) -> None:
        """Every epoch from the start (or the checkpoint), with the run's status saying how it ended."""
        cfg, status = self.cfg, self.files.status
        status("running", N_("starting"), epoch=self.start_epoch, step=self.step)
        self.t_run = time.time()
        try:
            for epoch in range(self.start_epoch, cfg.epochs):
                self._epoch(epoch)
            sums = self.ranks.gather(param_checksum(self.model))
            done = PluralMsg("finished {n} epoch in {seconds:.0f} s", "finished {n} epochs in {seconds:.0f} s",
                             cfg.epochs, seconds=time.time() - self.t_run)
            status("finished", done, epoch=cfg.epochs, step=self.step, progress=1.0, rank_checksums=sums)
        except Diverged as e:
            status("diverged", e.args[0] if e.args else str(e), step=self.step)
            raise
        except KeyboardInterrupt:
            status("stopped", Msg("stopped at step {step}; the last finished epoch is saved", step=self.step),
                   step=self.step)
        except BaseException as e:
            status("failed", _error_msg(e), step=self.step)
            raise

    def _epoch(self, epoch: int) -> None:
        cfg, y_train = self.cfg, self.data.y_train
        self.model.train(cfg.mode != "probe")  # a probe's frozen backbone keeps its ImageNet BatchNorm statistics
        t0 = time.time()
        perm = torch.randperm(len(y_train), generator=self.gen, device=self.device)
        n_seen, loss_sum, wrong = 0, 0.0, 0
        for b in range(self.steps_per_epoch):
            idx = self.ranks.shard(perm[b * cfg.batch_size:(b + 1) * cfg.batch_size], cfg.batch_size)
            loss, logits = self._step(idx, epoch)
            yb = y_train[idx]
            n_seen += len(yb)
            loss_sum += loss.item() * len(yb)
            wrong += int((logits.argmax(1) != yb).sum())
            if self.warmup and n_seen >= 10 * (cfg.batch_size // self.ranks.world):
                self._end_warmup_if_learning(wrong, n_seen)
            if b % 10 == 0 or b == self.steps_per_epoch - 1:
                self._report(epoch, b, loss.item())
        train_time = time.time() - t0
        tr = self.ranks.sum(torch.tensor([loss_sum, wrong, n_seen], dtype=torch.float64, device=self.device))
        self.ranks.sync_buffers(self.model)
        self._end_epoch(epoch, t0, train_time, tr)

    def _step(self, idx: torch.Tensor, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimiser step on the images ``idx``; returns the loss and the logits."""
        cfg = self.cfg
        xb = self.data.x_train[idx]
        if cfg.augment:
            xb = augment(xb, self.gen, pad=max(1, self.size // 8))
        xb, yb = self.prep(xb), self.data.y_train[idx]
        if self.warmup:
            set_lr(self.opt, cfg.lr * 0.1)
        with self.autocast:
            logits = self.net(xb)
            loss = F.cross_entropy(logits.float(), yb)
        if self.step == cfg.extra.get("inject_nan_at_step"):  # fault injection for tests
            loss = loss * float("nan")
        bad, stop = self.ranks.any(not bool(torch.isfinite(loss)), self.files.run.stop_requested())
        if stop:
            raise KeyboardInterrupt("stop requested")
        if bad:
            raise Diverged(Msg("the loss became {loss} at step {step} (epoch {epoch}): training diverged; lower the "
                               "learning rate. The last good checkpoint is kept.", loss=loss.item(), step=self.step,
                               epoch=epoch + 1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_every and self.step % cfg.grad_every == 0:
            self.files.grads(self.step, epoch, self.layers)
        self.opt.step()
        self.sched.step()
        self.step += 1
        return loss, logits

    def _end_warmup_if_learning(self, wrong: int, n_seen: int) -> None:
        """He et al.: lr 0.01 until the training error is below 80 %, then the schedule's lr (decided on the
        error of the whole batch, the same on every rank)."""
        err = self.ranks.sum(torch.tensor([wrong, n_seen], dtype=torch.float64, device=self.device))
        if err[0] / err[1] < 0.8:
            self.warmup = False
            set_lr(self.opt, scheduled_lr(self.cfg, self.sched, self.step))

    def _report(self, epoch: int, b: int, loss: float) -> None:
        """A step record, the status with its ETA, and the caller's progress callback (rank 0)."""
        if not self.ranks.main:
            return
        cfg, spe = self.cfg, self.steps_per_epoch
        self.files.log({"kind": "step", "step": self.step, "epoch": epoch, "loss": loss,
                        "lr": self.opt.param_groups[0]["lr"]})
        done = (epoch - self.start_epoch) * spe + b + 1
        left = (cfg.epochs - self.start_epoch) * spe - done
        eta = (time.time() - self.t_run) / done * left
        # TRANSLATORS: a training run's progress: the epoch it is in, of how many
        self.files.status("running", Msg("epoch {epoch}/{epochs}", epoch=epoch + 1, epochs=cfg.epochs), epoch=epoch,
                          step=self.step, eta_s=eta,
                          progress=(epoch * spe + b + 1) / (cfg.epochs * spe))
        if self.progress:
            self.progress({"epoch": epoch, "batch": b + 1, "batches": spe, "loss": loss, "eta_s": eta})

    def _end_epoch(self, epoch: int, t0: float, train_time: float, tr: torch.Tensor) -> None:
        """The test evaluation, the epoch record and the checkpoints."""
        d = self.data
        test_loss, test_err, outputs = evaluate_arrays(self.model, d.x_test, d.y_test, self.prep, self.autocast,
                                                       outputs=True)
        rec = {"kind": "epoch", "epoch": epoch + 1, "step": self.step, "train_loss": tr[0].item() / tr[2].item(),
               "train_error": tr[1].item() / tr[2].item(), "test_loss": test_loss, "test_error": test_err,
               "lr": self.opt.param_groups[0]["lr"], "images_per_s": tr[2].item() / train_time,
               "epoch_s": time.time() - t0}
        self.files.log(rec)
        self.meta.metrics = {"epoch": epoch + 1, "train_error": rec["train_error"], "test_error": test_err}
        state = resume_state(self.model, self.opt, self.sched, self.gen, epoch + 1, self.step, self.warmup)
        self.files.checkpoint(self.model, self.meta, (epoch + 1, d.classes, d.y_test, outputs, d.x_test), state)
