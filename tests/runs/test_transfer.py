"""Runs in and out: pairs as zips (download / re-upload), the shared store, fp16 export."""

from __future__ import annotations

import zipfile

import pytest
import torch

from resnet_viz.models.weights import load_model
from resnet_viz.runs.store import Run, read_json
from resnet_viz.runs.transfer import RunUploadError, pack_runs, save_to_store, unpack_runs
from resnet_viz.runs.twins import twin_runs
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.engine import train


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


SMALL = dict(data="shapes", limit_train=512, limit_test=100, batch_size=64, grad_every=2)


def test_export_ships_fp16_weights_that_load_as_fp32(tmp_path, monkeypatch):
    run = train(TrainConfig(model="resnet20", epochs=1, **SMALL), tmp_path / "resnet20-t")
    from resnet_viz.runs.transfer import export_run

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
