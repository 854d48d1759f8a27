"""``resnet_viz.cli.models``: ``models`` (every registered model, as a table or ``--json``) and ``info`` (size and
cost of one model), run in-process through :func:`run_cli_here`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli_here


@pytest.fixture(scope="module")
def all_models() -> dict[str, dict]:
    r = run_cli_here("models", "--json")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    rows = json.loads(r.stdout)
    assert isinstance(rows, list)
    return {row["name"]: row for row in rows}


def test_models_json_shape(all_models):
    keys = {"name", "family", "depth", "skip", "params", "input_size", "twin", "description"}
    for row in all_models.values():
        assert set(row) == keys
        assert isinstance(row["skip"], bool) and isinstance(row["params"], int) and row["params"] > 0
        assert row["family"] in {"cifar", "imagenet", "zoo"}
    assert all_models["resnet56"]["params"] == 853_018 == all_models["plain56"]["params"]
    assert all_models["resnet56"]["skip"] is True and all_models["plain56"]["skip"] is False
    assert all_models["resnet56"]["depth"] == 56 and all_models["resnet56"]["input_size"] == 32
    assert all_models["resnet56"]["twin"] == "plain56"


def test_models_family_filter(all_models):
    r = run_cli_here("models", "--family", "cifar", "--json")
    rows = json.loads(r.stdout)
    assert rows and {row["family"] for row in rows} == {"cifar"}
    assert rows == [row for row in all_models.values() if row["family"] == "cifar"]  # same rows, same order


def test_models_table_has_thousands_separators_and_aligned_columns(all_models):
    r = run_cli_here("models", "--family", "cifar")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[0].split() == ["name", "family", "depth", "skip", "params", "description"]
    assert len(lines) == 1 + sum(row["family"] == "cifar" for row in all_models.values())
    start = lines[0].index("params")
    row56 = next(line for line in lines if line.startswith("resnet56 "))
    assert row56[start:].startswith("853,018 ")
    assert "input_size" not in r.stdout  # the table leaves out what --json adds


def test_info_resnet50_json():
    r = run_cli_here("info", "resnet50", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["flops"] == pytest.approx(8.18e9, rel=2e-3)
    assert info["gflops"] == round(info["flops"] / 1e9, 4) and info["gmacs"] == round(info["flops"] / 2e9, 4)
    assert (info["params"], info["input_size"], info["family"], info["skip"]) == (25_557_032, 224, "imagenet", True)
    assert info["weight_layers"] == info["conv_layers"] + info["linear_layers"] == 54
    assert info["linear_layers"] == 1


def test_info_size_changes_flops_not_params():
    small = json.loads(run_cli_here("info", "resnet20", "--json").stdout)
    big = json.loads(run_cli_here("info", "resnet20", "--size", "64", "--json").stdout)
    assert (small["input_size"], big["input_size"]) == (32, 64)
    assert big["params"] == small["params"] == 269_722
    assert big["flops"] / small["flops"] == pytest.approx(4, rel=0.01)  # convolutions scale with the pixel count


def test_info_text():
    r = run_cli_here("info", "plain20")
    assert r.returncode == 0
    assert "skip connections: no" in r.stdout and "twin          resnet20" in r.stdout
    assert "parameters    269,722" in r.stdout and "GFLOP per 32x32 image" in r.stdout


def test_info_unknown_model_is_one_line_error():
    r = run_cli_here("info", "resnet21")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: ") and "resnet21" in r.stderr
