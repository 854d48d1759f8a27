"""``resnet_viz.cli.common``: plain-text tables, the class check, the reproducing command line, the progress file
and the one-line ``error:`` every :class:`CliError` becomes (exit code 2)."""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

import pytest

from resnet_viz.cli import common
from resnet_viz.cli.common import EXIT_ERROR, CliError, Progress, check_classes, command_line, print_table
from tests.conftest import run_cli_here

CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def test_print_table_pads_every_column_to_its_widest_cell(capsys):
    print_table([{"name": "resnet20", "n": 7, "extra": "hidden"}, {"name": "a", "n": 123456, "extra": "x"}],
                ["name", "n"])
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["name      n     ", "resnet20  7     ", "a         123456"]
    # the second column starts at the same offset on every line, and unlisted keys are not shown
    assert [line[10:].rstrip() for line in lines] == ["n", "7", "123456"]
    assert all("hidden" not in line for line in lines)


def test_print_table_header_wider_than_cells(capsys):
    print_table([{"description": "ab"}], ["description"])
    assert capsys.readouterr().out.splitlines() == ["description", "ab         "]


def _loaded(categories: list[str]) -> SimpleNamespace:
    return SimpleNamespace(meta=SimpleNamespace(categories=categories, num_classes=len(categories)))


def test_check_classes_returns_the_matching_classes():
    assert check_classes(SimpleNamespace(classes=list(CIFAR)), _loaded(CIFAR), "resnet20") == CIFAR


def test_check_classes_wrong_count_is_one_line_error():
    with pytest.raises(CliError) as e:
        check_classes(SimpleNamespace(classes=["circle", "square", "star"]), _loaded(CIFAR), "resnet20")
    assert str(e.value) == "the data set has 3 classes but resnet20 predicts 10"
    assert "\n" not in str(e.value)


def test_check_classes_same_count_other_names_is_one_line_error():
    with pytest.raises(CliError) as e:
        check_classes(SimpleNamespace(classes=[f"c{i}" for i in range(10)]), _loaded(CIFAR), "plain20")
    msg = str(e.value)
    assert "\n" not in msg and "['c0', 'c1', 'c2']" in msg and "['airplane', 'automobile', 'bird']" in msg


def test_check_classes_without_names_checks_nothing():
    # a data set without class names, or a model without categories (e.g. random ImageNet-free weights)
    assert check_classes(SimpleNamespace(), _loaded(CIFAR), "resnet20") == []
    assert check_classes(SimpleNamespace(classes=None), _loaded(CIFAR), "resnet20") == []
    no_cats = SimpleNamespace(meta=SimpleNamespace(categories=[], num_classes=10))
    assert check_classes(SimpleNamespace(classes=["a", "b"]), no_cats, "resnet20") == ["a", "b"]


def test_command_line_drops_output_and_display_options():
    argv = ["lesion", "--model", "resnet56", "--out", "res.json", "--progress-file=p.json", "--json", "--quiet",
            "--limit", "100", "--out=x.json", "--progress-file", "q.json"]
    assert command_line(argv) == "python -m resnet_viz lesion --model resnet56 --limit 100"


def test_command_line_quotes_arguments_for_the_shell():
    assert command_line(["classify", "my cat.jpg", "--model", "resnet20"]) == \
        "python -m resnet_viz classify 'my cat.jpg' --model resnet20"
    assert command_line([]) == "python -m resnet_viz "


def test_cli_error_is_one_error_line_with_exit_2(monkeypatch):
    def fails(args: argparse.Namespace) -> int:
        raise CliError("the thing is wrong")

    monkeypatch.setattr("resnet_viz.cli.parser.cmd_models", fails)
    r = run_cli_here("models")
    assert EXIT_ERROR == 2
    assert (r.returncode, r.stdout, r.stderr) == (2, "", "error: the thing is wrong\n")


def test_check_classes_error_reaches_the_command_line(tmp_path):
    # shapes has 5 classes, resnet20 predicts CIFAR-10's: the command stops before the probe runs
    r = run_cli_here("lesion", "--model", "resnet20", "--weights", "random", "--data", "shapes", "--device", "cpu",
                     "--quiet", "--out", str(tmp_path / "out.json"))
    assert r.returncode == 2 and r.stderr == "error: the data set has 5 classes but resnet20 predicts 10\n"
    assert not (tmp_path / "out.json").exists()


def test_load_model_from_args_uses_model_weights_and_device():
    lm = common.load_model_from_args(argparse.Namespace(model="plain20", weights="random", device="cpu"))
    assert lm.info.name == "plain20" and lm.info.skip is False
    assert next(lm.model.parameters()).device.type == "cpu"


def test_progress_file_goes_from_running_to_finished(tmp_path):
    status = tmp_path / "status.json"
    p = Progress(argparse.Namespace(progress_file=str(status), quiet=True), "lesion", "pass")
    first = json.loads(status.read_text())
    assert first["state"] == "running" and (first["done"], first["total"]) == (0, 1)
    p(3, 3)  # the last step is always written, however soon after the previous one
    assert json.loads(status.read_text())["message"] == "100 %"
    p.close("finished in 2 s")
    last = json.loads(status.read_text())
    assert (last["state"], last["done"], last["total"], last["message"]) == ("finished", 1, 1, "finished in 2 s")


def test_progress_without_file_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Progress(argparse.Namespace(quiet=True), "x", "it")
    p(1, 2)
    p.close("done")
    assert list(tmp_path.iterdir()) == []
