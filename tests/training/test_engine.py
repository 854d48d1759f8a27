"""The training engine: short runs on ``shapes`` (CPU, seconds each), resume, divergence, stop."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from resnet_viz.models.weights import load_model
from resnet_viz.runs.store import Run
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.engine import Diverged, train
from tests.conftest import ROOT, run_cli

SMALL = dict(data="shapes", limit_train=512, limit_test=100, batch_size=64, grad_every=2)


def test_loss_falls_and_the_run_store_is_complete(tmp_path):
    run = train(TrainConfig(model="resnet20", epochs=3, **SMALL), tmp_path / "r")
    epochs = run.metrics("epoch")
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert run.status["state"] == "finished"
    assert {"config.json", "status.json", "metrics.jsonl", "provenance.json", "model.safetensors", "model.json",
            "resume.pt"} <= {p.name for p in run.path.iterdir()}
    grads = run.metrics("grads")
    names = run.metrics("layers")[0]["names"]
    assert grads and len(grads[0]["norms"]) == len(names) == 20
    lm = load_model("resnet20", run.checkpoint)
    assert lm.meta.categories == ["circle", "square", "triangle", "cross", "ring"] and lm.meta.num_classes == 5
    assert lm.meta.metrics["epoch"] == 3


def test_deterministic_and_resume_after_a_stop_gives_the_same_state(tmp_path):
    full = train(TrainConfig(model="plain20", epochs=2, **SMALL), tmp_path / "full")

    def stop_in_epoch_2(p):
        if p["epoch"] == 1:
            (tmp_path / "part" / "STOP").touch()

    part = train(TrainConfig(model="plain20", epochs=2, **SMALL), tmp_path / "part", progress=stop_in_epoch_2)
    assert part.status["state"] == "stopped" and len(part.metrics("epoch")) == 1
    resumed = train(TrainConfig(model="plain20"), tmp_path / "part", resume=True)
    assert resumed.status["rank_checksums"] == full.status["rank_checksums"]
    assert [e["train_loss"] for e in resumed.metrics("epoch")] == [e["train_loss"] for e in full.metrics("epoch")]
    assert "resumed" in resumed.provenance
    with pytest.raises(FileExistsError, match="--resume"):
        train(TrainConfig(model="plain20", epochs=2, **SMALL), tmp_path / "full")


@pytest.mark.slow
def test_resume_after_kill_9(tmp_path):
    """A process killed mid-epoch resumes from its last checkpoint to the uninterrupted result."""
    import signal
    import time

    args = ["train", "--model", "resnet20", "--data", "shapes", "--epochs", "3", "--limit-train", "512",
            "--limit-test", "50", "--batch-size", "64", "--quiet"]
    ref = run_cli(*args, "--out", str(tmp_path / "ref"))
    assert ref.returncode == 0, ref.stderr
    proc = subprocess.Popen([sys.executable, "-m", "resnet_viz", *args, "--out", str(tmp_path / "k")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (tmp_path / "k" / "resume.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = Run(tmp_path / "k")
    assert killed.status["state"] == "running" and not killed.running  # died without a word
    assert load_model("resnet20", killed.checkpoint).meta.metrics["epoch"] >= 1  # the checkpoint loads
    r = run_cli("train", "--model", "resnet20", "--out", str(tmp_path / "k"), "--resume", "--quiet")
    assert r.returncode == 0, r.stderr
    assert Run(tmp_path / "k").status["rank_checksums"] == Run(tmp_path / "ref").status["rank_checksums"]


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    steps_per_epoch = SMALL["limit_train"] // SMALL["batch_size"]
    cfg = TrainConfig(model="resnet20", epochs=3, extra={"inject_nan_at_step": steps_per_epoch + 3}, **SMALL)
    with pytest.raises(Diverged, match="diverged"):
        train(cfg, tmp_path / "r")
    run = Run(tmp_path / "r")
    assert run.status["state"] == "diverged" and "lower the learning rate" in run.status["message"]
    assert len(run.metrics("epoch")) == 1
    lm = load_model("resnet20", run.checkpoint)  # the last good checkpoint (epoch 1) still loads
    assert lm.meta.metrics["epoch"] == 1
    assert all(torch.isfinite(p).all() for p in lm.model.parameters())


def test_stop_request_stops_cleanly(tmp_path):
    run_dir = tmp_path / "s"
    run_dir.mkdir()

    def stop_after_first(p):
        if p["batch"] >= 2:
            (run_dir / "STOP").touch()

    run = train(TrainConfig(model="resnet20", epochs=5, **SMALL), run_dir, progress=stop_after_first)
    assert run.status["state"] == "stopped" and len(run.metrics("epoch")) == 1  # stopped early in epoch 2
    assert load_model("resnet20", run.checkpoint).meta.metrics["epoch"] == 1


def test_resume_drops_records_logged_after_the_checkpoint(tmp_path):
    def stop_late(p):
        if p["epoch"] == 1 and p["batch"] >= 4:
            (tmp_path / "r" / "STOP").touch()

    run = train(TrainConfig(model="plain20", epochs=2, **SMALL), tmp_path / "r", progress=stop_late)
    assert max(r["step"] for r in run.metrics("grads")) > 8  # logged beyond the epoch-1 checkpoint (step 8)
    resumed = train(TrainConfig(model="plain20"), tmp_path / "r", resume=True)
    steps = [r["step"] for r in resumed.metrics("grads")]
    assert steps == sorted(set(steps))  # no step logged twice
    assert [e["epoch"] for e in resumed.metrics("epoch")] == [1, 2]
