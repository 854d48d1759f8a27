"""Reading the degradation experiment off the run store: sentences computed from the numbers."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from resnet_viz.lessons.degradation import describe_degradation, describe_responses
from resnet_viz.runs.store import Run, append_jsonl, delete_run, pid_alive, write_json
from resnet_viz.runs.twins import common_epoch_errors


def _run(root, name, train_errors):
    run = Run(root / name)
    write_json(run.path / "config.json", {"model": name.split("-")[0], "data": "shapes", "epochs": 3})
    for i, e in enumerate(train_errors, start=1):
        append_jsonl(run.path / "metrics.jsonl", {"kind": "epoch", "epoch": i, "step": 10 * i, "train_error": e,
                                                  "test_error": e + 0.01})
    return run


def test_sets_still_training_are_compared_at_a_common_epoch(tmp_path):
    runs = {"plain20": _run(tmp_path, "plain20-x", [0.5, 0.3, 0.2]),
            "resnet20": _run(tmp_path, "resnet20-x", [0.5, 0.3, 0.2]),
            "plain56": _run(tmp_path, "plain56-x", [0.6, 0.45]),
            "resnet56": _run(tmp_path, "resnet56-x", [0.55])}
    epoch, recs = common_epoch_errors(runs)
    assert epoch == 1 and recs["plain20"]["train_error"] == 0.5
    text = describe_degradation(recs, 20, 56, epoch)
    assert text.startswith("After 1 epoch (all four runs), training error: plain-56 has 10.0 points *more*")
    assert "ResNet-56 is 5.0 points above ResNet-20" in text
    assert "Not all four runs" in describe_degradation({}, 20, 56)


def test_degradation_sentence_follows_the_data():
    ordered = {"plain20": {"train_error": 0.10}, "plain56": {"train_error": 0.30},
               "resnet20": {"train_error": 0.12}, "resnet56": {"train_error": 0.08}}
    text = describe_degradation(ordered, 20, 56)
    assert "the degradation problem" in text and "with skip connections depth helps" in text
    flipped = {**ordered, "plain56": {"train_error": 0.05}}
    assert "does not show" in describe_degradation(flipped, 20, 56)


def test_responses_sentence_with_a_missing_model():
    text = describe_responses({"plain20": [{"std": 2.0}], "resnet20": [{"std": 1.0}], "plain56": [{"std": 3.0}]})
    assert text.startswith("Mean std of the 3x3 layer responses, smallest first: ResNet-20 1.000")


def test_delete_only_removes_local_runs_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "runs"))
    _run(tmp_path / "runs", "plain20-x", [0.5])
    outside = _run(tmp_path, "precious", [0.5])
    with pytest.raises(ValueError, match="run name"):
        delete_run(str(outside.path))
    with pytest.raises(ValueError):
        delete_run("..")
    assert outside.path.is_dir()
    delete_run("plain20-x")
    assert not (tmp_path / "runs" / "plain20-x").exists()


def test_a_finished_child_that_was_not_waited_for_is_not_alive():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 10
    while time.time() < deadline and pid_alive(p.pid):
        time.sleep(0.05)
    assert not pid_alive(p.pid)  # a zombie until waited for, and not counted as running
    p.wait()
