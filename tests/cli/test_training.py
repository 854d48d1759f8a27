"""The ``train`` command: runs, ``runs --json``, and the transfer-learning flags."""

from __future__ import annotations

import json
from pathlib import Path

from resnet_viz.data.shapes import ShapesDataset
from tests.conftest import run_cli


def test_cli_train_and_runs_json(tmp_path):
    env = {"RESNET_VIZ_RUNS": str(tmp_path)}
    r = run_cli("train", "--model", "plain20", "--data", "shapes", "--epochs", "1", "--limit-train", "256",
                "--limit-test", "50", "--batch-size", "64", "--out", "demo", "--quiet", env=env)
    assert r.returncode == 0, r.stderr
    assert "demo: finished" in r.stdout
    r = run_cli("runs", "--json", "--local", env=env)
    rows = json.loads(r.stdout)
    assert len(rows) == 1
    row = rows[0]
    assert {"name", "model", "data", "epochs", "final", "checkpoint"} <= set(row)
    assert row["name"] == "demo" and row["model"] == "plain20" and row["epochs"] == 1
    assert 0 <= row["final"]["train_error"] <= 1 and 0 <= row["final"]["test_error"] <= 1
    assert row["checkpoint"].endswith("model.safetensors")
    r = run_cli("train", "--model", "vgg19_bn", "--out", "x", env=env)
    assert r.returncode == 2 and "trains ResNets and their plain twins" in r.stderr
    r = run_cli("runs", "--delete", "demo", env=env)
    assert r.returncode == 0 and not (tmp_path / "demo").exists()


CLASSES = {"circle": 0, "square": 1, "cross": 3}  # ShapesDataset labels


def user_folder(root: Path, per_class: int = 20) -> Path:
    """``root/<class>/*.png``: shapes images of three classes, no train/test split (one is held out)."""
    ds = ShapesDataset(5 * per_class, size=32, seed=3)
    for i in range(len(ds)):
        img, label, _ = ds.sample(i)
        name = next((c for c, k in CLASSES.items() if k == label), None)
        if name:
            (root / name).mkdir(parents=True, exist_ok=True)
            img.save(root / name / f"{i:03d}.png")
    return root


def test_cli_pretrained_flags(tmp_path, imagenet_resnet18):
    data = f"imagefolder:{user_folder(tmp_path / 'pets', per_class=10)}"
    env = {"TORCH_HOME": str(tmp_path / "torch")}
    r = run_cli("train", "--model", "resnet18", "--pretrained", "--mode", "scratch", "--data", data,
                "--out", str(tmp_path / "x"), env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--pretrained starts from ImageNet" in r.stderr
    r = run_cli("train", "--model", "resnet18", "--pretrained", "--mode", "probe", "--data", data, "--size", "32",
                "--epochs", "1", "--batch-size", "8", "--out", str(tmp_path / "cli"), "--quiet", env=env)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "cli" / "config.json").read_text())
    assert cfg["mode"] == "probe" and cfg["image_size"] == 32
    r = run_cli("train", "--model", "resnet18", "--pretrained", "--data", data, "--out", str(tmp_path / "y"),
                env={"TORCH_HOME": str(tmp_path / "empty")})
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "are not cached and there is no network" in r.stderr
