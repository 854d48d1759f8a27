"""``resnet_viz.cli.parser``: every command of README.md's "Command line" section parses with the flags it
documents, to the function that runs it, with the documented defaults; bad choices and missing required
options are usage errors (exit code 2)."""

from __future__ import annotations

import re

import pytest

from resnet_viz.cli import experiments, images, models, training
from resnet_viz.cli.parser import build_parser
from tests.conftest import ROOT

COMMANDS = {"models", "info", "evaluate", "classify", "gradflow", "explain", "blocks", "train", "runs", "jobs",
            "lesion", "shattered", "landscape"}

# One command line per line of README.md's "Command line" section, placeholders filled in.
README_LINES = [
    ["models", "--family", "zoo", "--json"],
    ["info", "resnet50", "--size", "224", "--json"],
    ["evaluate", "--model", "resnet20", "--weights", "reference", "--data", "imagefolder:PATH", "--split", "test",
     "--limit", "50", "--json"],
    ["classify", "cat.jpg", "--model", "resnet20", "--weights", "W", "--top", "3", "--json"],
    ["explain", "cat.jpg", "--model", "M", "--weights", "W", "--method", "occlusion", "--out", "overlay.png",
     "--npy", "map.npy", "--target", "cat", "--layer", "layer3.2"],
    ["blocks", "cat.jpg", "--model", "resnet20", "--weights", "W", "--json"],
    ["gradflow", "--models", "plain56,resnet56", "--norm", "none", "--init", "zero-residual", "--batch", "64",
     "--seed", "0", "--data", "imagefolder:PATH", "--json"],
    ["gradflow", "--sweep", "20,32,44,56,110", "--seeds", "3", "--batch", "32", "--json", "--out", "F"],
    ["train", "--model", "resnet20", "--data", "imagefolder:PATH", "--preset", "paper", "--epochs", "7", "--out",
     "runs/NAME", "--resume"],
    ["train", "--model", "resnet18", "--pretrained", "--mode", "probe", "--data", "zip:pets.zip", "--size", "112",
     "--out", "runs/NAME"],
    ["train", "--model", "plain18", "--mode", "scratch", "--data", "zip:pets.zip", "--size", "112", "--out",
     "runs/NAME"],
    ["runs", "--json", "--local", "--delete", "NAME"],
    ["runs", "--export", "RUN", "--to", "assets/runs", "--responses-data", "DATA"],
    ["lesion", "--model", "resnet56", "--weights", "W", "--data", "D", "--limit", "1000", "--random-draws", "3",
     "--swaps", "1,2,4", "--json", "--out", "F"],
    ["shattered", "--depths", "20,56,110", "--seeds", "3", "--n", "256", "--line", "noise", "--json", "--out", "F"],
    ["shattered", "--models", "plain20,resnet20", "--weights", "shipped"],
    ["landscape", "--model", "resnet56", "--weights", "W", "--data", "D", "--dims", "2", "--steps", "21", "--span",
     "1", "--images", "128", "--json", "--out", "F"],
    ["jobs", "--json", "--cancel", "ID"],
]

FUNCTIONS = {"models": models.cmd_models, "info": models.cmd_info, "evaluate": images.cmd_evaluate,
             "classify": images.cmd_classify, "explain": images.cmd_explain, "blocks": images.cmd_blocks,
             "gradflow": experiments.cmd_gradflow, "lesion": experiments.cmd_lesion,
             "shattered": experiments.cmd_shattered, "landscape": experiments.cmd_landscape,
             "train": training.cmd_train, "runs": training.cmd_runs, "jobs": training.cmd_jobs}


def parse(*argv: str):
    return build_parser().parse_args(list(argv))


def usage_error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as e:
        parse(*argv)
    assert e.value.code == 2
    return capsys.readouterr().err


def test_readme_documents_every_command_and_only_those():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^(?:python|torchrun .*?) -m resnet_viz (\w+)", section, flags=re.M))
    assert documented == COMMANDS
    assert {argv[0] for argv in README_LINES} == COMMANDS
    help_text = build_parser().format_help()
    assert set(re.findall(r"^    (\w+)", help_text, flags=re.M)) == COMMANDS, help_text


