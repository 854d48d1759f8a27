"""How the Your data page trains a pair: a ResNet and its plain twin, the same way, on the user's images."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_viz.i18n import Msg, PluralMsg
from resnet_viz.runs.store import validate_name
from resnet_viz.training.config import TrainConfig


@dataclass(frozen=True)
class Plan:
    """A ResNet and its plain twin trained the same way on the user's data."""

    approach: str  # "scratch" (CIFAR twins at 32 px) or "transfer" (ImageNet ResNet + plain twin from scratch)
    depth: int
    method: str = "finetune"  # transfer only: "finetune" or "probe"
    size: int = 32
    epochs: int = 10
    batch_size: int = 32
    preset: str = "fast"  # one-cycle: the page trains for minutes, not the paper's 164 epochs

    @property
    def models(self) -> list[str]:
        """The pair's model names, ResNet first: ``resnet20, plain20`` or ``resnet18, plain18``."""
        return [f"resnet{self.depth}", f"plain{self.depth}"]

    def configs(self, data: str) -> list[TrainConfig]:
        """The pair's training settings on ``data``, ResNet first; from ImageNet weights the ResNet is fine-tuned
        or probed, and the plain twin (which has no ImageNet weights) trains from scratch."""
        resnet_mode = "scratch" if self.approach == "scratch" else self.method
        return [TrainConfig(model=model, data=data, preset=self.preset, epochs=self.epochs, mode=mode,
                            image_size=self.size, batch_size=self.batch_size)
                for model, mode in zip(self.models, (resnet_mode, "scratch"))]

    def tag(self, data_key: str) -> str:
        how = "scratch" if self.approach == "scratch" else self.method
        return validate_name(f"{data_key[:10]}-{how}-{self.size}px-{self.epochs}ep")

    def describe(self) -> Msg:
        """The pair in one sentence (translated where it is drawn)."""
        kw = dict(depth=self.depth, size=self.size)
        if self.approach == "scratch":
            return PluralMsg("ResNet-{depth} and Plain-{depth} (CIFAR-style, {size}x{size} px), both from random "
                             "weights, {n} epoch",
                             "ResNet-{depth} and Plain-{depth} (CIFAR-style, {size}x{size} px), both from random "
                             "weights, {n} epochs", self.epochs, **kw)
        if self.method == "finetune":
            return PluralMsg("ResNet-{depth} from ImageNet weights, all layers fine-tuned, against Plain-{depth} from "
                             "random weights; {size}x{size} px, {n} epoch",
                             "ResNet-{depth} from ImageNet weights, all layers fine-tuned, against Plain-{depth} from "
                             "random weights; {size}x{size} px, {n} epochs", self.epochs, **kw)
        return PluralMsg("ResNet-{depth} from ImageNet weights, a linear probe (only the last layer trains), against "
                         "Plain-{depth} from random weights; {size}x{size} px, {n} epoch",
                         "ResNet-{depth} from ImageNet weights, a linear probe (only the last layer trains), against "
                         "Plain-{depth} from random weights; {size}x{size} px, {n} epochs", self.epochs, **kw)

    def queue_label(self) -> Msg:
        """What the machine's job queue shows of this pair to everyone (nothing about the data), in the language of
        whoever looks (the queue keeps its template: ``queue.msg_fields``)."""
        kw = dict(depth=self.depth, size=self.size)
        if self.approach == "scratch":
            return PluralMsg("ResNet-{depth} and Plain-{depth} on own images, from scratch, {size} px, {n} epoch",
                             "ResNet-{depth} and Plain-{depth} on own images, from scratch, {size} px, {n} epochs",
                             self.epochs, **kw)
        if self.method == "finetune":
            return PluralMsg("ResNet-{depth} and Plain-{depth} on own images, fine-tuned, {size} px, {n} epoch",
                             "ResNet-{depth} and Plain-{depth} on own images, fine-tuned, {size} px, {n} epochs",
                             self.epochs, **kw)
        return PluralMsg("ResNet-{depth} and Plain-{depth} on own images, linear probe, {size} px, {n} epoch",
                         "ResNet-{depth} and Plain-{depth} on own images, linear probe, {size} px, {n} epochs",
                         self.epochs, **kw)

    def work(self, n_train: int) -> float | None:
        """The pair's size for the queue's estimated waits: epochs x training images x GFLOP per image of both
        nets at the plan's size (None while the model statistics are not computed yet)."""
        from resnet_viz.models.stats import model_stats, stats_cached

        if not stats_cached():
            return None
        flops = {r["name"]: r["flops"] * (self.size / r["input_size"]) ** 2 for r in model_stats()}
        return sum(self.epochs * n_train * flops.get(m, 0.0) / 1e9 for m in self.models) or None
