"""The CLI's argument parser: one ``add_<command>`` function per command, in the order ``--help`` lists them.

Each command's parser gets ``fn``, the function that runs it, as a default.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from resnet_viz.cli.experiments import cmd_gradflow, cmd_landscape, cmd_lesion, cmd_shattered
from resnet_viz.cli.images import cmd_blocks, cmd_classify, cmd_evaluate, cmd_explain
from resnet_viz.cli.models import cmd_info, cmd_models
from resnet_viz.cli.training import cmd_jobs, cmd_runs, cmd_train
from resnet_viz.i18n import DEFAULT_LANGUAGE, LANGUAGES

Subparsers = Any  # argparse's _SubParsersAction, whose name is private
LANG_HELP = ("language of the sentences the library computes (lesson sentences, error messages, numbers in "
             "them): en (default), vi, de, it or zh; the CLI's own output and --json stay English")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m resnet_viz",
                                description="Residual networks vs their plain twins: models, weights, data.")
    p.add_argument("--lang", choices=list(LANGUAGES), default=DEFAULT_LANGUAGE, help=LANG_HELP)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_models, add_info, add_evaluate, add_classify, add_gradflow, add_explain, add_blocks, add_train,
                add_runs, add_jobs, add_lesion, add_shattered, add_landscape):
        add(sub)
    return p


def add_command(sub: Subparsers, name: str, help: str, fn: Callable[..., int]) -> argparse.ArgumentParser:
    """A command's parser, with the same text as its summary line in ``--help`` and as its own description."""
    sp = sub.add_parser(name, help=help, description=help)
    sp.add_argument("--lang", choices=list(LANGUAGES), default=argparse.SUPPRESS, help=LANG_HELP)
    sp.set_defaults(fn=fn)
    return sp


def add_model_args(sp: argparse.ArgumentParser, required: bool = True) -> None:
    """``--model``, ``--weights`` and ``--device``: the model a command loads (see ``load_model_from_args``)."""
    sp.add_argument("--model", required=required, help="registered model name, e.g. resnet20")
    sp.add_argument("--weights", default=None,
                    help="random | reference | shipped | imagenet | DEFAULT | IMAGENET1K_V1 | a file "
                         "(.safetensors, .pt, .pth, .th); default: the best available")
    sp.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu) | cpu | cuda | mps")

def add_probe_data_args(sp: argparse.ArgumentParser, split: str) -> None:
    """The model and the data a probe (``lesion``, ``landscape``) runs on, ``split`` by default."""
    add_model_args(sp)
    sp.add_argument("--data", default="cifar10", help="cifar10 | imagefolder:PATH | shapes")
    sp.add_argument("--split", default=split, choices=["train", "test"])


def add_job_output_args(sp: argparse.ArgumentParser) -> None:
    """Where a probe writes its result and progress: the options the app's background jobs pass."""
    sp.add_argument("--out", help="also write the JSON result to this file")
    sp.add_argument("--progress-file", help="write progress as JSON here (used by the app's background jobs)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true")


def add_models(sub: Subparsers) -> None:
    sp = add_command(sub, "models", "list every registered model with family, depth, skip and parameters", cmd_models)
    sp.add_argument("--family", choices=["cifar", "imagenet", "zoo"], help="only this family")
    sp.add_argument("--json", action="store_true", help="machine-readable output")


def add_info(sub: Subparsers) -> None:
    sp = add_command(sub, "info", "parameters, FLOPs and layer count of one model", cmd_info)
    sp.add_argument("model")
    sp.add_argument("--size", type=int, help="input side in pixels (default: the model's own)")
    sp.add_argument("--json", action="store_true")


def add_evaluate(sub: Subparsers) -> None:
    sp = add_command(sub, "evaluate", "top-1 accuracy (overall and per class) on a data set", cmd_evaluate)
    add_model_args(sp)
    sp.add_argument("--data", required=True, help="cifar10 | imagefolder:PATH | shapes")
    sp.add_argument("--split", default="test", choices=["train", "test"])
    sp.add_argument("--limit", type=int, default=0, help="evaluate a random subset of N images (seed 0)")
    sp.add_argument("--batch-size", type=int, default=256)
    sp.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true")