@pytest.mark.parametrize("argv", README_LINES, ids=lambda a: " ".join(a[:3]))
def test_readme_command_lines_parse(argv):
    args = parse(*argv)
    assert args.command == argv[0] and args.fn is FUNCTIONS[argv[0]]


def test_documented_values_arrive_typed():
    args = parse(*README_LINES[3])
    assert (args.image, args.model, args.weights, args.top, args.json) == ("cat.jpg", "resnet20", "W", 3, True)
    args = parse(*README_LINES[16])
    assert (args.dims, args.steps, args.span, args.images) == (2, 21, 1.0, 128)
    assert isinstance(args.span, float)
    args = parse(*README_LINES[9])
    assert args.pretrained and args.mode == "probe" and args.size == 112


def test_classify_and_model_defaults():
    args = parse("classify", "cat.jpg", "--model", "resnet20")
    assert (args.top, args.weights, args.device, args.json) == (5, None, "auto", False)
    args = parse("evaluate", "--model", "resnet20", "--data", "shapes")
    assert (args.split, args.limit, args.batch_size, args.workers) == ("test", 0, 256, 0)
    args = parse("info", "resnet50")
    assert args.size is None
    assert parse("models").family is None


def test_experiment_defaults():
    args = parse("lesion", "--model", "resnet56")
    assert (args.limit, args.data, args.split, args.random_draws, args.swaps, args.seed, args.batch_size) == \
        (1000, "cifar10", "test", 0, "", 0, 250)
    assert (args.out, args.progress_file, args.quiet) == (None, None, False)
    args = parse("shattered")
    assert (args.depths, args.seeds, args.n, args.line, args.norm) == ("20,56,110", 3, 256, "photos", "bn")
    assert args.photos == "cat (chelsea),coffee cup" and args.models is None
    args = parse("landscape", "--model", "resnet56")
    assert (args.split, args.dims, args.steps, args.span, args.images, args.batch_size) == \
        ("train", 2, 21, 1.0, 128, 256)
    args = parse("gradflow")
    assert (args.models, args.norm, args.init, args.batch, args.seed, args.data, args.seeds, args.sweep) == \
        ("plain56,resnet56", "bn", "kaiming", 64, 0, "noise", 3, None)


def test_training_defaults():
    args = parse("train", "--model", "resnet20", "--out", "runs/x")
    assert (args.data, args.preset, args.epochs, args.mode, args.size, args.batch_size) == \
        ("shapes", "fast", None, None, 0, 128)
    assert (args.shortcut, args.norm, args.init, args.seed, args.resume, args.pretrained) == \
        ("A", "bn", "kaiming", 0, False, False)
    args = parse("runs")
    assert (args.to, args.fp32, args.responses_images, args.export, args.delete) == \
        ("assets/runs", False, 1000, None, None)


@pytest.mark.parametrize("argv, bad", [
    (["models", "--family", "vision"], "'vision'"),
    (["explain", "x.png", "--model", "resnet20", "--out", "o.png", "--method", "lime"], "'lime'"),
    (["landscape", "--model", "resnet20", "--dims", "3"], "3"),
    (["train", "--model", "resnet20", "--out", "r", "--mode", "distill"], "'distill'"),
    (["gradflow", "--init", "orthogonal"], "'orthogonal'"),
    (["lesion", "--model", "resnet20", "--split", "val"], "'val'"),
    (["shattered", "--line", "circle"], "'circle'"),
])
def test_unknown_choice_is_rejected(capsys, argv, bad):
    err = usage_error(capsys, *argv)
    assert "invalid choice" in err and bad in err


def test_unknown_command_and_missing_required_options(capsys):
    assert "invalid choice: 'predict'" in usage_error(capsys, "predict")
    assert "required" in usage_error(capsys)
    assert "--out" in usage_error(capsys, "train", "--model", "resnet20")
    assert "--data" in usage_error(capsys, "evaluate", "--model", "resnet20")
    assert "--model" in usage_error(capsys, "classify", "cat.jpg")
    assert "--out" in usage_error(capsys, "explain", "cat.jpg", "--model", "resnet20")


def test_typed_options_reject_words(capsys):
    assert "invalid int value: 'five'" in usage_error(capsys, "classify", "c.jpg", "--model", "m", "--top", "five")
    assert "invalid float value" in usage_error(capsys, "landscape", "--model", "m", "--span", "wide")
