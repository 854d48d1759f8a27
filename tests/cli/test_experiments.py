"""``resnet_viz.cli.experiments``: the ``gradflow``, ``lesion``, ``shattered`` and ``landscape`` commands on tiny
inputs (a batch of 4, a handful of images), and the one-line errors of their bad options."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import run_cli_here
from tests.helpers import write_folder

CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
LAYER_KEYS = {"name", "index", "kind", "params", "grad_norm", "weight_norm", "act_rms", "ratio_to_last"}


def one_line_error(r, *fragments: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and r.stdout == "", r.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def twin_flow() -> dict:
    r = run_cli_here("gradflow", "--models", "plain20,resnet20", "--batch", "4", "--json", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_gradflow_json_shape(twin_flow):
    assert set(twin_flow) == {"plain20", "resnet20"}
    for name, flow in twin_flow.items():
        assert flow["model"] == name and flow["finite"] is True
        assert flow["settings"] == {"source": "noise", "batch": 4, "seed": 0, "norm": "bn", "init": "kaiming"}
        assert flow["first_last_ratio"] > 0 and math.isfinite(flow["first_last_ratio"]) and flow["loss"] > 0
        layers = flow["layers"]
        assert all(set(r) == LAYER_KEYS for r in layers)
        assert [r["index"] for r in layers] == list(range(len(layers)))  # forward order
        assert [r["kind"] for r in layers].count("linear") == 1 and layers[-1]["kind"] == "linear"
        last_conv = [r for r in layers if r["kind"] == "conv"][-1]
        assert last_conv["ratio_to_last"] == pytest.approx(1)
        assert flow["first_last_ratio"] == pytest.approx(layers[0]["grad_norm"] / last_conv["grad_norm"])
        assert flow["blocks"] and all(b["grad_norm"] > 0 for b in flow["blocks"])
    # twins: the same 19 conv + 1 linear layers, parameter for parameter
    assert [(r["name"], r["params"]) for r in twin_flow["plain20"]["layers"]] == \
        [(r["name"], r["params"]) for r in twin_flow["resnet20"]["layers"]]


def test_gradflow_table():
    r = run_cli_here("gradflow", "--models", "resnet20", "--batch", "4", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("resnet20: loss ") and "first/last conv gradient ratio" in r.stdout
    assert r.stdout.splitlines()[1].split() == ["index", "layer", "kind", "grad_norm", "ratio_to_last", "act_rms"]


@pytest.mark.parametrize("argv, fragment", [
    (["--sweep", "20,x"], "--sweep takes CIFAR depths separated by commas"),
    (["--sweep", "20;56"], "'20;56'"),
    (["--models", " , "], "--models needs at least one model name"),
    (["--models", "resnet20,resnet18"], "must share input size and classes"),
    (["--models", "resnet18", "--norm", "none"], "only for the CIFAR family"),
    (["--models", "resnet21"], "resnet21"),
])
def test_gradflow_bad_options_are_one_line_errors(argv, fragment):
    one_line_error(run_cli_here("gradflow", *argv), fragment)


@pytest.mark.parametrize("argv, fragment", [
    (["--photos", "cat (chelsea)"], "--photos needs two of cat (chelsea), coffee cup"),
    (["--photos", "cat (chelsea),dog"], "'cat (chelsea),dog'"),
    (["--n", "3"], "--n must be at least 4"),
    (["--seeds", "0"], "--seeds at least 1"),
    (["--models", "plain20,resnet20", "--weights", "a.pt"], "give one --weights per model"),
])
def test_shattered_bad_options_are_one_line_errors(argv, fragment):
    one_line_error(run_cli_here("shattered", *argv), fragment)


def test_shattered_tiny_depth_study(tmp_path):
    out = tmp_path / "shattered.json"
    r = run_cli_here("shattered", "--depths", "20", "--seeds", "1", "--n", "8", "--line", "noise", "--json",
                     "--out", str(out))
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert json.loads(out.read_text()) == res
    assert {row["model"] for row in res["rows"]} == {"plain20", "resnet20"}
    assert all(-1 <= row["lag1"] <= 1 for row in res["rows"]) and res["text"]
    assert res["provenance"]["command"] == "python -m resnet_viz shattered --depths 20 --seeds 1 --n 8 --line noise"


@pytest.mark.parametrize("argv, fragment", [
    (["--images", "0"], "--images must be at least 1 (got 0)"),
    (["--steps", "1"], "--steps must be at least 2 (got 1)"),
    (["--span", "0"], "--span must be positive"),
])
def test_landscape_bad_options_are_one_line_errors(argv, fragment):
    one_line_error(run_cli_here("landscape", "--model", "resnet20", "--weights", "random", *argv), fragment)


@pytest.fixture
def cifar_like(tmp_path) -> str:
    """An image folder with CIFAR-10's ten classes, two images each (resnet20's classes, alphabetical)."""
    write_folder(tmp_path / "tiny", {c: 2 for c in CIFAR})
    return f"imagefolder:{tmp_path / 'tiny'}"


def test_lesion_tiny_json(cifar_like, tmp_path):
    out, status = tmp_path / "lesion.json", tmp_path / "status.json"
    r = run_cli_here("lesion", "--model", "resnet20", "--weights", "random", "--data", cifar_like, "--split", "train",
                     "--limit", "10", "--device", "cpu", "--quiet", "--json", "--out", str(out),
                     "--progress-file", str(status))
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert json.loads(out.read_text()) == res
    assert 0 <= res["intact_error"] <= 1 and len(res["blocks"]) == 9
    assert all(set(b) == {"name", "downsampling", "error", "index", "stage"} for b in res["blocks"])
    assert [b["downsampling"] for b in res["blocks"]].count(True) == 2
    assert all(0 <= b["error"] <= 1 for b in res["blocks"])  # every residual block can be removed
    assert json.loads(status.read_text())["state"] == "finished"
    assert "--out" not in res["extra"]["command"] and res["extra"]["limit"] == 10


def test_lesion_bad_swaps_is_one_line_error(cifar_like):
    one_line_error(run_cli_here("lesion", "--model", "resnet20", "--weights", "random", "--data", cifar_like,
                                "--split", "train", "--limit", "0", "--swaps", "1,a", "--device", "cpu"),
                   "--swaps takes whole numbers")
