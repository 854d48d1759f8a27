"""Training engine and run store: short runs on ``shapes`` (CPU, a few seconds each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from resnet_viz.models.weights import load_model
from resnet_viz.runs.store import Run, delete_run, get_run, list_runs
from resnet_viz.training.engine import Diverged, TrainConfig, augment, train

from .conftest import ROOT, run_cli

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


def test_augment_is_a_per_image_crop_and_flip():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.uint8).reshape(2, 3, 8, 8)
    g = torch.Generator().manual_seed(0)
    out = augment(x, g, pad=2)
    assert out.shape == x.shape and out.dtype == torch.uint8
    # every output is a shifted (possibly flipped) window of its own zero-padded input
    for i in range(2):
        xp = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
        found = any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(-1))
                    for dy in range(5) for dx in range(5) for w in [xp[:, dy:dy + 8, dx:dx + 8]])
        assert found


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


def test_run_store_listing_and_deleting(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    train(TrainConfig(model="resnet20", epochs=1, **SMALL), tmp_path / "a")
    assert [r.name for r in list_runs(include_shipped=False)] == ["a"]
    assert get_run("a").summary()["state"] == "finished"
    delete_run("a")
    assert list_runs(include_shipped=False) == []
    with pytest.raises(FileNotFoundError):
        get_run("a")


def test_ddp_two_cpu_processes_end_with_identical_weights(tmp_path):
    """The same command under torchrun (gloo on CPUs): both ranks end with the same weights."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "resnet_viz", "train", "--model", "resnet20", "--data", "shapes", "--epochs", "1",
           "--limit-train", "256", "--limit-test", "50", "--batch-size", "64", "--out", str(tmp_path / "ddp"),
           "--quiet", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RESNET_VIZ_THREADS": "1"}
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    st = Run(tmp_path / "ddp").status
    sums = st["rank_checksums"]
    assert len(sums) == 2 and sums[0] == sums[1]
    assert "x2" in Run(tmp_path / "ddp").provenance["device"]


def test_export_ships_fp16_weights_that_load_as_fp32(tmp_path, monkeypatch):
    run = train(TrainConfig(model="resnet20", epochs=1, **SMALL), tmp_path / "resnet20-t")
    from resnet_viz.runs.store import export_run

    out = export_run(run, tmp_path / "assets", data_label="shapes (test)", note="unit test",
                     responses={"data": "shapes", "images": 1, "layers": []})
    assert {p.name for p in out.path.iterdir()} == {"config.json", "status.json", "metrics.jsonl", "provenance.json",
                                                    "model.safetensors", "model.json", "responses.json"}
    assert out.checkpoint.stat().st_size < 0.6 * run.checkpoint.stat().st_size  # fp16
    lm = load_model("resnet20", out.checkpoint)
    assert lm.model.fc.weight.dtype == torch.float32 and "shapes (test)" in lm.meta.source
    assert out.provenance["export"]["weights"] == "fp16" and out.provenance["data_label"] == "shapes (test)"
    # the app finds shipped runs by model name
    monkeypatch.setattr("resnet_viz.models.weights.assets_dir", lambda: tmp_path)
    (tmp_path / "runs").symlink_to(tmp_path / "assets")
    from resnet_viz.models.weights import default_weights, shipped_path

    assert shipped_path("resnet20") == tmp_path / "runs" / "resnet20-t" / "model.safetensors"
    assert default_weights("resnet20") == "shipped"


def test_paper_schedule_and_warm_up_hand_over():
    from resnet_viz.training.engine import make_scheduler, scheduled_lr

    cfg = TrainConfig(model="resnet110", preset="paper", epochs=4).resolved()
    assert (cfg.lr, cfg.weight_decay, cfg.batch_size) == (0.1, 1e-4, 128)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=cfg.lr, momentum=0.9)
    sched = make_scheduler(opt, cfg, steps_per_epoch=100)  # 400 steps: milestones at 200 and 300
    assert sorted(sched.milestones) == [200, 300]
    for g in opt.param_groups:  # what the warm-up does: 0.01 ...
        g["lr"] = 0.01
    for _ in range(50):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    assert scheduled_lr(cfg, sched, 50) == pytest.approx(0.1)  # ... then back to 0.1, not 0.01
    assert scheduled_lr(cfg, sched, 250) == pytest.approx(0.01)
    assert scheduled_lr(cfg, sched, 350) == pytest.approx(0.001)


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