def add_classify(sub: Subparsers) -> None:
    sp = add_command(sub, "classify", "top-k classes of one image", cmd_classify)
    sp.add_argument("image", help="image file (png, jpeg, webp, gif, bmp, tiff)")
    add_model_args(sp)
    sp.add_argument("--top", type=int, default=5)
    sp.add_argument("--json", action="store_true")


def add_gradflow(sub: Subparsers) -> None:
    sp = add_command(sub, "gradflow", "per-layer gradient norms of freshly initialised models on one batch",
                     cmd_gradflow)
    sp.add_argument("--models", default="plain56,resnet56", help="comma-separated model names (same family)")
    sp.add_argument("--norm", default="bn", choices=["bn", "none"], help="normalisation (CIFAR family)")
    sp.add_argument("--init", default="kaiming", choices=["kaiming", "xavier", "zero-residual"])
    sp.add_argument("--batch", type=int, default=64)
    sp.add_argument("--seed", type=int, default=0, help="seeds the initialisation and the batch")
    sp.add_argument("--data", default="noise", help="noise | shapes | cifar10 | imagefolder:PATH")
    sp.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu) | cpu | cuda | mps")
    sp.add_argument("--sweep", metavar="DEPTHS", help="instead: the first/last ratio of CIFAR twins at these depths "
                    "(e.g. 20,32,44,56,110), geometric mean over --seeds initialisations")
    sp.add_argument("--seeds", type=int, default=3, help="with --sweep: initialisations per depth")
    sp.add_argument("--out", help="with --sweep: also write the JSON result to this file")
    sp.add_argument("--json", action="store_true")


def add_explain(sub: Subparsers) -> None:
    sp = add_command(sub, "explain", "attribution map (Grad-CAM, ...) of one image, saved as an overlay PNG",
                     cmd_explain)
    sp.add_argument("image")
    add_model_args(sp)
    sp.add_argument("--method", default="gradcam", choices=["gradcam", "guided-gradcam", "ig", "saliency",
                                                            "occlusion"])
    sp.add_argument("--out", required=True, help="overlay PNG to write")
    sp.add_argument("--npy", help="also save the raw map (input resolution, float32, before colour mapping)")
    sp.add_argument("--target", help="class name or index (default: the predicted class)")
    sp.add_argument("--layer", help="module name for Grad-CAM, e.g. layer3.2 (default: the last block)")
    sp.add_argument("--opacity", type=float, default=0.5)


def add_blocks(sub: Subparsers) -> None:
    sp = add_command(sub, "blocks", "per residual block: ||F(x)|| / ||shortcut(x)|| and cosine(x, H(x)) for one image",
                     cmd_blocks)
    sp.add_argument("image")
    add_model_args(sp)
    sp.add_argument("--json", action="store_true")


def add_train(sub: Subparsers) -> None:
    sp = add_command(sub, "train", "train a ResNet or its plain twin into a run folder: from scratch, or fine-tuned / "
                      "linear-probed from ImageNet weights (data-parallel under torchrun)", cmd_train)
    sp.add_argument("--model", required=True, help="e.g. resnet20, plain56 (CIFAR family, 32 px) or resnet18, "
                                                   "plain18, resnet50 (torchvision family, 224 px)")
    sp.add_argument("--data", default="shapes", help="cifar10 | imagefolder:PATH | zip:FILE | shapes[:N]")
    sp.add_argument("--pretrained", action="store_true",
                    help="start from torchvision's ImageNet weights (ResNet-18/34/50/...; implies --mode finetune)")
    sp.add_argument("--mode", choices=["finetune", "probe", "scratch"], default=None,
                    help="finetune: train all layers from ImageNet weights; probe: train only a new final layer "
                         "on the frozen ImageNet backbone; scratch: random initial weights (default without "
                         "--pretrained)")
    sp.add_argument("--size", type=int, default=0,
                    help="side of the square training images in pixels (default: the model's own, 32 or 224)")
    sp.add_argument("--preset", default="fast", choices=["paper", "fast"],
                    help="paper: He et al. 2015 recipe; fast: one-cycle for short CPU demos")
    sp.add_argument("--epochs", type=int, default=None, help="default: 164 (paper) or 12 (fast)")
    sp.add_argument("--out", required=True, help="run folder (runs/NAME) or a NAME inside the run store")
    sp.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")
    sp.add_argument("--batch-size", type=int, default=128)
    sp.add_argument("--lr", type=float, default=None)
    sp.add_argument("--weight-decay", type=float, default=None)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--norm", default="bn", choices=["bn", "none"])
    sp.add_argument("--init", default="kaiming", choices=["kaiming", "xavier", "zero-residual"])
    sp.add_argument("--shortcut", default="A", choices=["A", "B", "C"])
    sp.add_argument("--no-augment", action="store_true", help="no random crop / flip")
    sp.add_argument("--limit-train", type=int, default=0, help="first N training images (class-balanced)")
    sp.add_argument("--limit-test", type=int, default=0)
    sp.add_argument("--device", default="auto")
    sp.add_argument("--quiet", action="store_true")


