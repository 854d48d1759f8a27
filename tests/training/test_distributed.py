"""Data-parallel training: two CPU processes end with identical weights."""

from __future__ import annotations

import os
import subprocess
import sys

from resnet_viz.runs.store import Run
from tests.conftest import ROOT


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
