"""Per-session scratch folders: deleted with the session (its job stopped), orphans swept."""

from __future__ import annotations

import gc
import subprocess
import sys

from resnet_viz.runs.scratch import Scratch, sweep_orphans
from resnet_viz.runs.store import write_json


def test_scratch_folder_is_deleted_with_the_session_and_its_job_stopped(tmp_path):
    s = Scratch(tmp_path)
    path = s.path
    assert {p.name for p in path.iterdir()} == {"uploads", "unpacked", "runs", "owner.json"}
    # a stand-in for a training job of this session: its own process group, recorded like jobs.start_set does
    job = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    write_json(s.runs / ".set-x.json", {"pid": job.pid})
    del s
    gc.collect()  # Streamlit drops the session state: the finaliser runs
    assert not path.exists()
    assert job.wait(timeout=10) != 0  # killed, not finished


def test_orphaned_session_folders_are_swept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / "s-orphan"
    orphan.mkdir()
    write_json(orphan / "owner.json", {"pid": dead.pid})
    live = Scratch(tmp_path)
    assert sweep_orphans(tmp_path) == 1
    assert not orphan.exists() and live.path.exists()
    live.close()
    assert not live.path.exists()