def add_runs(sub: Subparsers) -> None:
    sp = add_command(sub, "runs", "list training runs (local and shipped)", cmd_runs)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--local", action="store_true", help="only runs in the local run store")
    sp.add_argument("--delete", metavar="NAME", help="delete a local run")
    sp.add_argument("--export", metavar="RUN", help="copy a run for shipping (fp16 weights, no resume state)")
    sp.add_argument("--to", default="assets/runs", help="where --export writes (default assets/runs)")
    sp.add_argument("--fp32", action="store_true", help="--export full-precision weights")
    sp.add_argument("--note", help="--export: a provenance note (e.g. which data copy was used)")
    sp.add_argument("--data-label", help="--export: how the app names the run's data, e.g. 'CIFAR-10 (JPEG copy)'")
    sp.add_argument("--responses-data", metavar="DATA", help="--export: also store the layer responses "
                    "(paper Figure 7) on the test split of DATA")
    sp.add_argument("--responses-images", type=int, default=1000)


def add_jobs(sub: Subparsers) -> None:
    sp = add_command(sub, "jobs", "the machine's background job queue (the one the app shows); --cancel stops one",
                     cmd_jobs)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--cancel", metavar="ID", help="stop a queued or running job (its id from the list)")


def add_lesion(sub: Subparsers) -> None:
    sp = add_command(sub, "lesion", "delete each residual block in turn (Veit et al. 2016) and measure the test error",
                     cmd_lesion)
    add_probe_data_args(sp, split="test")
    sp.add_argument("--limit", type=int, default=1000,
                    help="a class-balanced subset of N images (seeded; 0 = the whole split); default 1000")
    sp.add_argument("--random-draws", type=int, default=0,
                    help="also delete k = 1..n random blocks at once, this many random sets per k")
    sp.add_argument("--swaps", default="", help="also reorder blocks: comma-separated numbers of swapped pairs")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--batch-size", type=int, default=250)
    add_job_output_args(sp)


def add_shattered(sub: Subparsers) -> None:
    sp = add_command(sub, "shattered", "input-gradient correlation along a line of inputs (Balduzzi et al. 2017)",
                     cmd_shattered)
    sp.add_argument("--depths", default="20,56,110", help="CIFAR depths of the plain/ResNet twins at initialisation")
    sp.add_argument("--seeds", type=int, default=3, help="initialisations averaged per net")
    sp.add_argument("--n", type=int, default=256, help="points on the line")
    sp.add_argument("--line", default="photos", choices=["photos", "noise"])
    sp.add_argument("--photos", default="cat (chelsea),coffee cup", help="the line's two sample photos")
    sp.add_argument("--norm", default="bn", choices=["bn", "none"])
    sp.add_argument("--models", help="trained models instead, e.g. plain20,resnet20 (with --weights)")
    sp.add_argument("--weights", help="with --models: shipped (default), reference, or a file")
    sp.add_argument("--out", help="also write the JSON result to this file")
    sp.add_argument("--json", action="store_true")


def add_landscape(sub: Subparsers) -> None:
    sp = add_command(sub, "landscape", "1-D or 2-D slice of the training loss around the weights (Li et al. 2018)",
                     cmd_landscape)
    add_probe_data_args(sp, split="train")
    sp.add_argument("--images", type=int, default=128, help="fixed random subset of N images (seeded)")
    sp.add_argument("--dims", type=int, default=2, choices=[1, 2])
    sp.add_argument("--steps", type=int, default=21, help="grid points per axis")
    sp.add_argument("--span", type=float, default=1.0, help="the grid covers [-span, span] on each axis")
    sp.add_argument("--seed", type=int, default=0, help="seeds the directions and the image subset")
    sp.add_argument("--batch-size", type=int, default=256)
    add_job_output_args(sp)
