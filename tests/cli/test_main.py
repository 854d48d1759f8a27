"""``python -m resnet_viz``: JSON shapes other tools rely on, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli, run_cli_here


def test_models_json_shape():
    r = run_cli("models", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        assert {"name", "family", "depth", "skip", "params"} <= set(row)
        assert isinstance(row["skip"], bool) and isinstance(row["params"], int) and isinstance(row["depth"], int)
    assert by_name["resnet56"]["params"] == by_name["plain56"]["params"] == 853_018
    assert by_name["plain56"]["skip"] is False and by_name["resnet56"]["skip"] is True
    assert by_name["resnet152"]["params"] == 60_192_808
    assert by_name["vit_b_16"]["family"] == "zoo"


def test_models_table_and_info():
    r = run_cli("models", "--family", "cifar")
    assert r.returncode == 0 and "resnet1202" in r.stdout and "19,421,274" in r.stdout and "resnet50" not in r.stdout
    r = run_cli_here("info", "resnet50", "--json")
    info = json.loads(r.stdout)
    assert info["params"] == 25_557_032 and info["gflops"] == pytest.approx(8.18, abs=0.005)
    assert info["gmacs"] == pytest.approx(4.09, abs=0.005) and info["weight_layers"] == 54
    r = run_cli_here("info", "resnet20")
    assert r.returncode == 0 and "0.081 GFLOP" in r.stdout and "2 FLOPs per multiply-add" in r.stdout


def test_classify_json_is_sorted_label_prob_list(reference_dir, tmp_path):
    from skimage.data import chelsea

    Image.fromarray(chelsea()).save(tmp_path / "cat.jpg")
    r = run_cli("classify", str(tmp_path / "cat.jpg"), "--model", "resnet20", "--weights", "reference",
                "--top", "5", "--json", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    top = json.loads(r.stdout)
    assert len(top) == 5 and all(set(t) == {"label", "prob"} for t in top)
    probs = [t["prob"] for t in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    assert top[0]["label"] == "cat"


def _one_line_error(r, *fragments: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def test_errors_are_one_line_exit_2(tmp_path):
    """The first case runs as a real process (exit status, nothing else on stderr); the rest call the same
    ``main`` in this process, which is what the process runs."""
    _one_line_error(run_cli("info", "resnet21"), "unknown model 'resnet21'")
    (tmp_path / "not-an-image.jpg").write_text("hello")
    _one_line_error(run_cli_here("classify", str(tmp_path / "not-an-image.jpg"), "--model", "resnet20",
                                 "--weights", "random"), "not a readable image")
    _one_line_error(run_cli_here("classify", str(tmp_path / "missing.png"), "--model", "resnet20",
                                 "--weights", "random"))
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "black.png")
    _one_line_error(run_cli_here("classify", str(tmp_path / "black.png"), "--model", "resnet50"),
                    "resnet50-11ad3fa6.pth", "no network")
    _one_line_error(run_cli_here("classify", str(tmp_path / "black.png"), "--model", "resnet20",
                                 "--weights", str(tmp_path / "black.png")), "not a readable PyTorch checkpoint")
    _one_line_error(run_cli_here("evaluate", "--model", "resnet20", "--weights", "random", "--data", "mnist"),
                    "Unknown data set spec")
    _one_line_error(run_cli_here("evaluate", "--model", "resnet20", "--weights", "random", "--data", "cifar10"),
                    "CIFAR-10 is not available", "imagefolder:PATH")
    _one_line_error(run_cli_here("classify", str(tmp_path / "black.png"), "--model", "resnet20",
                                 "--weights", "random", "--device", "cuda") if not _has_cuda()
                    else run_cli_here("info", "nope"))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_classify_random_weights_constant_image_is_finite(tmp_path):
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(tmp_path / "black.png")
    r = run_cli("classify", str(tmp_path / "black.png"), "--model", "plain20", "--weights", "random", "--json")
    assert r.returncode == 0, r.stderr
    assert all(np.isfinite(t["prob"]) for t in json.loads(r.stdout))


def test_evaluate_on_shapes_subset_json():
    r = run_cli("evaluate", "--model", "resnet20", "--weights", "random", "--data", "shapes", "--limit", "50",
                "--json", "--quiet")
    # 5 shape classes vs a 10-class CIFAR model: refused with a clear message, not a wrong number
    _one_line_error(r, "5 classes", "10")


def test_shipped_resnet20_says_cat_for_chelsea(tmp_path):
    """Without --weights a CIFAR model uses the checkpoint shipped in assets/runs."""
    from skimage.data import chelsea

    from resnet_viz.models.weights import shipped_path

    if shipped_path("resnet20") is None:
        pytest.skip("assets/runs holds no shipped runs yet (bash scripts/train_shipped_runs.sh makes them)")
    Image.fromarray(chelsea()).save(tmp_path / "cat.png")
    r = run_cli("classify", str(tmp_path / "cat.png"), "--model", "resnet20", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["label"] == "cat"


def test_cli_gradflow_sweep_matches_the_library(tmp_path):
    import json

    from resnet_viz.probes.gradients import depth_sweep

    out = tmp_path / "sweep.json"
    r = run_cli("gradflow", "--sweep", "20,32", "--seeds", "2", "--batch", "8", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())
    assert got["key"] == {"depths": [20, 32], "seeds": 2, "batch": 8, "source": "noise", "norm": "bn",
                          "init": "kaiming"}
    assert got["provenance"]["command"] == "python -m resnet_viz gradflow --sweep 20,32 --seeds 2 --batch 8"
    ref = depth_sweep([20, 32], seeds=2, batch=8)
    assert [row["ratio"] for row in got["rows"]] == pytest.approx([row["ratio"] for row in ref], rel=1e-5)
    bad = run_cli("gradflow", "--sweep", "20,x")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: --sweep takes CIFAR depths")


def test_shipped_default_sweep_is_what_the_command_computes():
    """assets/why/gradflow-sweep.json must equal a fresh computation with its own settings (skipped when it was
    made with another torch version)."""
    import json

    import torch

    from resnet_viz.env import assets_dir
    from resnet_viz.probes.gradients import DEFAULT_SWEEP, depth_sweep
    from resnet_viz.probes.gradients import shipped_sweep as _shipped_sweep

    path = assets_dir() / "why" / "gradflow-sweep.json"
    shipped = json.loads(path.read_text())
    if shipped["provenance"]["torch"].split("+")[0] != torch.__version__.split("+")[0]:
        pytest.skip("the shipped sweep was made with another torch version")
    key = tuple(DEFAULT_SWEEP[k] if k != "depths" else tuple(DEFAULT_SWEEP[k]) for k in
                ("depths", "seeds", "batch", "source", "norm", "init"))
    assert _shipped_sweep(key) == shipped["rows"]
    fresh = depth_sweep([20, 56], seeds=3, batch=32)
    by = {r["model"]: r["ratio"] for r in shipped["rows"]}
    assert [r["ratio"] for r in fresh] == pytest.approx([by[r["model"]] for r in fresh], rel=1e-3)
