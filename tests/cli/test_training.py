"""The ``train`` command: runs, ``runs --json``, and the transfer-learning flags."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.helpers import shapes_folder


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


def test_cli_pretrained_flags(tmp_path, imagenet_resnet18):
    data = f"imagefolder:{shapes_folder(tmp_path / 'pets', per_class=10)}"
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


def test_cli_jobs_lists_the_queue_and_cancels_as_the_teacher(tmp_path, monkeypatch):
    import os

    from resnet_viz.training import queue
    from tests.conftest import run_cli_here

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    t = queue.enqueue("s-abc", "train", "ResNet-20 and Plain-20 on own images", runs=[str(tmp_path / "r")])
    queue.attach(t.id, os.getpid())
    out = run_cli_here("jobs", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["slots"] == 1 and [(j["id"], j["place"], j["owner"]) for j in got["jobs"]] == [(t.id, 1, "s-abc")]
    assert "1 waiting" in run_cli_here("jobs").stdout
    assert run_cli_here("jobs", "--cancel", t.id).returncode == 0
    assert (tmp_path / "r" / "STOP").exists()
    bad = run_cli_here("jobs", "--cancel", "nope")
    assert bad.returncode != 0 and bad.stderr.strip().splitlines() == [
        "error: nope: no such job in the queue (it may have ended already)"]
