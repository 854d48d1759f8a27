"""The "Your data" library: session folders, evaluation numbers, pairs as zips (download / re-upload)."""

from __future__ import annotations

import gc
import subprocess
import sys
import zipfile

import pytest

from resnet_viz.runs.store import Run, read_json, write_json
from resnet_viz.runs.yourdata import (
    RunUploadError,
    Scratch,
    accuracy,
    confusion,
    describe_evaluation,
    pack_runs,
    per_class_accuracy,
    save_to_store,
    sweep_orphans,
    twin_runs,
    unpack_runs,
)
from resnet_viz.training.engine import TrainConfig, train
from resnet_viz.training.plan import Plan

EV = {"classes": ["cat", "dog", "fox"], "labels": [0, 0, 0, 1, 1, 2], "preds": [0, 0, 1, 1, 2, 2],
      "confidences": [0.9] * 6, "wrong": []}


def test_confusion_per_class_accuracy_and_sentence():
    m = confusion(EV)
    assert m.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]] and m.sum() == 6
    assert per_class_accuracy(EV) == {"cat": 2 / 3, "dog": 0.5, "fox": 1.0}
    assert accuracy(EV) == pytest.approx(4 / 6)
    other = {**EV, "preds": [0, 0, 0, 0, 0, 2]}
    text = describe_evaluation({"resnet20": EV, "plain20": other})
    assert "ResNet-20 classifies 66.7 % of the 6 held-out images" in text and "Plain-20 classifies 66.7 %" in text
    assert "largest gap is on 'dog': 50 % for ResNet-20 against 0 % for Plain-20" in text


def test_plans_pair_a_resnet_with_its_plain_twin():
    assert Plan("scratch", 56).models == ["resnet56", "plain56"]
    p = Plan("transfer", 18, method="probe", size=112)
    assert p.models == ["resnet18:probe", "plain18:scratch"] and p.extra_args[:2] == ["--size", "112"]
    assert p.tag("zipabcdef123456") == "zipabcdef1-probe-112px-10ep"


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


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    cfg = dict(data="shapes:60", epochs=1, batch_size=20, limit_test=20)
    for m in ("resnet20", "plain20"):
        train(TrainConfig(model=m, **cfg), root / f"{m}-demo")
    return root


def test_pairs_round_trip_through_a_zip(pair, tmp_path):
    pairs = twin_runs(pair)
    assert [(t, r.name, p.name) for t, r, p in pairs] == [("demo", "resnet20-demo", "plain20-demo")]
    data = pack_runs([pairs[0][1], pairs[0][2]])
    names = zipfile.ZipFile(__import__("io").BytesIO(data)).namelist()
    assert "resnet20-demo/model.safetensors" in names and "resnet20-demo/evaluation.json" in names
    assert not any(n.endswith("resume.pt") for n in names)
    (tmp_path / "pair.zip").write_bytes(data)
    got = unpack_runs(tmp_path / "pair.zip", tmp_path / "session")
    assert sorted(r.name for r in got) == ["plain20-demo", "resnet20-demo"]
    assert twin_runs(tmp_path / "session")[0][0] == "demo"
    assert read_json(got[0].path / "evaluation.json")["classes"] == ["circle", "square", "triangle", "cross", "ring"]


def test_bad_run_zips_are_refused_and_leave_nothing(pair, tmp_path):
    dest = tmp_path / "session"
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("resnet20-x/model.safetensors", b"not a safetensors file")
        zf.writestr("resnet20-x/model.json", '{"arch": "resnet20"}')
        zf.writestr("resnet20-x/config.json", '{"model": "resnet20"}')
    with pytest.raises(RunUploadError, match="do not load"):
        unpack_runs(bad, dest)
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../evil/model.safetensors", b"x")
    with pytest.raises(RunUploadError, match="not a resnet-viz run"):
        unpack_runs(bad, dest)
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(RunUploadError, match="not a readable zip"):
        unpack_runs(bad, dest)
    assert not [p for p in dest.iterdir()] and not (tmp_path / "evil").exists()


def test_saving_to_the_shared_store_is_explicit_and_never_overwrites(pair, tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "shared"))
    res = Run(pair / "resnet20-demo")
    saved = save_to_store(res, "resnet20-class7")
    assert (saved.path / "model.safetensors").is_file() and not (saved.path / "resume.pt").exists()
    with pytest.raises(FileExistsError, match="already has a run named resnet20-class7"):
        save_to_store(res, "resnet20-class7")


def test_example_folder_is_made_once_and_whole_even_when_asked_concurrently(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from resnet_viz.data.examples import example_folder

    dest = tmp_path / "examples" / "shapes"
    with ThreadPoolExecutor(3) as ex:
        got = list(ex.map(lambda _: example_folder(dest, per_class=20), range(3)))
    assert got == [dest] * 3
    assert sorted(p.name for p in dest.iterdir() if p.is_dir()) == ["circle", "square", "triangle"]
    assert sum(1 for _ in dest.rglob("*.png")) == 60
    assert [p.name for p in dest.parent.iterdir()] == ["shapes"]  # no temporary folder left behind
